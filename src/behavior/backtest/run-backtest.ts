import { InstrumentId } from "../../data/instrument-id.ts";
import { type Fill, LAYOUT_BY_TYPE, TlvType } from "../../data/tlv-layouts.ts";
import { RelayDomain } from "../../data/venues.ts";
import { ErrorCode } from "../../rules/error-codes.ts";
import { FrameParser } from "../../rules/parser.ts";
import { CaptureReader } from "../capture/capture-reader.ts";
import { CaptureWriter } from "../capture/capture-writer.ts";
import { parseExecutionConfig } from "../execution/config.ts";
import { ExecutionEngine } from "../execution/engine.ts";
import { referencePrice } from "../execution/market-state.ts";
import { resolveFlashArbitrageConfig } from "../strategies/flash-arbitrage/config.ts";
import { FlashArbitrage } from "../strategies/flash-arbitrage/flash-arbitrage.ts";
import { resolveMarketMakingConfig } from "../strategies/market-making/config.ts";
import { CancelReason, MarketMaker } from "../strategies/market-making/market-maker.ts";
import { arbitrageScenarioStream } from "./arbitrage-scenario.ts";
import { BacktestError } from "./errors.ts";
import { DEFAULT_FIXTURES, type FixtureSelection, fixtureStreams } from "./fixture-market-data.ts";
import { mergeStreams } from "./merge-streams.ts";
import { type Reconciliation, reconcileFills } from "./reconcile-fills.ts";

/** Where the market data comes from. */
export type BacktestInput =
  /** A capture file of the market data relay (ap record): frames in file order, header times as recorded. */
  | { capture: string }
  /** Venue captures of fixtures/ (true: DEFAULT_FIXTURES) through the collectors' normalisation, merged by time. */
  | { fixtures: FixtureSelection | true; arbitrageScenario?: boolean }
  /** Market data frames given directly (tests). */
  | { frames: readonly Uint8Array[] };

export interface BacktestOptions {
  input: BacktestInput;
  /** `[strategies.flash_arbitrage]` keys (docs/strategies.md); `deterministic` is forced on. */
  flashArbitrage?: Record<string, unknown>;
  /** `[strategies.market_making]` keys; `deterministic` is forced on. Default instrument binance:spot:BTC/USDT. */
  marketMaking?: Record<string, unknown>;
  /** `[risk]`, `[execution]`, `[breakers]` tables (docs/execution.md); `execution.deterministic` is forced on. */
  execution?: {
    risk?: Record<string, unknown>;
    execution?: Record<string, unknown>;
    breakers?: Record<string, unknown>;
  };
  /** Write the output frames to this capture file (domain 0, mixed; recv_ns = each frame's header time). */
  out?: string;
  overwrite?: boolean;
}

export interface PositionSummary {
  instrument: string;
  qtyE8: bigint;
  realisedE16: bigint;
  feesE8: bigint;
  markE8: bigint;
}

export interface BacktestSummary {
  /** Market data frames fed, and frames of the input skipped (not domain 1, or not checking). */
  marketFrames: number;
  skippedFrames: number;
  /** Damaged runs reported by the capture reader (capture input). */
  damagedRuns: number;
  firstTsNs: bigint;
  lastTsNs: bigint;
  /** Output frames: signals, OrderRequest/OrderCancel, OrderStatus, Fill, CircuitBreaker, in emission order. */
  outputFrames: number;
  /** SHA-256 (hex) over the output frames' bytes, concatenated in order. */
  sha256: string;
  /** Output TLVs per TLV name. */
  counts: Record<string, number>;
  signals: number;
  orders: number;
  fills: number;
  positions: PositionSummary[];
  tokenBalances: { token: string; native: bigint }[];
  pnl: { cashE16: bigint; realisedE16: bigint; unrealisedE16: bigint; feesE8: bigint; totalE16: bigint };
  marketMaker: { positionE8: bigint; cashE16: bigint; fills: number; ordersSent: number; cancelsSent: number };
  reconciliation: Reconciliation;
  /** Kept only when asked (keepFrames): the output frames themselves. */
  frames?: Uint8Array[];
}

// 2 bps total spread: at the service default (10 bps) no trade of the 90 s Binance capture goes through a quote
const DEFAULT_MM: Record<string, unknown> = {
  instrument: "binance:spot:BTC/USDT",
  fair_value: "mid",
  min_spread_bps: 2,
};

/**
 * The whole pipeline in one process, one frame at a time, in a fixed order (docs/backtest.md "Event order"):
 *   for each market data frame M (in input order):
 *     1. engine.onFrame(M); its outputs -> market maker (onExecutionFrame)
 *     2. flash arbitrage onMarketFrame(M) -> signal frames, queued
 *     3. market maker onMarketFrame(M), then checkStale(M's header time) -> order/cancel frames, queued
 *     4. each queued frame, in emission order: engine.onFrame; its outputs -> market maker
 *   at the end: the market maker pulls its quotes (reason 4, shutdown), the cancels go through step 4.
 * Output = every frame of steps 2-4 and the engine outputs of step 1, in that order. Strategies and engine run in
 * their deterministic modes: ids from counters, every clock from frame times.
 */
export function runBacktest(options: BacktestOptions & { keepFrames?: boolean }): BacktestSummary {
  const fa = new FlashArbitrage(resolveFlashArbitrageConfig({ ...options.flashArbitrage, deterministic: true }), (f) =>
    queue.push(f.slice()),
  );
  const mm = new MarketMaker(
    resolveMarketMakingConfig({ ...DEFAULT_MM, ...options.marketMaking, deterministic: true }),
    (f) => queue.push(f.slice()),
  );
  const ex = options.execution ?? {};
  const engine = new ExecutionEngine({
    config: parseExecutionConfig({
      risk: ex.risk ?? {},
      execution: { ...ex.execution, deterministic: true },
      breakers: ex.breakers ?? {},
    }),
    publish: (f) => engineOut.push(f),
  });
  const queue: Uint8Array[] = [];
  const engineOut: Uint8Array[] = [];
  const hasher = new Bun.CryptoHasher("sha256");
  const counts: Record<string, number> = {};
  const fills: Fill[] = [];
  const kept: Uint8Array[] = [];
  const outParser = new FrameParser();
  const mdParser = new FrameParser();
  let writer: CaptureWriter | undefined;
  let outputFrames = 0;
  let lastTs = 0n;

  const output = (frame: Uint8Array): void => {
    if (outParser.check(frame) !== ErrorCode.Ok) {
      throw new BacktestError({
        code: "BadOutputFrame",
        message: "a component emitted a frame that does not check",
        facts: { bytes: frame.length },
      });
    }
    outputFrames++;
    hasher.update(frame);
    if (options.keepFrames) kept.push(frame);
    writer?.append(outParser.timestampNs, frame);
    for (let ok = outParser.firstTlv(); ok; ok = outParser.nextTlv()) {
      const name = LAYOUT_BY_TYPE[outParser.tlvType]?.name ?? `type ${outParser.tlvType}`;
      counts[name] = (counts[name] ?? 0) + 1;
      if (outParser.tlvType === TlvType.Fill) fills.push(outParser.readTlv() as unknown as Fill);
    }
  };
  // engine outputs: recorded, then delivered to the market maker (the execution relay's subscriber)
  const drainEngine = (): void => {
    for (let i = 0; i < engineOut.length; i++) {
      const f = engineOut[i];
      output(f);
      outParser.check(f);
      mm.onExecutionFrame(outParser);
    }
    engineOut.length = 0;
  };
  const drainStrategies = (): void => {
    const p = new FrameParser();
    for (let i = 0; i < queue.length; i++) {
      const f = queue[i];
      output(f);
      p.check(f);
      engine.onFrame(f, p);
      drainEngine();
    }
    queue.length = 0;
  };

  let marketFrames = 0;
  let skippedFrames = 0;
  let damagedRuns = 0;
  let firstTs: bigint | undefined;
  const feed = (frame: Uint8Array): void => {
    if (mdParser.check(frame) !== ErrorCode.Ok || mdParser.domain !== RelayDomain.MarketData) {
      skippedFrames++;
      return;
    }
    marketFrames++;
    const ts = mdParser.timestampNs;
    firstTs ??= ts;
    if (ts > lastTs) lastTs = ts;
    if (writer === undefined && options.out !== undefined) {
      writer = new CaptureWriter({
        path: options.out,
        relay: "backtest",
        domain: 0,
        overwrite: options.overwrite,
        flushIntervalMs: 0,
        createdNs: ts,
      });
    }
    engine.onFrame(frame, mdParser);
    drainEngine();
    mdParser.check(frame);
    fa.onMarketFrame(mdParser);
    mdParser.check(frame);
    mm.onMarketFrame(mdParser);
    mm.checkStale(ts);
    drainStrategies();
  };

  const input = options.input;
  try {
    if ("capture" in input) {
      const reader = new CaptureReader(input.capture, { onDamage: () => damagedRuns++ });
      try {
        for (let r = reader.next(); r !== undefined; r = reader.next()) feed(r.frame.slice());
      } finally {
        reader.close();
      }
    } else if ("fixtures" in input) {
      const streams = fixtureStreams(input.fixtures === true ? DEFAULT_FIXTURES : input.fixtures);
      if (input.arbitrageScenario) streams.push(arbitrageScenarioStream(streams));
      for (const f of mergeStreams(streams)) feed(f.frame);
    } else {
      for (const f of input.frames) feed(f);
    }
    if (marketFrames === 0) {
      throw new BacktestError({
        code: "NoMarketData",
        message: "the input holds no market data frame",
        facts: { skipped: skippedFrames },
        hint: "record the market-data relay (ap record --relay market-data), or use --fixtures",
      });
    }
    mm.pullAll(CancelReason.Shutdown, lastTs);
    drainStrategies();
  } finally {
    writer?.close();
  }

  const p = engine.portfolio;
  const markOf = (key: string) => referencePrice(engine.market.books.get(key));
  const positions: PositionSummary[] = [...p.positions.values()].map((x) => ({
    instrument: x.instrument.toString(),
    qtyE8: x.qty,
    realisedE16: x.realisedE16,
    feesE8: x.feesE8,
    markE8: markOf(x.instrument.toString()),
  }));
  const unrealisedE16 = p.unrealisedE16((i: InstrumentId) => markOf(i.toString()));
  const totalE16 = engine.pnlE16();
  return {
    marketFrames,
    skippedFrames,
    damagedRuns,
    firstTsNs: firstTs ?? 0n,
    lastTsNs: lastTs,
    outputFrames,
    sha256: hasher.digest("hex"),
    counts,
    signals: counts.ArbitrageSignal ?? 0,
    orders: counts.OrderRequest ?? 0,
    fills: fills.length,
    positions,
    tokenBalances: [...p.tokenBalances].map(([token, native]) => ({ token, native })),
    pnl: { cashE16: p.cashE16, realisedE16: p.realisedE16, unrealisedE16, feesE8: p.feesE8, totalE16 },
    marketMaker: {
      positionE8: mm.position,
      cashE16: mm.cashE16,
      fills: mm.counters.fills,
      ordersSent: mm.counters.ordersSent,
      cancelsSent: mm.counters.cancelsSent,
    },
    reconciliation: reconcileFills(fills, p, markOf, totalE16),
    frames: options.keepFrames ? kept : undefined,
  };
}

/** The InstrumentId of the market maker's default instrument (binance:spot:BTC/USDT), for callers and tests. */
export const DEFAULT_MM_INSTRUMENT = InstrumentId.parse(DEFAULT_MM.instrument as string);
