import { afterAll, beforeAll } from "bun:test";
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type Abi,
  type Address,
  createWalletClient,
  type Hex,
  http,
  type LocalAccount,
  parseAbi,
  type TransactionReceipt,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { foundry } from "viem/chains";
import { snapshotV3Pool } from "../../../../src/behavior/amm/chain/snapshotV3Pool.ts";
import { isqrt } from "../../../../src/behavior/amm/isqrt.ts";
import { createPoolState } from "../../../../src/behavior/amm/state/createPoolState.ts";
import type { V2PoolState } from "../../../../src/behavior/amm/state/types.ts";
import { simulateSwapPath } from "../../../../src/behavior/execution/dex-swap.ts";
import type { LiveRouter } from "../../../../src/behavior/execution/engine.ts";
import type { PoolEntry } from "../../../../src/behavior/execution/market-state.ts";
import { DEFAULT_ONCHAIN, type OnchainConfig } from "../../../../src/behavior/execution/onchain/config.ts";
import {
  flashArbitrageAbi,
  flashArbitrageBytecode,
} from "../../../../src/behavior/execution/onchain/flashArbitrageArtifact.ts";
import { NonceManager } from "../../../../src/behavior/execution/onchain/nonce-manager.ts";
import { OnchainExecutor, type PoolInfo } from "../../../../src/behavior/execution/onchain/onchain-executor.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";
import type { ArbitrageSignal, PoolState } from "../../../../src/data/tlv-layouts.ts";
import { VenueId } from "../../../../src/data/venues.ts";
import { compileTestContracts } from "../../amm/evm/compileTestContracts.ts";
import { type Anvil, startAnvil } from "../../amm/evm/startAnvil.ts";
import { type LocalChain, localChain, v3CoreArtifact } from "../../amm/evm/v3Deployment.ts";

const require = createRequire(import.meta.url);

/** anvil's dev account 1: the executor's signing key in these tests (account 0 sets up, account 2 competes). */
export const EXECUTOR_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d" as const;
export const COMPETITOR = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" as const; // dev account 2
export const E18 = 10n ** 18n;
export const CHAIN_ID = 31337;
/** Engine clock of the tests: the genesis time of startAnvil, so valid_until and on-chain deadlines agree. */
export const T0_NS = 1_700_000_000n * 1_000_000_000n;

function v2Artifact(pkg: "v2-core" | "v2-periphery", name: string): { abi: Abi; bytecode: Hex } {
  const a = require(`@uniswap/${pkg}/build/${name}.json`) as { abi: Abi; bytecode: string };
  return { abi: a.abi, bytecode: `0x${a.bytecode.replace(/^0x/, "")}` };
}

const erc20 = parseAbi([
  "function balanceOf(address) view returns (uint256)",
  "function transfer(address,uint256) returns (bool)",
  "function approve(address,uint256) returns (bool)",
]);
const pairAbi = parseAbi([
  "function mint(address) returns (uint256)",
  "function getReserves() view returns (uint112,uint112,uint32)",
  "function swap(uint256,uint256,address,bytes)",
]);

export interface Market {
  chain: LocalChain;
  anvil: Anvil;
  quote: Address;
  base: Address;
  token0: Address;
  token1: Address;
  /** Two V2 pairs of the same tokens (two factories, as QuickSwap and SushiSwap): base priced 2000 and 2100. */
  pairA: InstrumentId;
  pairB: InstrumentId;
  /** A V3 pool (fee 3000, full-range liquidity) with base at 2050. */
  v3: InstrumentId;
  router: Address;
  pools: Map<string, PoolInfo>;
  account: LocalAccount;
  contract: Address;
}

/**
 * anvil with the real contracts: two TestERC20s, two UniswapV2Factory (@uniswap/v2-core) pairs, UniswapV2Router02
 * (@uniswap/v2-periphery), a UniswapV3Factory pool (@uniswap/v3-core), and our FlashArbitrage deployed by the executor
 * account (its owner). Mining is manual (evm_mine).
 */
export async function deployMarket(): Promise<Market> {
  const anvil = await startAnvil();
  const chain = localChain(anvil);
  const contracts = compileTestContracts(["TestERC20.sol", "V3PoolCallee.sol"]);
  const tA = await chain.deploy(contracts.TestERC20, ["Base", "BASE"]);
  const tB = await chain.deploy(contracts.TestERC20, ["Quote", "USDQ"]);
  const [base, quote] = [tA, tB];
  const [token0, token1] = BigInt(base) < BigInt(quote) ? [base, quote] : [quote, base];
  for (const t of [base, quote]) {
    await chain.send({
      address: t,
      abi: contracts.TestERC20.abi,
      functionName: "mint",
      args: [chain.account, 10n ** 30n],
    });
    await chain.send({
      address: t,
      abi: contracts.TestERC20.abi,
      functionName: "mint",
      args: [COMPETITOR, 10n ** 30n],
    });
  }
  const factoryV2 = v2Artifact("v2-core", "UniswapV2Factory");
  const pairs: Address[] = [];
  for (const price of [2000n, 2100n]) {
    const factory = await chain.deploy(factoryV2, [chain.account]);
    await chain.send({ address: factory, abi: factoryV2.abi, functionName: "createPair", args: [base, quote] });
    const pair = (await chain.publicClient.readContract({
      address: factory,
      abi: factoryV2.abi,
      functionName: "getPair",
      args: [base, quote],
    })) as Address;
    await chain.send({ address: base, abi: erc20, functionName: "transfer", args: [pair, 100n * E18] });
    await chain.send({ address: quote, abi: erc20, functionName: "transfer", args: [pair, 100n * price * E18] });
    await chain.send({ address: pair, abi: pairAbi, functionName: "mint", args: [chain.account] });
    pairs.push(pair);
  }
  const weth = await chain.deploy(v2Artifact("v2-periphery", "WETH9"));
  const router = await chain.deploy(v2Artifact("v2-periphery", "UniswapV2Router02"), [
    (await chain.publicClient.readContract({
      address: pairs[0],
      abi: parseAbi(["function factory() view returns (address)"]),
      functionName: "factory",
    })) as Address,
    weth,
  ]);

  const v3Factory = v3CoreArtifact("UniswapV3Factory");
  const factory3 = await chain.deploy(v3Factory);
  await chain.send({ address: factory3, abi: v3Factory.abi, functionName: "createPool", args: [base, quote, 3000] });
  const v3pool = (await chain.publicClient.readContract({
    address: factory3,
    abi: v3Factory.abi,
    functionName: "getPool",
    args: [base, quote, 3000],
  })) as Address;
  // price = token1 per token0: 2050 when base is token0, 1/2050 otherwise
  const sqrtPriceX96 = base === token0 ? isqrt(2050n << 192n) : isqrt((1n << 192n) / 2050n);
  await chain.send({
    address: v3pool,
    abi: v3CoreArtifact("UniswapV3Pool").abi,
    functionName: "initialize",
    args: [sqrtPriceX96],
  });
  const callee = await chain.deploy(contracts.V3PoolCallee);
  for (const t of [base, quote])
    await chain.send({ address: t, abi: erc20, functionName: "approve", args: [callee, (1n << 256n) - 1n] });
  await chain.send({
    address: callee,
    abi: contracts.V3PoolCallee.abi,
    functionName: "mint",
    args: [v3pool, chain.account, -887220, 887220, 4_500n * E18],
  });

  const account = privateKeyToAccount(EXECUTOR_KEY);
  const ownerWallet = createWalletClient({ chain: { ...foundry }, transport: http(anvil.url), account });
  const deployHash = await ownerWallet.deployContract({
    abi: flashArbitrageAbi,
    bytecode: flashArbitrageBytecode,
    gas: 3_000_000n,
  });
  await chain.testClient.mine({ blocks: 1 });
  const contract = (await chain.publicClient.getTransactionReceipt({ hash: deployHash })).contractAddress!;

  const info = (protocol: 2 | 3): PoolInfo => ({
    protocol,
    token0,
    token1,
    feePpm: 3000,
    token0Decimals: 18,
    token1Decimals: 18,
  });
  const pairA = InstrumentId.pool(VenueId.QuickSwap, CHAIN_ID, pairs[0]);
  const pairB = InstrumentId.pool(VenueId.SushiSwap, CHAIN_ID, pairs[1]);
  const v3 = InstrumentId.pool(VenueId.UniswapV3, CHAIN_ID, v3pool);
  const pools = new Map<string, PoolInfo>([
    [pairA.toString(), info(2)],
    [pairB.toString(), info(2)],
    [v3.toString(), info(3)],
  ]);
  return { chain, anvil, quote, base, token0, token1, pairA, pairB, v3, router, pools, account, contract };
}

/**
 * The market of the tests around the call (a describe block, or the file at its top level): deployMarket() on a fresh
 * anvil before them, that anvil stopped after them. The Market returned reads through to the deployed one, so it is
 * for use inside the tests (and what they call), not at the time the describe block is collected.
 */
export function anvilMarket(): Market {
  let deployed: Market | undefined;
  beforeAll(async () => {
    deployed = await deployMarket();
  }, 60_000);
  afterAll(async () => {
    await deployed?.anvil.stop();
  });
  return new Proxy({} as Market, {
    get(_, key) {
      if (!deployed) throw new Error("anvilMarket(): the market is deployed in beforeAll; use it inside a test");
      return deployed[key as keyof Market];
    },
  });
}

export function testOnchainConfig(m: Market, over: Partial<OnchainConfig> = {}): OnchainConfig {
  return {
    ...DEFAULT_ONCHAIN,
    chainId: CHAIN_ID,
    rpcUrl: m.anvil.url,
    contract: m.contract,
    strategySubmission: new Map(),
    ...over,
  };
}

export interface ExecutorHarness {
  executor: OnchainExecutor;
  frames: Uint8Array[];
  runDir: string;
  nonces: NonceManager;
  clock: { t: bigint };
}

export async function startExecutor(
  m: Market,
  options: {
    runDir?: string;
    config?: Partial<OnchainConfig>;
    maxErrors?: number;
    audit?: ConstructorParameters<typeof OnchainExecutor>[0]["audit"];
    onFill?: ConstructorParameters<typeof OnchainExecutor>[0]["onFill"];
    gasTokenPriceE8?: ConstructorParameters<typeof OnchainExecutor>[0]["gasTokenPriceE8"];
    log?: ConstructorParameters<typeof OnchainExecutor>[0]["log"];
  } = {},
): Promise<ExecutorHarness> {
  const runDir = options.runDir ?? mkdtempSync(join(tmpdir(), "ap-onchain-"));
  const nonces = new NonceManager({ runDir, address: m.account.address, chainId: CHAIN_ID });
  const frames: Uint8Array[] = [];
  const clock = { t: T0_NS };
  const executor = new OnchainExecutor({
    config: testOnchainConfig(m, options.config),
    account: m.account,
    nonces,
    pools: (iid) => m.pools.get(iid.toString()),
    publish: (f) => frames.push(f),
    onFill: options.onFill,
    gasTokenPriceE8: options.gasTokenPriceE8,
    log: options.log,
    audit: options.audit,
    breakers: { maxErrors: options.maxErrors ?? 3, errorWindowMs: 600_000, cooldownMs: 600_000, reset: "manual" },
    clock: () => clock.t,
  });
  await executor.start();
  return { executor, frames, runDir, nonces, clock };
}

/**
 * The engine's LiveRouter to an OnchainExecutor made after the engine (the executor's gas mark reads the engine's
 * market): set `executor` before the first signal; `pending` is the executor's outcome of the last signal routed.
 */
export function routeToExecutor() {
  const route: { executor?: OnchainExecutor; pending: Promise<unknown>; router: LiveRouter } = {
    pending: Promise.resolve(),
    router: {
      signal: (s, identity, economics) => {
        route.pending = route.executor!.onSignal(s, identity, economics);
        return true;
      },
    },
  };
  return route;
}

let nextSignalId = 1n;

/** An ArbitrageSignal as the strategy writes it (docs/strategies.md): min_amount_out = expected x (1 - slippage). */
export function signalFor(
  m: Market,
  p: {
    buy: InstrumentId;
    sell?: InstrumentId;
    amountIn: bigint;
    expectedOut: bigint;
    slippageBps?: number;
    strategyId?: number;
  },
): ArbitrageSignal {
  const slippage = p.slippageBps ?? 30;
  return {
    signalId: nextSignalId++,
    strategyId: p.strategyId ?? 1,
    sourceVenue: p.buy.venue,
    targetVenue: (p.sell ?? p.buy).venue,
    slippageToleranceBps: slippage,
    chainId: CHAIN_ID,
    maxGasPriceGwei: 100,
    validUntilNs: T0_NS + 3_600_000_000_000n,
    buyInstrument: p.buy,
    sellInstrument: p.sell ?? InstrumentId.spot(VenueId.Kraken, "ETH", "USD"),
    tokenIn: m.quote.toLowerCase(),
    tokenOut: (p.sell ? m.quote : m.base).toLowerCase(),
    amountIn: p.amountIn,
    expectedAmountOut: p.expectedOut,
    minAmountOut: (p.expectedOut * BigInt(10_000 - slippage)) / 10_000n,
    expectedProfitUsdE8: 0n,
    spreadBps: 0,
    priority: 0,
    timestampNs: T0_NS,
  } as unknown as ArbitrageSignal;
}

/** The exact output of the route by our AMM math on the chain's current state (the paper engine's simulateSwapPath). */
export async function predictOut(m: Market, route: InstrumentId[], amountIn: bigint): Promise<bigint> {
  const entries: PoolEntry[] = [];
  for (const iid of route) {
    const info = m.pools.get(iid.toString())!;
    let state: PoolEntry["state"];
    if (info.protocol === 2) {
      const [r0, r1] = await reserves(m, iid);
      const empty = createPoolState({ pool: iid, protocol: 2, feePpm: 3000, token0Decimals: 18, token1Decimals: 18 });
      state = { ...(empty as V2PoolState), reserve0: r0, reserve1: r1, ready: true } as PoolEntry["state"];
    } else {
      state = (await snapshotV3Pool({
        client: m.chain.publicClient,
        pool: iid,
        blockNumber: "latest",
        wordsEachSide: 2,
        tokenDecimals: [18, 18],
        multicallAddress: false,
      })) as PoolEntry["state"];
    }
    entries.push({
      state,
      token0: info.token0.toLowerCase(),
      token1: info.token1.toLowerCase(),
      usable: true,
      updatedNs: 0n,
    });
  }
  const legs = simulateSwapPath(entries, m.quote, amountIn);
  return legs[legs.length - 1].amountOut;
}

/** A V2 pair's reserves on the chain now. */
export async function reserves(m: Market, pair: InstrumentId): Promise<readonly [bigint, bigint]> {
  const [r0, r1] = (await m.chain.publicClient.readContract({
    address: pair.address as Address,
    abi: pairAbi,
    functionName: "getReserves",
  })) as readonly [bigint, bigint, number];
  return [r0, r1];
}

/** A V2 pair's PoolState as a collector would publish it, read from the chain. */
export async function v2PoolState(m: Market, pool: InstrumentId): Promise<PoolState> {
  const [r0, r1] = await reserves(m, pool);
  return {
    pool,
    blockNumber: await m.chain.publicClient.getBlockNumber(),
    timestampNs: 0n,
    token0: m.token0.toLowerCase() as `0x${string}`,
    token1: m.token1.toLowerCase() as `0x${string}`,
    feePpm: 3000,
    tickSpacing: 0,
    token0Decimals: 18,
    token1Decimals: 18,
    protocol: 2,
    reserve0: r0,
    reserve1: r1,
    sqrtPriceX96: 0n,
    liquidity: 0n,
    tick: 0,
  };
}

export async function balanceOf(m: Market, token: Address, who: Address): Promise<bigint> {
  return (await m.chain.publicClient.readContract({
    address: token,
    abi: erc20,
    functionName: "balanceOf",
    args: [who],
  })) as bigint;
}

export async function ethBalance(m: Market, who: Address): Promise<bigint> {
  return m.chain.publicClient.getBalance({ address: who });
}

export async function mine(m: Market): Promise<void> {
  await m.chain.testClient.mine({ blocks: 1 });
}

/** Another account swaps quote for base on a V2 pair directly (pays, then swap): the price moves against us. */
export async function competitorBuysBase(m: Market, pair: InstrumentId, quoteIn: bigint, tipWei: bigint): Promise<Hex> {
  const [r0, r1] = await reserves(m, pair);
  const quoteIs0 = m.quote === m.token0;
  const [rIn, rOut] = quoteIs0 ? [r0, r1] : [r1, r0];
  const out = (quoteIn * 997n * rOut) / (rIn * 1000n + quoteIn * 997n);
  // two transactions of the competitor (transfer, swap), both with a higher tip than ours: mined first
  const fees = { maxFeePerGas: 200n * 10n ** 9n, maxPriorityFeePerGas: tipWei, gas: 200_000n };
  await m.chain.wallet.writeContract({
    address: m.quote,
    abi: erc20,
    functionName: "transfer",
    args: [pair.address as Address, quoteIn],
    account: COMPETITOR,
    chain: m.chain.wallet.chain,
    ...fees,
  } as never);
  return m.chain.wallet.writeContract({
    address: pair.address as Address,
    abi: pairAbi,
    functionName: "swap",
    args: quoteIs0 ? [0n, out, COMPETITOR, "0x"] : [out, 0n, COMPETITOR, "0x"],
    account: COMPETITOR,
    chain: m.chain.wallet.chain,
    ...fees,
  } as never);
}

export type { TransactionReceipt };

/** What a stand-in endpoint received. */
export interface RecordedCall {
  method: string;
  params: unknown[];
}

/**
 * A local stand-in for an RPC endpoint (a private RPC or a bundle relay): records every JSON-RPC request, forwards it
 * to anvil, and answers eth_sendBundle by sending each transaction to anvil. `swallowSends`: eth_sendRawTransaction
 * is forwarded to nobody and never answered (a request lost after it was written).
 */
export function standIn(anvilUrl: string, options: { swallowSends?: boolean } = {}) {
  const calls: RecordedCall[] = [];
  const forward = async (method: string, params: unknown[], id: unknown) => {
    const res = await fetch(anvilUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
    });
    return res.json();
  };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const body = (await req.json()) as { id: unknown; method: string; params: unknown[] };
      calls.push({ method: body.method, params: body.params });
      if (options.swallowSends && body.method === "eth_sendRawTransaction") return new Promise<Response>(() => {});
      if (body.method === "eth_sendBundle") {
        const [bundle] = body.params as [{ txs: string[] }];
        for (const tx of bundle.txs) await forward("eth_sendRawTransaction", [tx], body.id);
        return Response.json({ jsonrpc: "2.0", id: body.id, result: { bundleHash: `0x${"ab".repeat(32)}` } });
      }
      return Response.json(await forward(body.method, body.params, body.id));
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}`,
    calls,
    sends: () => calls.filter((c) => c.method === "eth_sendRawTransaction" || c.method === "eth_sendBundle"),
    [Symbol.dispose]: () => server.stop(true),
  };
}
