/**
 * `ap bench pipeline`: tick-to-signal latency across processes. A market data frame (a Kraken ETH/USD OrderBook
 * update) enters the market data relay; the flash-arbitrage strategy (a child process) sizes the CEX-DEX trade it
 * opens against a QuickSwap V2 pool and publishes SignalIdentity + Economics + ArbitrageSignal on the signal relay;
 * the latency is measured until that frame leaves the signal relay and reaches a subscriber. Both relays and the
 * strategy are the real services (`bun src/behavior/relay/main.ts`, `.../flash-arbitrage/main.ts`).
 *
 * Every book update makes a different, profitable opportunity (the bid levels grow by one lot and rise 0.001 USD per
 * update, which moves the optimal size, so no signal is a repeat). The strategy runs with --deterministic, so the signal's timestamp_ns is the book's exchange
 * time, T0 + frame number * (1 ms + 1 ns), which maps each signal back to its send time. Publisher and subscriber share this process
 * and its clock (Bun.nanoseconds); frames are paced by a 1 ms interval (~1k events/s, steady).
 *
 * Also measured in the same run, as the baseline: the strategy's own work per frame in-process (apply the book,
 * size the trade with the exact math, build the signal frame) on the same frames.
 *
 *   node_modules/.bin/bun bench/pipeline.ts            # 3 rounds x 6500 frames, first 2500 not recorded (~25 s), table + bench/results/pipeline-*.json
 *   node_modules/.bin/bun bench/pipeline.ts --quick    # 1 round x 1500 frames, rough numbers, writes nothing
 *   node_modules/.bin/bun bench/pipeline.ts --json     # the result object on stdout instead of the table
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type TransitRow, TransitTrace } from "../src/behavior/relay/transit-trace.ts";
import { resolveFlashArbitrageConfig } from "../src/behavior/strategies/flash-arbitrage/config.ts";
import { FlashArbitrage } from "../src/behavior/strategies/flash-arbitrage/flash-arbitrage.ts";
import { BusClient, Role } from "../src/behavior/transport/bus-client.ts";
import { InstrumentId } from "../src/data/instrument-id.ts";
import type { OrderBook, PoolState } from "../src/data/tlv-layouts.ts";
import { SourceType, VenueId } from "../src/data/venues.ts";
import { FrameBuilder } from "../src/rules/builder.ts";
import { FrameParser } from "../src/rules/parser.ts";
import { machine } from "./lib/relay-workers.ts";
import { type Percentiles, percentilesUs, writeResults } from "./lib/results.ts";

export interface BenchPipelineOptions {
  /** One short round: numbers are rough, nothing is written unless outDir is given. */
  quick?: boolean;
  json?: boolean;
  outDir?: string;
  quiet?: boolean;
}

const ROOT = join(import.meta.dir, "..");
const E8 = 100_000_000n;
const T0 = 1_700_000_000_000_000_000n;
const KRAKEN_ETH = InstrumentId.spot(VenueId.Kraken, "ETH", "USD");
const KRAKEN_POL = InstrumentId.spot(VenueId.Kraken, "POL", "USD");
const POOL = InstrumentId.pool(VenueId.QuickSwap, 137, "0x853ee4b2a13f8a742d64c8f088be7ba2131f670d");
const CONFIG_TOML =
  "[strategies.flash_arbitrage]\ndeterministic = true\nmin_profit_usd_e8 = 100000000\nvalid_for_ms = 1\n";
/** Book update i carries exchange time T0 + i * STEP_NS: 1 ms + 1 ns apart, so with valid_for_ms = 1 no signal repeats one still valid. */
const STEP_NS = 1_000_001n;

function setupFrames(b: FrameBuilder): Uint8Array[] {
  const pool: PoolState = {
    pool: POOL,
    blockNumber: 50_000_000n,
    timestampNs: T0,
    token0: "0x2791bca1f2de4661ed88a30c99a7a9449aa84174",
    token1: "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619",
    feePpm: 3000,
    tickSpacing: 0,
    token0Decimals: 6,
    token1Decimals: 18,
    protocol: 2,
    reserve0: 2_000_000n * 10n ** 6n,
    reserve1: 1000n * 10n ** 18n,
    sqrtPriceX96: 0n,
    liquidity: 0n,
    tick: 0,
  };
  const pol: OrderBook = {
    instrument: KRAKEN_POL,
    exchangeTsNs: T0,
    updateId: 1n,
    flags: 1,
    bids: [{ price: 50_000_000n, size: 10n ** 6n * E8, orderCount: 0 }],
    asks: [{ price: 50_010_000n, size: 10n ** 6n * E8, orderCount: 0 }],
  };
  return [
    b
      .begin(T0)
      .add("GasPrice", { chainId: 137, blockNumber: 1n, baseFeeWei: 30_000_000_000n, priorityFeeWei: 0n })
      .finish()
      .slice(),
    b.begin(T0).add("OrderBook", pol).finish().slice(),
    b.begin(T0).add("PoolState", pool).finish().slice(),
  ];
}

/** Book update number i: 10 levels a side, 1 ETH + i lots each, bids up 0.001 USD per update (a new optimal size each time). */
function bookFrame(b: FrameBuilder, i: number): Uint8Array {
  const bids = [];
  const asks = [];
  for (let k = 0n; k < 10n; k++) {
    bids.push({ price: 2030n * E8 - k * E8 + BigInt(i) * 100_000n, size: E8 + BigInt(i) * 10_000n, orderCount: 0 });
    asks.push({ price: 2031n * E8 + k * E8 + BigInt(i) * 100_000n, size: E8, orderCount: 0 });
  }
  const ts = T0 + BigInt(i) * STEP_NS;
  return b
    .begin(ts)
    .add("OrderBook", { instrument: KRAKEN_ETH, exchangeTsNs: ts, updateId: ts, flags: 1, bids, asks })
    .finish()
    .slice();
}

/** Starts a child and resolves when it prints its `ready` line. */
async function startChild(args: string[]): Promise<Subprocess<"ignore", "pipe", "inherit">> {
  const proc = Bun.spawn([process.execPath, ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
    env: { ...process.env, AP_STATS_INTERVAL_MS: "600000", AP_LOG_LEVEL: "1" },
  });
  const reader = proc.stdout.getReader();
  let text = "";
  while (!/^ready/m.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`${args.join(" ")} exited before ready: ${text}`);
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void proc.stdout.pipeTo(new WritableStream()); // keep draining its stats lines
  return proc;
}

interface RoundResult {
  /** The interval: the book frame entering the market data relay -> the signal leaving the signal relay. */
  relayToRelay: Percentiles;
  /** Publisher send -> subscriber receive (adds the two outer socket hops). */
  endToEnd: Percentiles;
  /**
   * The interval in three parts, from the relay traces: the market data relay (receive -> its write to the strategy
   * returned), the strategy leg (that write -> the signal's chunk received by the signal relay: the socket hop in,
   * the strategy's work, its write, the hop out), the signal relay (receive -> its write to the subscriber returned).
   */
  parts: { marketDataRelay: Percentiles; strategyLeg: Percentiles; signalRelay: Percentiles };
  lost: number;
}

async function measureRound(frames: number, warmup: number): Promise<RoundResult> {
  const dir = mkdtempSync(join(tmpdir(), "ap-bench-pipeline-"));
  const md = join(dir, "market-data.sock");
  const sig = join(dir, "signal.sock");
  const mdTrace = join(dir, "market-data.trace");
  const sigTrace = join(dir, "signal.trace");
  writeFileSync(join(dir, "ap.toml"), CONFIG_TOML);
  const children: Subprocess[] = [];
  const stopChildren = async () => {
    for (const c of children) c.kill("SIGTERM");
    await Promise.all(children.map((c) => c.exited));
  };
  try {
    const relay = (domain: string, socket: string, trace: string) =>
      startChild([join(ROOT, "src/behavior/relay/main.ts"), "--domain", domain, "--socket", socket, "--trace", trace]);
    children.push(await relay("market-data", md, mdTrace));
    children.push(await relay("signal", sig, sigTrace));
    children.push(
      await startChild([
        join(ROOT, "src/behavior/strategies/flash-arbitrage/main.ts"),
        "--config",
        join(dir, "ap.toml"),
        "--market-data-socket",
        md,
        "--signal-socket",
        sig,
      ]),
    );
    const sentAt = new Float64Array(frames + 1);
    const endToEnd: number[] = [];
    /** Per book frame i: the header sequence of its signal (0: none). */
    const signalSeq = new Float64Array(frames);
    let received = 0;
    let finish: () => void = () => {};
    const done = new Promise<void>((r) => (finish = r));
    // signal timestamp_ns = book exchange time = T0 + i * STEP_NS: ArbitrageSignal is the third TLV, its timestamp at value
    // offset 200 (32 header + 2+16 + 2+32 + 2 TLV header + 200)
    const TS_AT = 32 + 18 + 34 + 2 + 200;
    const sub = new BusClient({
      socketPath: sig,
      domain: 2,
      source: SourceType.Dashboard,
      role: Role.Subscriber,
      types: [32],
      onFrame: (frame, parser) => {
        const t = Bun.nanoseconds();
        const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
        const i = Number((dv.getBigUint64(TS_AT, true) - T0) / STEP_NS);
        if (i >= warmup && i < frames) {
          endToEnd.push(t - sentAt[i]);
          signalSeq[i] = parser.sequenceNumber;
        }
        if (++received >= frames) finish();
      },
    });
    const pub = new BusClient({ socketPath: md, domain: 1, source: SourceType.Replay, role: Role.Publisher });
    await Promise.all([sub.ready(), pub.ready()]);
    const b = new FrameBuilder({ domain: 1, source: SourceType.Replay });
    for (const f of setupFrames(b)) pub.send(f);
    const prepared = Array.from({ length: frames }, (_, i) => bookFrame(b, i));
    const p = new FrameParser();
    const bookSeq = prepared.map((f) => {
      p.check(f);
      return p.sequenceNumber;
    });
    let i = 0;
    const timer = setInterval(() => {
      if (i >= frames) return;
      sentAt[i] = Bun.nanoseconds();
      pub.send(prepared[i++]);
    }, 1);
    // every frame makes a signal; a lost one would stop the round: give up 2 s after the last send
    const deadline = new Promise<void>((r) => {
      const check = setInterval(() => {
        if (i >= frames) {
          clearInterval(check);
          setTimeout(r, 2000);
        }
      }, 50);
    });
    await Promise.race([done, deadline]);
    clearInterval(timer);
    pub.close();
    sub.close();
    // the relays write their traces when they stop
    await stopChildren();
    const books = new Map<number, TransitRow>();
    for (const r of TransitTrace.read(mdTrace)) if (r.source === SourceType.Replay) books.set(r.sequence, r);
    const signals = new Map<number, TransitRow>();
    for (const r of TransitTrace.read(sigTrace))
      if (r.source === SourceType.ArbitrageStrategy) signals.set(r.sequence, r);
    const relayToRelay: number[] = [];
    const mdRelay: number[] = [];
    const strategyLeg: number[] = [];
    const signalRelay: number[] = [];
    for (let k = warmup; k < frames; k++) {
      const book = books.get(bookSeq[k]);
      const signal = signals.get(signalSeq[k]);
      if (signalSeq[k] === 0 || book === undefined || signal === undefined) continue;
      relayToRelay.push(signal.outNs - book.inNs);
      mdRelay.push(book.outNs - book.inNs);
      strategyLeg.push(signal.inNs - book.outNs);
      signalRelay.push(signal.outNs - signal.inNs);
    }
    if (relayToRelay.length !== endToEnd.length) {
      throw new Error(`relay traces matched ${relayToRelay.length} of ${endToEnd.length} signals`);
    }
    return {
      relayToRelay: percentilesUs(relayToRelay),
      endToEnd: percentilesUs(endToEnd),
      parts: {
        marketDataRelay: percentilesUs(mdRelay),
        strategyLeg: percentilesUs(strategyLeg),
        signalRelay: percentilesUs(signalRelay),
      },
      lost: frames - received,
    };
  } finally {
    await stopChildren();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The strategy's own work per book frame, in-process: apply, size, build the signal. */
function measureCompute(frames: number): Percentiles {
  const config = resolveFlashArbitrageConfig({ deterministic: true, min_profit_usd_e8: 100_000_000, valid_for_ms: 1 });
  let signals = 0;
  const fa = new FlashArbitrage(config, () => signals++);
  const b = new FrameBuilder({ domain: 1, source: SourceType.Replay });
  const p = new FrameParser();
  for (const f of setupFrames(b)) {
    p.check(f);
    fa.onMarketFrame(p);
  }
  const prepared = Array.from({ length: frames }, (_, i) => bookFrame(b, i));
  const ns: number[] = [];
  for (let i = 0; i < frames; i++) {
    const t = Bun.nanoseconds();
    p.check(prepared[i]);
    fa.onMarketFrame(p);
    ns.push(Bun.nanoseconds() - t);
  }
  if (signals !== frames)
    throw new Error(
      `expected ${frames} signals in-process, got ${signals}: ${JSON.stringify(fa.counters)} ${String(fa.lastError)}`,
    );
  return percentilesUs(ns.slice(Math.floor(frames / 4)));
}

export async function benchPipeline(options: BenchPipelineOptions = {}): Promise<unknown> {
  const quick = options.quick ?? false;
  const rounds = quick ? 1 : 3;
  // Relays and strategy are fresh processes every round: their JIT tier-ups take the first second or two (the
  // strategy's exact bigint sizing the longest), so the first 2.5 s are not recorded (bench/README.md).
  const frames = quick ? 1500 : 6500;
  const warmup = quick ? 300 : 2500;
  const compute = measureCompute(frames);
  const results: RoundResult[] = [];
  for (let r = 0; r < rounds; r++) results.push(await measureRound(frames, warmup));
  const median = (which: "relayToRelay" | "endToEnd") => {
    const m = (k: keyof Percentiles) => {
      const v = results.map((x) => x[which][k]).sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)];
    };
    return { p50: m("p50"), p99: m("p99"), p999: m("p999") };
  };
  const out = {
    benchmark: "pipeline",
    date: new Date().toISOString(),
    quick,
    machine: machine(),
    method: {
      rounds,
      framesPerRound: frames,
      warmup,
      rate: "1 frame per 1 ms interval (~1k events/s, steady)",
      frame: "Kraken ETH/USD OrderBook snapshot, 10+10 levels (extended TLV, 573 bytes)",
      path: "publisher -> market-data relay -> flash-arbitrage (exact V2 vs CEX sizing) -> signal relay -> subscriber",
      tickToSignal:
        "the issue's interval: the book frame entering the market data relay (its chunk's receive time) -> the signal leaving the signal relay (its write returned); both relays run with --trace (docs/relay.md), CLOCK_MONOTONIC",
      endToEnd: "publisher send -> subscriber receive, one process, Bun.nanoseconds; adds the two outer socket hops",
      statistic: "median of rounds",
    },
    targets: { p50Us: 50, p99Us: 200 },
    results: {
      tickToSignalUs: median("relayToRelay"),
      endToEndUs: median("endToEnd"),
      rounds: results,
      strategyComputeUs: compute,
    },
  };
  const dir = options.outDir ?? (quick ? undefined : join(import.meta.dir, "results"));
  if (dir !== undefined) writeResults(dir, "pipeline", out);
  if (options.quiet) return out;
  if (options.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else process.stdout.write(table(out));
  return out;
}

function table(out: {
  machine: Record<string, unknown>;
  quick: boolean;
  results: {
    tickToSignalUs: { p50: number; p99: number; p999: number };
    endToEndUs: { p50: number; p99: number; p999: number };
    rounds: RoundResult[];
    strategyComputeUs: Percentiles;
  };
}): string {
  const m = out.machine;
  const r = out.results;
  const pad = (x: number | string, n: number) => String(x).padStart(n);
  const row = (name: string, l: Percentiles) =>
    `${name.padEnd(52)}${pad(l.p50, 10)}${pad(l.p99, 10)}${pad(l.p999, 10)}${pad(l.max, 10)}${pad(l.samples, 9)}\n`;
  let s = `pipeline benchmark - ${m.cpuModel}, ${m.cores} cores, Bun ${m.bun}${out.quick ? " (quick: rough numbers)" : ""}\n`;
  s += `${"case".padEnd(52)}${pad("p50 us", 10)}${pad("p99 us", 10)}${pad("p99.9 us", 10)}${pad("max us", 10)}${pad("samples", 9)}\n`;
  r.rounds.forEach((x, i) => {
    const lost = x.lost ? ` (${x.lost} lost)` : "";
    s += row(`tick-to-signal (relay in -> relay out), round ${i + 1}${lost}`, x.relayToRelay);
    s += row("  of it: market data relay (in -> written)", x.parts.marketDataRelay);
    s += row("  of it: hop, strategy, hop (-> signal relay in)", x.parts.strategyLeg);
    s += row("  of it: signal relay (in -> written)", x.parts.signalRelay);
    s += row(`  end to end (publisher -> subscriber), round ${i + 1}`, x.endToEnd);
  });
  s += row("baseline: strategy work in-process", r.strategyComputeUs);
  const t = r.tickToSignalUs;
  const e = r.endToEndUs;
  s += `tick-to-signal, market data relay in -> signal relay out (median of rounds): p50 ${t.p50} us (target < 50: ${t.p50 < 50 ? "met" : "MISSED"}), p99 ${t.p99} us (target < 200: ${t.p99 < 200 ? "met" : "MISSED"}), p99.9 ${t.p999} us\n`;
  s += `end to end, publisher -> subscriber: p50 ${e.p50} us, p99 ${e.p99} us, p99.9 ${e.p999} us\n`;
  s += `two socket hops, relay work and the strategy's I/O: p50 ${Math.round((t.p50 - r.strategyComputeUs.p50) * 100) / 100} us above the in-process work (the parts' p50s are not additive)\n`;
  return s;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  await benchPipeline({ quick: args.includes("--quick"), json: args.includes("--json") });
}
