import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { BINANCE_MARKETS, type BinanceMarket } from "../../../../src/behavior/adapters/binance/config.ts";
import { BinanceParseError } from "../../../../src/behavior/adapters/binance/errors.ts";
import { BinanceFastReader, FastKind } from "../../../../src/behavior/adapters/binance/fast-reader.ts";
import { fallbackInstrument } from "../../../../src/behavior/adapters/binance/instrument-provider.ts";
import {
  type BinanceCounters,
  BinanceNormalizer,
  SyncState,
} from "../../../../src/behavior/adapters/binance/normalizer.ts";
import type { LevelBuffer } from "../../../../src/behavior/adapters/binance/parsing.ts";
import { MarketPublisher } from "../../../../src/behavior/adapters/common/market-publisher.ts";
import { loadCaptureRecords } from "../../../../src/behavior/venues/capture-records.ts";
import { parseDecimal } from "../../../../src/core/fixed-point.ts";
import { ErrorCode } from "../../../../src/rules/error-codes.ts";
import { FrameParser } from "../../../../src/rules/parser.ts";
import { SPOT_2021, SPOT_2024, USDM_2024 } from "./harness.ts";

/**
 * The fast path (fast-reader.ts) against the general path (BinanceScanner) it short-cuts: the same messages through
 * a normaliser with the fast path and one without must give the same frames (byte for byte but the header's
 * timestamp and checksum, which hold the send time) and the same counters; and what the fast reader reads must be
 * what JSON.parse reads. Set FUZZ_SEED to replay a property failure.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0xb1fa_57) >>> 0;

interface Side {
  normalizer: BinanceNormalizer;
  /** Frames published, per message fed (copies). */
  frames: Uint8Array[][];
  errors: BinanceParseError[];
}

function side(market: BinanceMarket, symbols: readonly string[], fastPath: boolean): Side {
  const s: Side = { normalizer: undefined as unknown as BinanceNormalizer, frames: [[]], errors: [] };
  const publisher = new MarketPublisher({
    source: 1,
    name: "test",
    sink: (f) => s.frames[s.frames.length - 1].push(f.slice()),
  });
  s.normalizer = new BinanceNormalizer({
    market,
    publisher,
    fastPath,
    instruments: new Map(symbols.map((sym) => [sym, fallbackInstrument(sym, BINANCE_MARKETS[market])])),
    requestSnapshot: () => {},
    onBadInput: (e) => s.errors.push(e),
  });
  s.normalizer.requestAllSnapshots(false);
  return s;
}

/** Both normalisers fed alike; frames grouped per input. */
class Pair {
  readonly fast: Side;
  readonly slow: Side;
  constructor(market: BinanceMarket, symbols: readonly string[]) {
    this.fast = side(market, symbols, true);
    this.slow = side(market, symbols, false);
  }
  message(text: string): void {
    for (const s of [this.fast, this.slow]) {
      s.normalizer.handleMessage(text);
      s.frames.push([]);
    }
  }
  snapshot(symbol: string, body: string): void {
    for (const s of [this.fast, this.slow]) {
      s.normalizer.applySnapshot(symbol, body);
      s.frames.push([]);
    }
  }
}

const parser = new FrameParser();

/** A frame without its send time and checksum (header bytes 16..23 and 28..31), after checking the checksum. */
function stable(frame: Uint8Array): string {
  if (parser.check(frame) !== ErrorCode.Ok) throw new Error(`frame does not check: ${parser.check(frame)}`);
  const c = frame.slice();
  c.fill(0, 16, 24);
  c.fill(0, 28, 32);
  return Buffer.from(c).toString("hex");
}

function withoutFastCounters(c: BinanceCounters): Omit<BinanceCounters, "fastPath" | "fallbacks"> {
  const { fastPath: _f, fallbacks: _b, ...rest } = c;
  return rest;
}

/** The first input whose frames differ, or -1; and the counters and errors must match. */
function firstDifference(p: Pair): number {
  const a = p.fast.frames;
  const b = p.slow.frames;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = (a[i] ?? []).map(stable);
    const y = (b[i] ?? []).map(stable);
    if (x.length !== y.length || x.some((f, k) => f !== y[k])) return i;
  }
  return -1;
}

function expectSame(p: Pair, inputs: string[]): void {
  const i = firstDifference(p);
  if (i >= 0) throw new Error(`frames differ at input ${i}: ${inputs[i]?.slice(0, 300)}`);
  expect(withoutFastCounters(p.fast.normalizer.counters)).toEqual(withoutFastCounters(p.slow.normalizer.counters));
  expect(p.fast.errors.map((e) => e.code)).toEqual(p.slow.errors.map((e) => e.code));
}

/** A capture through both, in file order (snapshots where the capture has them), as fixture-market-data does. */
function replayCapture(path: string, market: BinanceMarket, symbols: string[]): { pair: Pair; inputs: string[] } {
  const pair = new Pair(market, symbols);
  const inputs: string[] = [];
  for (const r of loadCaptureRecords(path)) {
    if (r.kind === "ws") {
      pair.message(r.raw);
      inputs.push(r.raw);
    } else if (r.kind === "rest") {
      const symbol = /[?&]symbol=([A-Z0-9]+)/.exec(r.url ?? "")?.[1];
      if (symbol !== undefined && symbols.includes(symbol)) {
        pair.snapshot(symbol, r.raw);
        inputs.push(`(snapshot ${symbol})`);
      }
    }
  }
  return { pair, inputs };
}

describe("Binance fast path: the captured sessions", () => {
  const cases = [
    { name: "2024 spot", path: SPOT_2024, market: "spot" as const, symbols: ["BTCUSDT"] },
    { name: "2024 USD-M", path: USDM_2024, market: "usdm" as const, symbols: ["BTCUSDT"] },
    {
      name: "2021 spot, 4 symbols",
      path: SPOT_2021,
      market: "spot" as const,
      symbols: ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"],
    },
  ];
  for (const c of cases) {
    test(`${c.name}: every message gives the general path's frames and counters`, () => {
      const { pair, inputs } = replayCapture(c.path, c.market, c.symbols);
      expectSame(pair, inputs);
      const f = pair.fast.normalizer.counters;
      const s = pair.slow.normalizer.counters;
      expect(s.fastPath + s.fallbacks).toBe(0);
      expect(f.gaps + f.parseErrors + f.precisionErrors).toBe(0);
      // every message but the sync phase's depth events and the klines (an event the collector ignores) went fast
      const wsRecords = loadCaptureRecords(c.path).filter((r) => r.kind === "ws");
      const klines = wsRecords.filter((r) => r.raw.includes('"e":"kline"')).length;
      // each fallback is a kline or a depth event of the sync phase (buffered before the snapshot, then dropped as
      // older than it or the straddle, on their replay or as they come)
      expect(f.fallbacks).toBe(klines + f.buffered + f.dropped + f.syncs);
      expect(f.fastPath).toBeGreaterThanOrEqual(wsRecords.length - klines - f.buffered - f.dropped - f.syncs);
      expect(f.ignored).toBe(klines);
    });
  }

  test("every captured message the fast reader takes reads as JSON.parse reads it (exact e8, ids, times)", () => {
    let checked = 0;
    let missed = 0;
    for (const path of [SPOT_2024, USDM_2024, SPOT_2021]) {
      for (const r of loadCaptureRecords(path)) {
        if (r.kind !== "ws") continue;
        const lv: LevelBuffer = { prices: [], sizes: [], sides: [], n: 0, unsafe: false };
        const reader = new BinanceFastReader(lv, 1, 2);
        const kind = reader.read(r.raw);
        const d = JSON.parse(r.raw).data;
        if (kind === FastKind.Miss) {
          expect(d.e).toBe("kline");
          missed++;
          continue;
        }
        expect(oracle(reader, kind, lv)).toEqual(expectedFromJson(d));
        checked++;
      }
    }
    expect(checked).toBe(9599 + 7270 + 265 - missed);
    expect(missed).toBe(2); // the 2021 capture's two klines
  });
});

/** What the reader holds, in the oracle's terms. */
function oracle(r: BinanceFastReader, kind: FastKind, lv: LevelBuffer): unknown {
  const sym = r.text.slice(r.symStart, r.symEnd);
  const e8 = (v: number) => BigInt(v);
  switch (kind) {
    case FastKind.Trade:
      return { kind: "trade", s: sym, p: e8(r.p), q: e8(r.q), m: r.m, ms: r.T >= 0 ? r.T : r.E };
    case FastKind.BookTicker:
      return { kind: "ticker", s: sym, b: e8(r.b), B: e8(r.B), a: e8(r.a), A: e8(r.A), ms: r.T >= 0 ? r.T : r.E };
    default: {
      const levels = [];
      for (let i = 0; i < lv.n; i++) levels.push([lv.sides[i], e8(lv.prices[i]), e8(lv.sizes[i])]);
      return { kind: "depth", s: sym, U: r.U, u: r.u, pu: r.pu, E: r.E, levels };
    }
  }
}

/** The same from JSON.parse and parseDecimal (bigint, exact). */
// biome-ignore lint/suspicious/noExplicitAny: a parsed Binance event, read field by field
function expectedFromJson(d: any): unknown {
  const e8 = (s: string) => parseDecimal(s, 8);
  const ms = d.T ?? d.E ?? -1;
  if (d.e === "trade" || d.e === "aggTrade") return { kind: "trade", s: d.s, p: e8(d.p), q: e8(d.q), m: d.m, ms };
  if (d.e === "depthUpdate") {
    const levels = [
      ...d.b.map((l: string[]) => [1, e8(l[0]), e8(l[1])]),
      ...d.a.map((l: string[]) => [2, e8(l[0]), e8(l[1])]),
    ];
    return { kind: "depth", s: d.s, U: d.U, u: d.u, pu: d.pu ?? -1, E: d.E ?? -1, levels };
  }
  return { kind: "ticker", s: d.s, b: e8(d.b), B: e8(d.B), a: e8(d.a), A: e8(d.A), ms };
}

// ---------------------------------------------------------------------------------------------------------------
// Generated messages

const digits = (min: number, max: number) =>
  fc.string({
    unit: fc.constantFrom("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"),
    minLength: min,
    maxLength: max,
  });

/** Decimal strings: Binance's forms, long ones (beyond 2^53 at e8, more than 8 decimals) and broken ones. */
const decimal = fc.oneof(
  { weight: 16, arbitrary: fc.tuple(digits(1, 6), digits(1, 8)).map(([w, f]) => `${w}.${f}`) },
  { weight: 3, arbitrary: digits(1, 9) },
  { weight: 2, arbitrary: fc.tuple(digits(1, 24), digits(0, 14)).map(([w, f]) => (f ? `${w}.${f}` : w)) },
  { weight: 1, arbitrary: fc.tuple(digits(1, 5), digits(8, 8), digits(1, 4)).map(([w, f, z]) => `${w}.${f}${z}`) },
  { weight: 1, arbitrary: digits(1, 8).map((w) => `${w}.${"0".repeat(8)}00`) },
  {
    weight: 1,
    arbitrary: fc.string({ unit: fc.constantFrom("0", "1", "9", ".", "-", "e", "+", " ", "x"), maxLength: 12 }),
  },
);

/** Integers for ids and times: usual, beyond u64 ns as a ms time, 14-17 digits, leading zeros, not integers. */
const integer = fc.oneof(
  { weight: 16, arbitrary: fc.integer({ min: 0, max: 2_000_000_000_000 }).map(String) },
  { weight: 1, arbitrary: fc.integer({ min: 18_446_744_073_700, max: 18_446_744_073_720 }).map(String) },
  { weight: 1, arbitrary: digits(14, 17) },
  { weight: 1, arbitrary: fc.constantFrom("-1", "1.5", "1e3", '"17"', "null", "true", "0012") },
);

/** A JSON string literal for `s`, sometimes with escapes that mean the same text (or another one). */
function jsonString(s: string, how: number): string {
  if (how === 1 && s.length > 0) return `"\\u${s.charCodeAt(0).toString(16).padStart(4, "0")}${s.slice(1)}"`;
  if (how === 2) return `"${s}\\"x"`;
  if (how === 3) return `"${s}\\\\"`;
  return JSON.stringify(s);
}

interface Shape {
  /** Key order: a permutation index list over the fields. */
  order: number[];
  /** Whitespace after '{', ':' or ',' (0: none). */
  ws: number;
  envelope: boolean;
  /** 0 none, 1 escape the symbol, 2 escape the stream, 3 an extra key with an escaped string. */
  escape: number;
  /** Repeat one field (JSON.parse keeps the last). */
  duplicate: number;
  /** Extra keys the collector does not read. */
  extras: [string, string][];
}

const perturbed: fc.Arbitrary<Shape> = fc.record({
  order: fc.oneof(
    { weight: 3, arbitrary: fc.constant([0]).map((o) => [...o]) },
    { weight: 2, arbitrary: fc.array(fc.nat(), { minLength: 12, maxLength: 12 }) },
  ),
  ws: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
  envelope: fc.boolean(),
  escape: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 3 }) }),
  duplicate: fc.oneof({ weight: 6, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(12) }),
  extras: fc.array(
    fc.tuple(
      fc.constantFrom("M", "X", "t", "f", "l", "id", "zz", "o"),
      fc.constantFrom("true", "false", "null", "7", '"MARKET"', "[]", '{"k":1}', '"a\\"b"'),
    ),
    { maxLength: 2 },
  ),
});
/** Two thirds of the messages in Binance's own form (any values), a third changed in one way or more. */
const shape = fc.oneof(
  {
    weight: 2,
    arbitrary: fc
      .boolean()
      .map((envelope): Shape => ({ order: [0], ws: 0, envelope, escape: 0, duplicate: -1, extras: [] })),
  },
  { weight: 1, arbitrary: perturbed },
);

/** The message text for `fields` ([key, JSON value]) in `sh`'s form; keeps Binance's order when sh.order is 0s. */
function render(fields: [string, string][], sh: Shape, stream: string): string {
  const f = fields.slice();
  for (const x of sh.extras) f.push(x);
  if (sh.escape === 3) f.push(["zz", jsonString("q", 2)]);
  if (sh.duplicate >= 0 && sh.duplicate < f.length) f.push([f[sh.duplicate][0], f[sh.duplicate][1]]);
  // a stable permutation from the order keys (all zeros: unchanged)
  const keyed = f.map((x, i) => ({ x, k: sh.order[i % sh.order.length] ?? 0, i }));
  if (sh.order.some((k) => k !== 0)) keyed.sort((a, b) => a.k - b.k || a.i - b.i);
  const w = " ".repeat(sh.ws);
  const body = `{${w}${keyed.map(({ x }) => `"${x[0]}":${w}${x[1]}`).join(`,${w}`)}}`;
  if (!sh.envelope) return body;
  return `{"stream":${sh.escape === 2 ? jsonString(stream, 1) : JSON.stringify(stream)},"data":${body}}`;
}

const str = (s: string) => JSON.stringify(s);

function tradeFields(
  market: BinanceMarket,
  v: { p: string; q: string; E: string; T: string; m: boolean; agg: boolean },
  sym: string,
): [string, string][] {
  if (v.agg) {
    return [
      ["e", str("aggTrade")],
      ["E", v.E],
      ["s", sym],
      ["a", "15683430"],
      ["p", str(v.p)],
      ["q", str(v.q)],
      ["f", "1"],
      ["l", "2"],
      ["T", v.T],
      ["m", String(v.m)],
      ["M", "true"],
    ];
  }
  if (market === "usdm") {
    return [
      ["e", str("trade")],
      ["E", v.E],
      ["T", v.T],
      ["s", sym],
      ["t", "5266583935"],
      ["p", str(v.p)],
      ["q", str(v.q)],
      ["X", str("MARKET")],
      ["m", String(v.m)],
    ];
  }
  return [
    ["e", str("trade")],
    ["E", v.E],
    ["s", sym],
    ["t", "3735683259"],
    ["p", str(v.p)],
    ["q", str(v.q)],
    ["T", v.T],
    ["m", String(v.m)],
    ["M", "true"],
  ];
}

function tickerFields(
  market: BinanceMarket,
  v: { b: string; B: string; a: string; A: string; u: string; T: string },
  sym: string,
): [string, string][] {
  const core: [string, string][] = [
    ["u", v.u],
    ["s", sym],
    ["b", str(v.b)],
    ["B", str(v.B)],
    ["a", str(v.a)],
    ["A", str(v.A)],
  ];
  if (market === "spot") return core;
  return [["e", str("bookTicker")], ...core, ["T", v.T], ["E", v.T]];
}

const level = fc.tuple(
  decimal,
  fc.oneof({ weight: 3, arbitrary: decimal }, { weight: 1, arbitrary: fc.constant("0") }),
);
const levelsJson = (ls: [string, string][], ws: number) =>
  `[${ls.map(([p, q]) => `[${" ".repeat(ws)}${str(p)},${str(q)}]`).join(",")}]`;

const message = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("trade" as const),
      v: fc.record({ p: decimal, q: decimal, E: integer, T: integer, m: fc.boolean(), agg: fc.boolean() }),
      shape,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("ticker" as const),
      v: fc.record({ b: decimal, B: decimal, a: decimal, A: decimal, u: integer, T: integer }),
      shape,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("depth" as const),
      v: fc.record({
        bids: fc.array(level, { maxLength: 4 }),
        asks: fc.array(level, { maxLength: 4 }),
        E: integer,
        span: fc.integer({ min: 0, max: 3 }),
        /** 0: continuous; else a gap or a stale event */
        jump: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-3, 5) }),
        levelWs: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
      }),
      shape,
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("other" as const), text: fc.string({ maxLength: 40 }) }) },
);

type Gen = typeof message extends fc.Arbitrary<infer T> ? T : never;

const SYMBOL = "BTCUSDT";
const SNAPSHOT = '{"lastUpdateId":1000,"bids":[["100.00","1.5"],["99.00","2"]],"asks":[["101.00","1"],["102.5","3"]]}';

/** A pair synced on SNAPSHOT (the straddle event applied): both books Live at update id 1001. */
function livePair(market: BinanceMarket): Pair {
  const p = new Pair(market, [SYMBOL, "ETHUSDT"]);
  p.snapshot(SYMBOL, SNAPSHOT);
  const pu = market === "usdm" ? ',"pu":999' : "";
  p.message(`{"e":"depthUpdate","E":5,"s":"BTCUSDT","U":1000,"u":1001${pu},"b":[],"a":[]}`);
  return p;
}

function textOf(g: Gen, market: BinanceMarket, last: number): { text: string; u: number } {
  if (g.kind === "other") return { text: g.text, u: last };
  const sh = g.shape;
  const sym = jsonString(SYMBOL, sh.escape === 1 ? 1 : 0);
  const stream = `btcusdt@${g.kind === "ticker" ? "bookTicker" : g.kind}`;
  if (g.kind === "trade") return { text: render(tradeFields(market, g.v, sym), sh, stream), u: last };
  if (g.kind === "ticker") return { text: render(tickerFields(market, g.v, sym), sh, stream), u: last };
  const v = g.v;
  const U = last + 1 + v.jump;
  const u = U + v.span;
  const fields: [string, string][] = [
    ["e", str("depthUpdate")],
    ["E", v.E],
    ...(market === "usdm" ? ([["T", v.E]] as [string, string][]) : []),
    ["s", sym],
    ["U", String(U)],
    ["u", String(u)],
    ...(market === "usdm" ? ([["pu", String(last + v.jump)]] as [string, string][]) : []),
    ["b", levelsJson(v.bids, v.levelWs)],
    ["a", levelsJson(v.asks, v.levelWs)],
  ];
  return { text: render(fields, sh, stream), u };
}

describe("Binance fast path: generated messages (fast-check)", () => {
  for (const market of ["spot", "usdm"] as const) {
    test(`${market}: any key order, whitespace, escapes, long or broken decimals: the general path's result`, () => {
      let fast = 0;
      let fallbacks = 0;
      fc.assert(
        fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), (gens) => {
          const p = livePair(market);
          const inputs = ["(snapshot)", "(straddle)"];
          for (const g of gens) {
            const book = p.slow.normalizer.books.get(SYMBOL)!;
            if (book.state !== SyncState.Live) break; // a gap: the resync is tested elsewhere
            const { text } = textOf(g, market, book.lastUpdateId);
            inputs.push(text);
            p.message(text);
            checkAgainstJson(text);
          }
          expectSame(p, inputs);
          fast += p.fast.normalizer.counters.fastPath;
          fallbacks += p.fast.normalizer.counters.fallbacks;
        }),
        { seed: SEED, numRuns: 400 },
      );
      // both paths were exercised
      expect(fast).toBeGreaterThan(400);
      expect(fallbacks).toBeGreaterThan(1000);
    });
  }

  test("Binance's own forms of generated values always take the fast path, and read as JSON.parse reads them", () => {
    const plain: Shape = { order: [0], ws: 0, envelope: true, escape: 0, duplicate: -1, extras: [] };
    const safe = fc.tuple(digits(1, 7), digits(1, 8)).map(([w, f]) => `${w}.${f}`);
    fc.assert(
      fc.property(
        fc.record({ p: safe, q: safe, E: fc.integer({ min: 0, max: 2 ** 45 }).map(String), m: fc.boolean() }),
        fc.record({ b: safe, B: safe, a: safe, A: safe }),
        fc.boolean(),
        (t, k, usdm) => {
          const market = usdm ? "usdm" : "spot";
          const trade = render(tradeFields(market, { ...t, T: t.E, agg: false }, str(SYMBOL)), plain, "x@trade");
          const ticker = render(tickerFields(market, { ...k, u: "7", T: t.E }, str(SYMBOL)), plain, "x@bookTicker");
          const lv: LevelBuffer = { prices: [], sizes: [], sides: [], n: 0, unsafe: false };
          const r = new BinanceFastReader(lv, 1, 2);
          expect(r.read(trade)).toBe(FastKind.Trade);
          expect(oracle(r, FastKind.Trade, lv)).toEqual(expectedFromJson(JSON.parse(trade).data));
          expect(r.read(ticker)).toBe(FastKind.BookTicker);
          expect(oracle(r, FastKind.BookTicker, lv)).toEqual(expectedFromJson(JSON.parse(ticker).data));
        },
      ),
      { seed: SEED, numRuns: 500 },
    );
  });
});

/**
 * Whatever the fast reader takes from a text JSON.parse reads without error holds JSON.parse's values (or the
 * message is one JSON.parse reads differently from the collector, which then must have fallen back).
 */
function checkAgainstJson(text: string): void {
  const lv: LevelBuffer = { prices: [], sizes: [], sides: [], n: 0, unsafe: false };
  const r = new BinanceFastReader(lv, 1, 2);
  const kind = r.read(text);
  if (kind === FastKind.Miss) return;
  // biome-ignore lint/suspicious/noExplicitAny: a parsed message, read field by field
  let obj: any;
  try {
    obj = JSON.parse(text);
  } catch {
    return; // not JSON (a leading zero, say) that both paths read alike: the frame comparison covers it
  }
  const d = obj.data ?? obj;
  expect(oracle(r, kind, lv)).toEqual(expectedFromJson(d));
}

describe("Binance fast path: malformed input", () => {
  const trade = (p: string, q = "0.5") =>
    `{"stream":"btcusdt@trade","data":{"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"${p}","q":"${q}","T":2,"m":true,"M":true}}`;
  const cases: [string, string, string][] = [
    ["a letter in a price", trade("617a7.63"), "NotADecimal"],
    ["nothing after the point", trade("61737."), "NotADecimal"],
    ["an exponent", trade("1e5"), "NotADecimal"],
    ["a negative price", trade("-61737.63"), "NotADecimal"],
    ["a negative size", trade("61737.63", "-0.5"), "NotADecimal"],
    ["more than 8 decimals", trade("1.000000001"), "PrecisionLoss"],
    ["a size with 9 non-zero decimals", trade("1.5", "0.123456789"), "PrecisionLoss"],
    ["truncated text", trade("1.5").slice(0, 60), "Malformed"],
    ["not an object", "hello", "Malformed"],
    ["no price", trade("1.5").replace('"p":"1.5",', ""), "MissingField"],
    ["a time that is not an integer", trade("1.5").replace('"T":2', '"T":2.5'), "BadInteger"],
    [
      "a level that is not a pair",
      '{"e":"depthUpdate","E":5,"s":"BTCUSDT","U":1002,"u":1002,"b":[["100.5"]],"a":[]}',
      "MalformedLevels",
    ],
    [
      "a level price with a letter",
      '{"e":"depthUpdate","E":5,"s":"BTCUSDT","U":1002,"u":1002,"b":[["10x.5","1"]],"a":[]}',
      "NotADecimal",
    ],
  ];
  for (const [name, text, code] of cases) {
    test(`${name}: BinanceParseError ${code}, counted, nothing published, the service goes on`, () => {
      const p = livePair("spot");
      const before = p.fast.normalizer.counters.fallbacks;
      p.message(text);
      expect(p.fast.errors).toHaveLength(1);
      expect(p.fast.errors[0]).toBeInstanceOf(BinanceParseError);
      expect(p.fast.errors[0].code).toBe(code);
      const c = p.fast.normalizer.counters;
      expect(code === "PrecisionLoss" ? c.precisionErrors : c.parseErrors).toBe(1);
      expect(c.fallbacks).toBe(before + 1);
      expect(p.fast.frames.at(-2)).toEqual([]);
      expectSame(p, ["(snapshot)", "(straddle)", text]);
      // the next good message still goes through, on the fast path
      p.message(trade("61737.63"));
      expect(p.fast.frames.at(-2)).toHaveLength(1);
      expect(p.fast.normalizer.counters.fastPath).toBeGreaterThan(0);
    });
  }
});
