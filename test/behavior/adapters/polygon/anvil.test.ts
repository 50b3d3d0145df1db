import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createRequire } from "node:module";
import { join } from "node:path";
import { type Abi, type Address, type Hex, keccak256, type Log, parseEventLogs, type TransactionReceipt } from "viem";
import { MarketPublisher } from "../../../../src/behavior/adapters/common/market-publisher.ts";
import { V2_TOPICS, V3_TOPICS } from "../../../../src/behavior/adapters/polygon/abi.ts";
import { type KnownFactory, POLYGON_FACTORIES } from "../../../../src/behavior/adapters/polygon/config.ts";
import { PolygonDataClient } from "../../../../src/behavior/adapters/polygon/data-client.ts";
import { PolygonCollectorError } from "../../../../src/behavior/adapters/polygon/errors.ts";
import { MAX_SQRT_RATIO, MIN_SQRT_RATIO } from "../../../../src/behavior/amm/constants.ts";
import { getAmountOut } from "../../../../src/behavior/amm/v2/getAmountOut.ts";
import { parseServiceLine } from "../../../../src/behavior/supervisor/service-report.ts";
import { BusClient, Role } from "../../../../src/behavior/transport/bus-client.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { LAYOUT_BY_TYPE } from "../../../../src/data/tlv-layouts.ts";
import { SourceType, VenueId } from "../../../../src/data/venues.ts";
import { FrameParser } from "../../../../src/rules/parser.ts";
import type { CompiledContract } from "../../amm/evm/compileTestContracts.ts";
import { type Anvil, startAnvil } from "../../amm/evm/startAnvil.ts";
import {
  deployV3,
  type LocalChain,
  localChain,
  type V3Deployment,
  v3CoreArtifact,
} from "../../amm/evm/v3Deployment.ts";
import { Child, startRelay, tempDir, Until } from "../../relay/helpers.ts";

/**
 * The Polygon collector against a real EVM: anvil (from npm) running the real UniswapV3Factory/UniswapV3Pool of
 * @uniswap/v3-core and UniswapV2Factory/UniswapV2Pair of @uniswap/v2-core, the collector on anvil's own WebSocket
 * (eth_chainId, eth_call metadata + CREATE2, eth_subscribe logs, eth_getLogs backfill). Anvil keeps its chain id
 * 31337 (a local chain must not publish ids that claim to be Polygon pools; viem's foundry chain expects it too): the
 * collector is configured with chainId 31337 and the two local factories as extra factories. Every published event
 * is compared with the receipts' logs (decoded here by viem from the artifacts' ABIs) and with contract reads at its
 * block. Anvil never emits removed:true logs: reorgs are tested on the replay venue (faults.test.ts).
 */

const require = createRequire(import.meta.url);
const MAIN = join(import.meta.dir, "../../../../src/behavior/adapters/polygon/main.ts");

function v2CoreArtifact(name: "UniswapV2Factory" | "UniswapV2Pair"): CompiledContract {
  const a = require(`@uniswap/v2-core/build/${name}.json`) as { abi: Abi; bytecode: string };
  return { abi: a.abi, bytecode: `0x${a.bytecode.replace(/^0x/, "")}` as Hex };
}

const V2_FACTORY = v2CoreArtifact("UniswapV2Factory");
const V2_PAIR = v2CoreArtifact("UniswapV2Pair");
/** CREATE2 init code hashes: keccak256 of the creation code the factories deploy. */
const V2_INIT_CODE_HASH = keccak256(V2_PAIR.bytecode);
const V3_INIT_CODE_HASH = keccak256(v3CoreArtifact("UniswapV3Pool").bytecode);
const SUBSCRIBED = new Set<string>([...V2_TOPICS, ...V3_TOPICS]);
const FEE = 3000; // V3 tick spacing 60
const TIMEOUT_MS = 60_000;

/** A decoded TLV with its type name; pool ids as text. */
type Tlv = Record<string, unknown> & { type: string };

function readTlvs(p: FrameParser, out: Tlv[]): void {
  for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) {
    const v = p.readTlv()! as Record<string, unknown>;
    out.push({ ...v, type: LAYOUT_BY_TYPE[p.tlvType]!.name, pool: String(v.pool) });
  }
}

let anvil: Anvil;
let chain: LocalChain;
let d: V3Deployment;
let pair: Address;
let v2Factory: Address;
let ids: Map<string, string>;
/** Every receipt of the pool operations, in order. */
const receipts: TransactionReceipt[] = [];
/** Block timestamps, for the expected timestamp_ns (anvil's logs carry blockTimestamp). */
const blockTimes = new Map<bigint, bigint>();

const erc20 = () => d.contracts.TestERC20.abi;
const send = (address: Address, abi: Abi, functionName: string, args: readonly unknown[] = []) =>
  chain.send({ address, abi, functionName, args });

/** Several transactions in one block: sent without mining, then one evm_mine, then the receipts. */
async function sendInOneBlock(
  calls: { address: Address; abi: Abi; functionName: string; args: readonly unknown[] }[],
): Promise<TransactionReceipt[]> {
  const nonce = await chain.publicClient.getTransactionCount({ address: chain.account, blockTag: "pending" });
  const hashes: Hex[] = [];
  for (const [i, call] of calls.entries()) {
    hashes.push(
      await chain.wallet.writeContract({
        ...call,
        gas: 6_000_000n,
        nonce: nonce + i,
        chain: chain.wallet.chain,
        account: chain.account,
      } as never),
    );
  }
  await chain.testClient.mine({ blocks: 1 });
  const out = await Promise.all(hashes.map((hash) => chain.publicClient.getTransactionReceipt({ hash })));
  for (const r of out) if (r.status !== "success") throw new Error(`reverted in block ${r.blockNumber}`);
  return out;
}

// ---- pool operations: each records its receipts ----

async function v3Swap(zeroForOne: boolean, amountSpecified: bigint): Promise<void> {
  const limit = zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n;
  receipts.push(
    await send(d.callee, d.contracts.V3PoolCallee.abi, "swap", [
      d.pool,
      zeroForOne,
      amountSpecified,
      limit,
      chain.account,
    ]),
  );
}
async function v3Mint(tickLower: number, tickUpper: number, liquidity: bigint): Promise<void> {
  receipts.push(
    await send(d.callee, d.contracts.V3PoolCallee.abi, "mint", [
      d.pool,
      chain.account,
      tickLower,
      tickUpper,
      liquidity,
    ]),
  );
}
async function v3Burn(tickLower: number, tickUpper: number, liquidity: bigint): Promise<void> {
  receipts.push(await send(d.pool, d.poolAbi, "burn", [tickLower, tickUpper, liquidity]));
}
async function v2Reserves(blockNumber?: bigint): Promise<[bigint, bigint]> {
  const r = (await chain.publicClient.readContract({
    address: pair,
    abi: V2_PAIR.abi,
    functionName: "getReserves",
    ...(blockNumber === undefined ? {} : { blockNumber }),
  })) as [bigint, bigint, number];
  return [r[0], r[1]];
}
/** Exact input of token0 (or token1): transfer in, then swap out getAmountOut (UniswapV2Library) of the reserves. */
async function v2Swap(zeroForOne: boolean, amountIn: bigint): Promise<void> {
  const [r0, r1] = await v2Reserves();
  receipts.push(await send(zeroForOne ? d.token0 : d.token1, erc20(), "transfer", [pair, amountIn]));
  const out = zeroForOne ? getAmountOut(amountIn, r0, r1) : getAmountOut(amountIn, r1, r0);
  receipts.push(
    await send(pair, V2_PAIR.abi, "swap", [zeroForOne ? 0n : out, zeroForOne ? out : 0n, chain.account, "0x"]),
  );
}
async function v2Mint(amount0: bigint, amount1: bigint): Promise<void> {
  receipts.push(await send(d.token0, erc20(), "transfer", [pair, amount0]));
  receipts.push(await send(d.token1, erc20(), "transfer", [pair, amount1]));
  receipts.push(await send(pair, V2_PAIR.abi, "mint", [chain.account]));
}
async function v2Burn(lp: bigint): Promise<void> {
  receipts.push(await send(pair, V2_PAIR.abi, "transfer", [pair, lp]));
  receipts.push(await send(pair, V2_PAIR.abi, "burn", [chain.account]));
}
/** A donation then sync(): a Sync without Swap/Mint/Burn. */
async function v2Donate(amount1: bigint): Promise<void> {
  receipts.push(await send(d.token1, erc20(), "transfer", [pair, amount1]));
  receipts.push(await send(pair, V2_PAIR.abi, "sync", []));
}

/**
 * The TLVs the collector must publish for these receipts, decoded here from the artifacts' event ABIs (viem), in
 * chain order: only the logs of the two pools with a subscribed topic0 (V3 Initialize, ERC-20 Transfer... are not).
 */
function expectedEvents(rs: readonly TransactionReceipt[]): Tlv[] {
  const out: Tlv[] = [];
  for (const r of rs) {
    for (const log of r.logs as Log[]) {
      const address = log.address.toLowerCase();
      if ((address !== d.pool.toLowerCase() && address !== pair.toLowerCase()) || !SUBSCRIBED.has(log.topics[0]!)) {
        continue;
      }
      const v3 = address === d.pool.toLowerCase();
      const [ev] = parseEventLogs({ abi: v3 ? d.poolAbi : V2_PAIR.abi, logs: [log] }) as unknown as {
        eventName: string;
        args: Record<string, bigint | number | string>;
      }[];
      const a = ev.args;
      const head = {
        pool: ids.get(address)!,
        blockNumber: log.blockNumber!,
        logIndex: log.logIndex!,
        flags: v3 ? 2 : 0,
        token0Decimals: 18,
        token1Decimals: 18,
        txHash: log.transactionHash!.toLowerCase(),
        timestampNs: blockTimes.get(log.blockNumber!)! * 1_000_000_000n,
      };
      const owner = (x: unknown) => String(x).toLowerCase();
      const noTicks = { tickLower: 0, tickUpper: 0, liquidity: 0n };
      switch (`${v3 ? "V3" : "V2"}${ev.eventName}`) {
        case "V3Swap": {
          const a0 = a.amount0 as bigint;
          const a1 = a.amount1 as bigint;
          out.push({
            type: "PoolSwap",
            ...head,
            amount0In: a0 > 0n ? a0 : 0n,
            amount1In: a1 > 0n ? a1 : 0n,
            amount0Out: a0 < 0n ? -a0 : 0n,
            amount1Out: a1 < 0n ? -a1 : 0n,
            sqrtPriceX96: a.sqrtPriceX96,
            liquidity: a.liquidity,
            tick: Number(a.tick),
          });
          break;
        }
        case "V3Mint":
        case "V3Burn":
          out.push({
            type: ev.eventName === "Mint" ? "PoolMint" : "PoolBurn",
            ...head,
            owner: owner(a.owner),
            tickLower: Number(a.tickLower),
            tickUpper: Number(a.tickUpper),
            liquidity: a.amount,
            amount0: a.amount0,
            amount1: a.amount1,
          });
          break;
        case "V2Sync":
          out.push({ type: "PoolSync", ...head, reserve0: a.reserve0, reserve1: a.reserve1 });
          break;
        case "V2Swap":
          out.push({
            type: "PoolSwap",
            ...head,
            amount0In: a.amount0In,
            amount1In: a.amount1In,
            amount0Out: a.amount0Out,
            amount1Out: a.amount1Out,
            sqrtPriceX96: 0n,
            liquidity: 0n,
            tick: 0,
          });
          break;
        case "V2Mint":
        case "V2Burn":
          out.push({
            type: ev.eventName === "Mint" ? "PoolMint" : "PoolBurn",
            ...head,
            owner: owner(a.sender),
            ...noTicks,
            amount0: a.amount0,
            amount1: a.amount1,
          });
          break;
        default:
          throw new Error(`unexpected event ${ev.eventName}`);
      }
    }
  }
  return out;
}

async function recordBlockTimes(rs: readonly TransactionReceipt[]): Promise<void> {
  for (const r of rs) {
    if (!blockTimes.has(r.blockNumber)) {
      blockTimes.set(r.blockNumber, (await chain.publicClient.getBlock({ blockNumber: r.blockNumber })).timestamp);
    }
  }
}

/** The state each event leaves, read from the contracts at its block: V3 Swap -> slot0 + liquidity, V2 Sync -> getReserves. */
async function checkAgainstReads(events: readonly Tlv[]): Promise<number> {
  let checked = 0;
  for (const e of events) {
    const blockNumber = e.blockNumber as bigint;
    if (e.type === "PoolSwap" && e.flags === 2) {
      const [slot0, liquidity] = await Promise.all([
        chain.publicClient.readContract({ address: d.pool, abi: d.poolAbi, functionName: "slot0", blockNumber }),
        chain.publicClient.readContract({ address: d.pool, abi: d.poolAbi, functionName: "liquidity", blockNumber }),
      ]);
      const s = slot0 as readonly [bigint, number];
      expect([e.sqrtPriceX96, e.tick, e.liquidity]).toEqual([s[0], Number(s[1]), liquidity as bigint]);
      checked++;
    }
    if (e.type === "PoolSync") {
      expect([e.reserve0, e.reserve1]).toEqual(await v2Reserves(blockNumber));
      checked++;
    }
  }
  return checked;
}

/** PoolState of both pools at a block, from the contracts. */
async function statesAt(blockNumber: bigint): Promise<Tlv[]> {
  const [slot0, liquidity] = await Promise.all([
    chain.publicClient.readContract({ address: d.pool, abi: d.poolAbi, functionName: "slot0", blockNumber }),
    chain.publicClient.readContract({ address: d.pool, abi: d.poolAbi, functionName: "liquidity", blockNumber }),
  ]);
  const [reserve0, reserve1] = await v2Reserves(blockNumber);
  const common = {
    type: "PoolState",
    blockNumber,
    timestampNs: 0n,
    token0: d.token0.toLowerCase(),
    token1: d.token1.toLowerCase(),
    token0Decimals: 18,
    token1Decimals: 18,
  };
  return [
    {
      ...common,
      pool: ids.get(d.pool.toLowerCase()),
      feePpm: FEE,
      tickSpacing: 60,
      protocol: 3,
      reserve0: 0n,
      reserve1: 0n,
      sqrtPriceX96: (slot0 as readonly [bigint])[0],
      liquidity,
      tick: Number((slot0 as readonly [bigint, number])[1]),
    },
    {
      ...common,
      pool: ids.get(pair.toLowerCase()),
      feePpm: 3000,
      tickSpacing: 0,
      protocol: 2,
      reserve0,
      reserve1,
      sqrtPriceX96: 0n,
      liquidity: 0n,
      tick: 0,
    },
  ];
}

const extraFactories = (): KnownFactory[] => [
  {
    factory: d.factory.toLowerCase() as Address,
    venue: VenueId.UniswapV3,
    protocol: 3,
    initCodeHash: V3_INIT_CODE_HASH,
  },
  {
    factory: v2Factory.toLowerCase() as Address,
    venue: VenueId.UniswapV2,
    protocol: 2,
    initCodeHash: V2_INIT_CODE_HASH,
    v2FeePpm: 3000,
  },
];

const wsUrl = () => anvil.url.replace(/^http/, "ws");

beforeAll(async () => {
  anvil = await startAnvil();
  chain = localChain(anvil);
  d = await deployV3(chain, FEE);
  v2Factory = await chain.deploy(V2_FACTORY, [chain.account]);
  await send(v2Factory, V2_FACTORY.abi, "createPair", [d.token0, d.token1]);
  pair = (await chain.publicClient.readContract({
    address: v2Factory,
    abi: V2_FACTORY.abi,
    functionName: "getPair",
    args: [d.token0, d.token1],
  })) as Address;
  ids = new Map([
    [d.pool.toLowerCase(), InstrumentId.pool(VenueId.UniswapV3, 31337, d.pool.toLowerCase()).toString()],
    [pair.toLowerCase(), InstrumentId.pool(VenueId.UniswapV2, 31337, pair.toLowerCase()).toString()],
  ]);
  // liquidity before the collector starts: its start PoolState must show it
  await send(d.pool, d.poolAbi, "initialize", [79228162514264337593543950336n]); // price 1, tick 0
  await v3Mint(-6000, 6000, 10n ** 22n);
  await v2Mint(10n ** 21n, 2n * 10n ** 21n);
  receipts.length = 0;
}, TIMEOUT_MS);

afterAll(async () => {
  await anvil?.stop();
});

describe("Polygon collector on a real anvil chain (eth_subscribe logs, eth_getLogs backfill)", () => {
  test("init code hashes from the artifacts; without the extra factories both local pools are refused (UnknownFactory)", async () => {
    // v3-core's UniswapV3Pool is the canonical bytecode; QuickSwap's pair is the unmodified UniswapV2Pair, so the
    // v2-core pair hashes to QuickSwap's (and Uniswap V2 mainnet's) init code hash. The local factories still need
    // configuring: CREATE2 derives from the factory address, and anvil's factories are at their own addresses.
    expect(V3_INIT_CODE_HASH).toBe(POLYGON_FACTORIES.get("0x1f98431c8ad98523631ae4a59f267346ea31f984")!.initCodeHash);
    expect(V2_INIT_CODE_HASH).toBe(POLYGON_FACTORIES.get("0x5757371414417b8c6caad45baef941abc7d3ab32")!.initCodeHash);
    const problems: unknown[] = [];
    const changed = new Until();
    const publisher = new MarketPublisher({ source: SourceType.PolygonCollector, name: "test", sink: () => {} });
    const client = new PolygonDataClient(
      { url: wsUrl(), pools: [d.pool, pair], chainId: 31337, maxRequestsPerSecond: 10_000 },
      publisher,
      {
        onProblem: (_what, e) => {
          problems.push(e);
          changed.check();
        },
      },
    );
    try {
      const code = (e: unknown) => (e instanceof PolygonCollectorError ? e.code : String(e));
      await changed.until(() => problems.some((e) => code(e) === "NoPools"));
      expect(problems.slice(0, 3).map(code)).toEqual(["UnknownFactory", "UnknownFactory", "NoPools"]);
      expect(publisher.framesOut).toBe(0);
    } finally {
      client.stop();
    }
  });

  test("main.ts refuses a malformed --factory with one line and exit 1", async () => {
    const c = new Child([MAIN, "--url", wsUrl(), "--relay", "/tmp/none.sock", "--factory", `${d.factory}:v4:0x12`]);
    expect(await c.proc.exited).toBe(1);
    await c.waitStderr(/--factory .*the AMM must be v2 or v3/);
  });

  test(
    "live: swaps, mints, burns and syncs of a V3 pool and a V2 pair published exactly once, equal to the receipts' logs and to contract reads; then a restarted service backfills exactly the missed events",
    async () => {
      // ---- phase 1: the collector in-process, a MarketPublisher sink ----
      const tlvs: Tlv[] = [];
      const problems: unknown[] = [];
      const changed = new Until();
      const parser = new FrameParser();
      const publisher = new MarketPublisher({
        source: SourceType.PolygonCollector,
        name: "test",
        sink: (frame) => {
          if (parser.check(frame) !== 0) throw new Error(`invalid frame (code ${parser.lastError})`);
          readTlvs(parser, tlvs);
          changed.check();
        },
      });
      const client = new PolygonDataClient(
        {
          url: wsUrl(),
          pools: [d.pool, pair],
          chainId: 31337,
          extraFactories: extraFactories(),
          maxRequestsPerSecond: 10_000,
        },
        publisher,
        { onProblem: (_what, e) => problems.push(e) },
      );
      const events = () => tlvs.filter((t) => t.type !== "PoolState");
      try {
        await client.ready();
        const head = await chain.publicClient.getBlockNumber({ cacheTime: 0 });
        // the start snapshot: both pools at the head, the metadata read by eth_call
        expect(tlvs).toEqual(await statesAt(head));

        await v3Swap(true, 10n ** 18n); // exact input token0
        await v3Swap(false, -(5n * 10n ** 17n)); // exact output token0
        await v3Mint(-600, 1200, 3n * 10n ** 21n);
        await v3Burn(-600, 1200, 10n ** 21n);
        await v2Swap(true, 10n ** 18n);
        await v2Swap(false, 3n * 10n ** 18n);
        await v2Mint(10n ** 19n, 2n * 10n ** 19n);
        await v2Burn(10n ** 18n);
        await v2Donate(7n);
        // two pools' events in one block: a V3 swap and a V2 swap (token already transferred in)
        const [r0, r1] = await v2Reserves();
        receipts.push(await send(d.token0, erc20(), "transfer", [pair, 2n * 10n ** 18n]));
        receipts.push(
          ...(await sendInOneBlock([
            {
              address: d.callee,
              abi: d.contracts.V3PoolCallee.abi,
              functionName: "swap",
              args: [d.pool, true, 4n * 10n ** 18n, MIN_SQRT_RATIO + 1n, chain.account],
            },
            {
              address: pair,
              abi: V2_PAIR.abi,
              functionName: "swap",
              args: [0n, getAmountOut(2n * 10n ** 18n, r0, r1), chain.account, "0x"],
            },
          ])),
        );
        await recordBlockTimes(receipts);
        const want = expectedEvents(receipts);
        const count = (type: string) => want.filter((e) => e.type === type).length;
        expect([count("PoolSwap"), count("PoolMint"), count("PoolBurn"), count("PoolSync")]).toEqual([6, 2, 2, 6]);
        // the last block holds both pools' events: the V3 Swap, then the pair's Sync and Swap
        const last = want.filter((e) => e.blockNumber === want.at(-1)!.blockNumber);
        expect(last.map((e) => `${e.type}:${e.flags}`)).toEqual(["PoolSwap:2", "PoolSync:0", "PoolSwap:0"]);
        await changed.until(() => events().length >= want.length);
        expect(events()).toEqual(want);
        expect(await checkAgainstReads(events())).toBe(3 + 6); // 3 V3 swaps, 6 syncs
        const c = client.stats();
        expect([
          c.swaps,
          c.mints,
          c.burns,
          c.syncs,
          c.duplicates,
          c.decodeErrors,
          c.unknownPoolLogs,
          c.ignoredLogs,
        ]).toEqual([6, 2, 2, 6, 0, 0, 0, 0]);
        expect([c.pools, c.poolsRefused, c.snapshots, c.backfills, c.corrections]).toEqual([2, 0, 2, 0, 0]);
        expect(problems).toEqual([]);
      } finally {
        client.stop();
      }

      // ---- phase 2: stopped; more swaps; main.ts restarted with --from-block through a real relay ----
      const fromBlock = (await chain.publicClient.getBlockNumber({ cacheTime: 0 })) + 1n;
      receipts.length = 0;
      await v3Swap(false, 2n * 10n ** 18n);
      await v2Swap(true, 5n * 10n ** 17n);
      await v3Burn(-6000, 6000, 10n ** 20n);
      await v2Burn(10n ** 17n);
      await recordBlockTimes(receipts);
      const missed = expectedEvents(receipts);
      // V3 Swap; V2 Sync + Swap; V3 Burn; V2 Sync + Burn
      expect(missed.map((e) => e.type)).toEqual([
        "PoolSwap",
        "PoolSync",
        "PoolSwap",
        "PoolBurn",
        "PoolSync",
        "PoolBurn",
      ]);
      const before = await statesAt(fromBlock - 1n);

      using tmp = tempDir();
      const socketPath = join(tmp.dir, "md.sock");
      const relay = await startRelay("market-data", socketPath);
      const got: Tlv[] = [];
      const until = new Until();
      const sub = new BusClient({
        socketPath,
        domain: 1,
        source: 91,
        role: Role.Subscriber,
        name: "test",
        onFrame: (_frame, p) => {
          readTlvs(p, got);
          until.check();
        },
      });
      await sub.ready();
      const [f3, f2] = extraFactories();
      const collector = new Child(
        [
          MAIN,
          "--url",
          wsUrl(),
          "--relay",
          socketPath,
          "--pools",
          `${d.pool},${pair}`,
          "--chain-id",
          "31337",
          "--from-block",
          String(fromBlock),
          "--factory",
          `${f3.factory}:v3:${f3.initCodeHash}`,
          "--factory",
          `${f2.factory}:v2:${f2.initCodeHash}:uniswap_v2`,
          "--max-rps",
          "1000",
        ],
        { AP_STATS_INTERVAL_MS: "50" },
      );
      try {
        await collector.waitStdout(/^ready polygon: 2 pools, head \d+, subscription 0x/m);
        await until.until(() => got.length >= before.length + missed.length);

        // the snapshot at fromBlock - 1, then each missed event once, in chain order
        expect(got).toEqual([...before, ...missed]);
        // live again: one more block, delivered by the subscription
        receipts.length = 0;
        await v3Swap(true, 10n ** 17n);
        await v2Donate(11n);
        await recordBlockTimes(receipts);
        const live = expectedEvents(receipts);
        expect(live.length).toBe(2);
        await until.until(() => got.length >= before.length + missed.length + live.length);
        expect(got.slice(before.length + missed.length)).toEqual(live);
        expect(await checkAgainstReads([...missed, ...live])).toBe(5);
        await collector.waitStdout(/"syncs":3/);
        const stats = collector.stdout
          .split("\n")
          .map(parseServiceLine)
          .filter((l) => l.kind === "stats")
          .at(-1)!;
        expect(stats.kind === "stats" && stats.stats).toMatchObject({
          pools: 2,
          poolsRefused: 0,
          backfills: 1,
          backfilledLogs: missed.length,
          duplicates: 0,
          decodeErrors: 0,
          swaps: 3,
          syncs: 3,
          burns: 2,
          snapshots: 2,
        });
        collector.kill("SIGTERM");
        expect(await collector.proc.exited).toBe(0);
        expect(got.length).toBe(before.length + missed.length + live.length);
      } finally {
        collector.kill();
        sub.close();
        relay.kill("SIGTERM");
        await relay.proc.exited;
      }
    },
    TIMEOUT_MS,
  );
});
