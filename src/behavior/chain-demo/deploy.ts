import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, resolve } from "node:path";
import solc from "solc";
import { type Abi, type Address, encodeDeployData, encodeFunctionData, type Hex, keccak256, parseAbi } from "viem";
import { ApError } from "../../core/errors.ts";
import { isqrt } from "../amm/isqrt.ts";
import { flashArbitrageAbi, flashArbitrageBytecode } from "../execution/onchain/flashArbitrageArtifact.ts";
import { JsonRpc } from "../execution/onchain/json-rpc.ts";

const require = createRequire(import.meta.url);
const CONTRACTS = resolve(import.meta.dir, "../../../contracts/test");
export const E18 = 10n ** 18n;

/** anvil's dev accounts 0 and 1 (unlocked on anvil: eth_sendTransaction, no key needed here). */
export const DEV_ACCOUNT_0 = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266" as const;
export const DEV_ACCOUNT_1 = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as const;

export class ChainDemoError extends ApError {
  override readonly name = "ChainDemoError";
}

interface Compiled {
  abi: Abi;
  bytecode: Hex;
}

/** TestERC20 and V3PoolCallee (contracts/test) compiled with solc-js: about half a second. */
function compileTestContracts(): Record<string, Compiled> {
  const files = ["TestERC20.sol", "V3PoolCallee.sol"];
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(files.map((f) => [f, { content: readFileSync(join(CONTRACTS, f), "utf8") }])),
    settings: {
      optimizer: { enabled: true, runs: 200 },
      evmVersion: "cancun",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new ChainDemoError({ code: "SolcFailed", message: errors.map((e) => e.formattedMessage).join("; ") });
  }
  const out: Record<string, Compiled> = {};
  for (const file of Object.values(output.contracts)) {
    for (const [name, c] of Object.entries(file)) out[name] = { abi: c.abi, bytecode: `0x${c.evm.bytecode.object}` };
  }
  return out;
}

function v2Artifact(pkg: "v2-core" | "v2-periphery", name: string): Compiled {
  const a = require(`@uniswap/${pkg}/build/${name}.json`) as { abi: Abi; bytecode: string };
  return { abi: a.abi, bytecode: `0x${a.bytecode.replace(/^0x/, "")}` };
}

function v3Artifact(name: "UniswapV3Factory" | "UniswapV3Pool"): Compiled {
  const a = require(`@uniswap/v3-core/artifacts/contracts/${name}.sol/${name}.json`) as { abi: Abi; bytecode: Hex };
  return { abi: a.abi, bytecode: a.bytecode };
}

export const erc20Abi = parseAbi([
  "function mint(address,uint256)",
  "function transfer(address,uint256) returns (bool)",
  "function approve(address,uint256) returns (bool)",
]);
export const pairAbi = parseAbi([
  "function mint(address) returns (uint256)",
  "function getReserves() view returns (uint112,uint112,uint32)",
  "function swap(uint256,uint256,address,bytes)",
]);
const factoryV2Abi = parseAbi([
  "function createPair(address,address) returns (address)",
  "function getPair(address,address) view returns (address)",
]);
const factoryV3Abi = parseAbi([
  "function createPool(address,address,uint24) returns (address)",
  "function getPool(address,address,uint24) view returns (address)",
]);

/** What the demo deployed: addresses, and the collector's --factory specs for its factories. */
export interface LocalMarket {
  chainId: number;
  /** WETH-like base token (asset ETH) and a USD-like quote token, 18 decimals each. */
  base: Address;
  quote: Address;
  /** Two Uniswap V2 pairs of base/quote (QuickSwap-like and SushiSwap-like factories) and a V3 pool (0.3 %). */
  pairA: Address;
  pairB: Address;
  v3Pool: Address;
  v3Callee: Address;
  /** FlashArbitrage, owned by dev account 0 (the executor's key). */
  contract: Address;
  /** `<factory>:<v2|v3>:<init code hash>:<venue>` for the collector's --factory. */
  factorySpecs: string[];
}

/**
 * Sends from an unlocked dev account, mines the block (evm_mine) and checks the receipt: setup runs before interval
 * mining is switched on, so it never waits on a block timer.
 */
export class DevSender {
  constructor(readonly rpc: JsonRpc) {}

  async send(
    from: Address,
    to: Address | undefined,
    data: Hex,
    gas = 8_000_000n,
  ): Promise<{ contractAddress: Address }> {
    const hash = await this.rpc.call<Hex>("eth_sendTransaction", [
      { from, ...(to ? { to } : {}), data, gas: `0x${gas.toString(16)}` },
    ]);
    await this.rpc.call("evm_mine", []);
    const r = await this.rpc.call<{ status: string; contractAddress: Address } | null>("eth_getTransactionReceipt", [
      hash,
    ]);
    if (r === null || r.status !== "0x1") {
      throw new ChainDemoError({
        code: "SetupTransactionFailed",
        message: "a setup transaction reverted",
        facts: { hash, to: to ?? "create" },
      });
    }
    return r;
  }

  async deploy(from: Address, c: Compiled, args: readonly unknown[] = []): Promise<Address> {
    const data = encodeDeployData({ abi: c.abi, bytecode: c.bytecode, args } as never);
    return (await this.send(from, undefined, data)).contractAddress;
  }

  async call(from: Address, to: Address, abi: Abi, functionName: string, args: readonly unknown[]): Promise<void> {
    await this.send(from, to, encodeFunctionData({ abi, functionName, args } as never));
  }

  async read<T>(to: Address, abi: Abi, functionName: string, args: readonly unknown[] = []): Promise<T> {
    const { decodeFunctionResult } = await import("viem");
    const data = encodeFunctionData({ abi, functionName, args } as never);
    const out = await this.rpc.call<Hex>("eth_call", [{ to, data }, "latest"]);
    return decodeFunctionResult({ abi, functionName, data: out } as never) as T;
  }
}

/**
 * Deploys the demo market on a fresh anvil: two TestERC20s, two UniswapV2Factory pairs (@uniswap/v2-core) priced
 * 2000 and 2100 quote per base (an arbitrage from the first block), a UniswapV3Factory pool (@uniswap/v3-core) at
 * 2050 with full-range liquidity, and our FlashArbitrage owned by dev account 0. Both dev accounts 0 and 1 get
 * 10^30 of each token; account 1 (the market loop) approves the V3 callee.
 */
export async function deployLocalMarket(rpcUrl: string): Promise<LocalMarket> {
  const rpc = new JsonRpc(rpcUrl, { timeoutMs: 30_000 });
  const chainId = Number(BigInt(await rpc.call<string>("eth_chainId", [])));
  const tx = new DevSender(rpc);
  const owner = DEV_ACCOUNT_0;
  const c = compileTestContracts();
  const tA = await tx.deploy(owner, c.TestERC20, ["Wrapped Ether (local)", "WETH"]);
  const tB = await tx.deploy(owner, c.TestERC20, ["USD (local)", "USDQ"]);
  const [base, quote] = [tA, tB];
  for (const t of [base, quote]) {
    for (const who of [DEV_ACCOUNT_0, DEV_ACCOUNT_1]) await tx.call(owner, t, erc20Abi, "mint", [who, 10n ** 30n]);
  }
  const factoryV2 = v2Artifact("v2-core", "UniswapV2Factory");
  const pairInit = keccak256(v2Artifact("v2-core", "UniswapV2Pair").bytecode);
  const pairs: Address[] = [];
  const specs: string[] = [];
  for (const [price, venue] of [
    [2000n, "quickswap"],
    [2100n, "sushiswap_polygon"],
  ] as const) {
    const factory = await tx.deploy(owner, factoryV2, [owner]);
    await tx.call(owner, factory, factoryV2Abi, "createPair", [base, quote]);
    const pair = await tx.read<Address>(factory, factoryV2Abi, "getPair", [base, quote]);
    await tx.call(owner, base, erc20Abi, "transfer", [pair, 100n * E18]);
    await tx.call(owner, quote, erc20Abi, "transfer", [pair, 100n * price * E18]);
    await tx.call(owner, pair, pairAbi, "mint", [owner]);
    pairs.push(pair);
    specs.push(`${factory.toLowerCase()}:v2:${pairInit}:${venue}`);
  }
  const factoryV3 = v3Artifact("UniswapV3Factory");
  const factory3 = await tx.deploy(owner, factoryV3);
  await tx.call(owner, factory3, factoryV3Abi, "createPool", [base, quote, 3000]);
  const v3Pool = await tx.read<Address>(factory3, factoryV3Abi, "getPool", [base, quote, 3000]);
  const token0 = BigInt(base) < BigInt(quote) ? base : quote;
  const sqrtPriceX96 = base === token0 ? isqrt(2050n << 192n) : isqrt((1n << 192n) / 2050n);
  await tx.call(owner, v3Pool, v3Artifact("UniswapV3Pool").abi, "initialize", [sqrtPriceX96]);
  const v3Callee = await tx.deploy(owner, c.V3PoolCallee);
  for (const t of [base, quote]) {
    for (const who of [DEV_ACCOUNT_0, DEV_ACCOUNT_1])
      await tx.call(who, t, erc20Abi, "approve", [v3Callee, (1n << 256n) - 1n]);
  }
  await tx.call(owner, v3Callee, c.V3PoolCallee.abi, "mint", [v3Pool, owner, -887220, 887220, 4_500n * E18]);
  specs.push(`${factory3.toLowerCase()}:v3:${keccak256(v3Artifact("UniswapV3Pool").bytecode)}:uniswap_v3`);
  const contract = await tx.deploy(owner, { abi: flashArbitrageAbi, bytecode: flashArbitrageBytecode });
  return {
    chainId,
    base: base.toLowerCase() as Address,
    quote: quote.toLowerCase() as Address,
    pairA: pairs[0].toLowerCase() as Address,
    pairB: pairs[1].toLowerCase() as Address,
    v3Pool: v3Pool.toLowerCase() as Address,
    v3Callee,
    contract: contract.toLowerCase() as Address,
    factorySpecs: specs,
  };
}

/** The flash-arbitrage strategy's table for the local chain: its two tokens, a gas token price, small profits. */
export function strategiesToml(m: LocalMarket): string {
  return [
    "# Written by the chain demo (ap up --chain local) for the deployed local market.",
    "[strategies.flash_arbitrage]",
    "cex_dex = false",
    "min_profit_usd_e8 = 1000000",
    "valid_for_ms = 10000",
    `gas_token_usd_e8 = { ${m.chainId} = 200000000000 }`,
    "tokens = [",
    `  { chain_id = ${m.chainId}, address = "${m.base}", asset = "ETH" },`,
    `  { chain_id = ${m.chainId}, address = "${m.quote}", asset = "USD" },`,
    "]",
    "",
  ].join("\n");
}
