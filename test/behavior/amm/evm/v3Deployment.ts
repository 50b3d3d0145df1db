import { createRequire } from "node:module";
import {
  type Abi,
  type Address,
  createPublicClient,
  createTestClient,
  createWalletClient,
  type Hex,
  http,
  type PublicClient,
  type TestClient,
  type TransactionReceipt,
  type WalletClient,
} from "viem";
import { foundry } from "viem/chains";
import { type CompiledContract, compileTestContracts } from "./compileTestContracts.ts";
import type { Anvil } from "./startAnvil.ts";

const require = createRequire(import.meta.url);

/** The v3-core artifacts from the npm package (bytecode as deployed on mainnet, compiled with 0.7.6). */
export function v3CoreArtifact(name: "UniswapV3Factory" | "UniswapV3Pool"): CompiledContract {
  const a = require(`@uniswap/v3-core/artifacts/contracts/${name}.sol/${name}.json`) as { abi: Abi; bytecode: Hex };
  return { abi: a.abi, bytecode: a.bytecode };
}

/** Clients on an anvil started without automine (startAnvil's default), sending from its first dev account (unlocked: eth_sendTransaction, no signing here). */
export interface LocalChain {
  anvil: Anvil;
  account: Address;
  publicClient: PublicClient;
  wallet: WalletClient;
  testClient: TestClient;
  /** writeContract, evm_mine (one transaction per block), then the receipt; throws unless it succeeded. */
  send(call: {
    address: Address;
    abi: Abi;
    functionName: string;
    args?: readonly unknown[];
  }): Promise<TransactionReceipt>;
  deploy(contract: CompiledContract, args?: readonly unknown[]): Promise<Address>;
}

// Explicit gas skips eth_estimateGas on every transaction; anvil refunds what is not used.
const GAS = 6_000_000n;

export function localChain(anvil: Anvil): LocalChain {
  const chain = { ...foundry, rpcUrls: { default: { http: [anvil.url] } } };
  const transport = http(anvil.url);
  const publicClient = createPublicClient({ chain, transport }) as PublicClient;
  const account = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266" as const; // anvil's dev account 0
  const wallet = createWalletClient({ chain, transport, account });
  const testClient = createTestClient({ chain, transport, mode: "anvil" }) as unknown as TestClient;

  async function receiptOf(hash: Hex, what: string): Promise<TransactionReceipt> {
    await testClient.mine({ blocks: 1 });
    const receipt = await publicClient.getTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`${what} reverted in block ${receipt.blockNumber}`);
    return receipt;
  }
  return {
    anvil,
    account,
    publicClient,
    wallet,
    testClient,
    async send(call) {
      const hash = await wallet.writeContract({ ...call, gas: GAS, chain, account } as never);
      return receiptOf(hash, call.functionName);
    },
    async deploy(contract, args = []) {
      const hash = await wallet.deployContract({ ...contract, args, gas: 10_000_000n, chain, account } as never);
      const receipt = await receiptOf(hash, "deploy");
      return receipt.contractAddress!;
    },
  };
}

/** The contracts of the chain test, deployed: two tokens, the real factory, a pool, a callee, Multicall3. */
export interface V3Deployment {
  contracts: Record<string, CompiledContract>;
  factory: Address;
  pool: Address;
  poolAbi: Abi;
  token0: Address;
  token1: Address;
  callee: Address;
  multicall3: Address;
}

/**
 * Deploys UniswapV3Factory from @uniswap/v3-core, two TestERC20s, V3PoolCallee and Multicall3 (compiled from
 * contracts/test), creates the pool for `fee`, mints 10^30 of each token to the account and approves the callee.
 * The pool is not initialized.
 */
export async function deployV3(chain: LocalChain, fee: number): Promise<V3Deployment> {
  const contracts = compileTestContracts();
  const erc20 = contracts.TestERC20;
  const factoryArtifact = v3CoreArtifact("UniswapV3Factory");
  const [tokenA, tokenB, callee, multicall3, factory] = [
    await chain.deploy(erc20, ["Token A", "TKA"]),
    await chain.deploy(erc20, ["Token B", "TKB"]),
    await chain.deploy(contracts.V3PoolCallee),
    await chain.deploy(contracts.Multicall3),
    await chain.deploy(factoryArtifact),
  ];
  await chain.send({
    address: factory,
    abi: factoryArtifact.abi,
    functionName: "createPool",
    args: [tokenA, tokenB, fee],
  });
  const pool = (await chain.publicClient.readContract({
    address: factory,
    abi: factoryArtifact.abi,
    functionName: "getPool",
    args: [tokenA, tokenB, fee],
  })) as Address;
  const [token0, token1] = BigInt(tokenA) < BigInt(tokenB) ? [tokenA, tokenB] : [tokenB, tokenA];
  for (const token of [token0, token1]) {
    await chain.send({ address: token, abi: erc20.abi, functionName: "mint", args: [chain.account, 10n ** 30n] });
    await chain.send({ address: token, abi: erc20.abi, functionName: "approve", args: [callee, (1n << 256n) - 1n] });
  }
  return { contracts, factory, pool, poolAbi: v3CoreArtifact("UniswapV3Pool").abi, token0, token1, callee, multicall3 };
}
