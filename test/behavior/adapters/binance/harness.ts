import { type BinanceMarket, defaultBinanceConfig } from "../../../../src/behavior/adapters/binance/config.ts";
import { BinanceDataClient } from "../../../../src/behavior/adapters/binance/data-client.ts";
import { SyncState } from "../../../../src/behavior/adapters/binance/normalizer.ts";
import { MarketPublisher } from "../../../../src/behavior/adapters/common/market-publisher.ts";
import { type BinanceVenueOptions, startBinanceVenue } from "../../../../src/behavior/venues/binance-venue.ts";
import { loadCaptureRecords } from "../../../../src/behavior/venues/capture-records.ts";
import { parseDecimal } from "../../../../src/core/fixed-point.ts";
import { SourceType } from "../../../../src/data/venues.ts";
import { diagnose } from "../../../../src/rules/diagnose.ts";
import { FrameParser } from "../../../../src/rules/parser.ts";

export const FIXTURES = new URL("../../../../fixtures/binance/", import.meta.url).pathname;
export const SPOT_2024 = `${FIXTURES}spot-btcusdt-depth100ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz`;
export const USDM_2024 = `${FIXTURES}usdm-btcusdt-depth0ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz`;
export const SPOT_2021 = `${FIXTURES}spot-4sym-depth-bookticker-aggtrade-2021-10-12.cryptofeed.jsonl.gz`;

/** One decoded TLV of a published frame, with the frame it came in. */
// biome-ignore lint/suspicious/noExplicitAny: decoded TLV values are read field by field in assertions
type Value = Record<string, any>;

export interface Tlv {
  frame: number;
  type: number;
  value: Value;
}

export interface Run {
  tlvs: Tlv[];
  client: BinanceDataClient;
  venue: Awaited<ReturnType<typeof startBinanceVenue>>;
}

/**
 * Starts the replay venue on the capture, runs the real BinanceDataClient against it by URL (publishing into a sink),
 * waits until the venue has played the whole capture and the client has read every message it was sent, and returns
 * the decoded frames.
 */
export async function runCollector(args: {
  capture: string;
  market: BinanceMarket;
  symbols: string[];
  trades?: ("trade" | "aggTrade")[];
  depthSpeed?: string;
  venue?: Omit<BinanceVenueOptions, "capture">;
}): Promise<Run> {
  const venue = await startBinanceVenue({ capture: args.capture, speed: Number.POSITIVE_INFINITY, ...args.venue });
  const frames: Uint8Array[] = [];
  const publisher = new MarketPublisher({
    source: SourceType.BinanceCollector,
    name: "test",
    sink: (f) => frames.push(f.slice()),
  });
  const client = new BinanceDataClient({
    config: defaultBinanceConfig(args.market, {
      url: venue.url,
      restUrl: venue.restUrl,
      symbols: args.symbols,
      trades: args.trades ?? ["trade"],
      ...(args.depthSpeed ? { depthSpeed: args.depthSpeed } : {}),
      snapshotBackoff: { initialMs: 20, maxMs: 200 },
    }),
    publisher,
  });
  try {
    await client.start();
    await venue.finished;
    // Every message read and every book synced (a snapshot answer may still be on its way when the capture ends).
    await client.waitFor(
      () =>
        (client.normalizer?.counters.msgsIn ?? 0) >= venue.stats.sent &&
        [...client.normalizer!.books.values()].every((b) => b.state === SyncState.Live),
    );
  } finally {
    client.stop();
    venue.stop();
  }
  return { tlvs: decode(frames), client, venue };
}

export function decode(frames: Uint8Array[]): Tlv[] {
  const p = new FrameParser();
  const out: Tlv[] = [];
  frames.forEach((f, i) => {
    if (p.check(f) !== 0) throw diagnose(p);
    for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) out.push({ frame: i, type: p.tlvType, value: p.readTlv()! });
  });
  return out;
}

export const T = { Trade: 1, Quote: 2, OrderBook: 3, InstrumentMeta: 4, BookDelta: 6, StateInvalidation: 19 } as const;

export interface Ticker {
  symbol: string;
  u: number;
  bid: bigint;
  bidSize: bigint;
  ask: bigint;
  askSize: bigint;
  /** Order of the bookTicker among all bookTicker records of the capture. */
  seq: number;
}

/** The capture's bookTickers, read independently of the collector (JSON.parse: their values are strings). */
export function capturedTickers(capture: string): Ticker[] {
  const out: Ticker[] = [];
  for (const r of loadCaptureRecords(capture)) {
    if (r.kind !== "ws") continue;
    const d = JSON.parse(r.raw).data;
    if (!(d.e === "bookTicker" || (d.e === undefined && d.B !== undefined))) continue;
    out.push({
      symbol: d.s,
      u: d.u,
      bid: parseDecimal(d.b, 8),
      bidSize: parseDecimal(d.B, 8),
      ask: parseDecimal(d.a, 8),
      askSize: parseDecimal(d.A, 8),
      seq: out.length,
    });
  }
  return out;
}

/** A consumer's book rebuilt from the published OrderBook and BookDelta TLVs only. */
export class ConsumerBook {
  bids = new Map<bigint, bigint>();
  asks = new Map<bigint, bigint>();
  lastUpdateId = 0;
  snapshot(v: Value): void {
    this.bids.clear();
    this.asks.clear();
    for (const l of v.bids) this.bids.set(l.price, l.size);
    for (const l of v.asks) this.asks.set(l.price, l.size);
    this.lastUpdateId = Number(v.updateId);
  }
  delta(v: Value): void {
    for (const c of v.changes) {
      const side = c.side === 1 ? this.bids : this.asks;
      if (c.size === 0n) side.delete(c.price);
      else side.set(c.price, c.size);
    }
    this.lastUpdateId = Number(v.lastUpdateId);
  }
  top(): { bid: bigint; bidSize: bigint; ask: bigint; askSize: bigint } | undefined {
    if (this.bids.size === 0 || this.asks.size === 0) return undefined;
    let bid = -1n;
    for (const p of this.bids.keys()) if (p > bid) bid = p;
    let ask = -1n;
    for (const p of this.asks.keys()) if (ask < 0n || p < ask) ask = p;
    return { bid, bidSize: this.bids.get(bid)!, ask, askSize: this.asks.get(ask)! };
  }
}

export function sameTop(book: ConsumerBook, t: Ticker): boolean {
  const top = book.top();
  return (
    top !== undefined &&
    top.bid === t.bid &&
    top.bidSize === t.bidSize &&
    top.ask === t.ask &&
    top.askSize === t.askSize
  );
}

/**
 * SOURCES.md's rule: after each applied depth event (one BookDelta frame, last update id u, the symbol's previous
 * one u0) the book's best bid/ask equal the latest bookTicker with u0 < u' <= u, where one exists.
 * Returns [checked, matched].
 */
export function checkTopAfterEachDelta(tlvs: Tlv[], tickers: Ticker[]): [number, number] {
  const bySymbol = new Map<string, Ticker[]>();
  for (const t of tickers) (bySymbol.get(t.symbol) ?? bySymbol.set(t.symbol, []).get(t.symbol)!).push(t);
  for (const list of bySymbol.values()) list.sort((a, b) => a.u - b.u);
  const books = new Map<string, ConsumerBook>();
  const prevU = new Map<string, number>();
  let checked = 0;
  let matched = 0;
  for (let i = 0; i < tlvs.length; i++) {
    const { type, value, frame } = tlvs[i];
    const key = `${value.instrument?.base}${value.instrument?.quote}`;
    if (type === T.OrderBook) {
      const b = books.get(key) ?? books.set(key, new ConsumerBook()).get(key)!;
      b.snapshot(value);
      continue;
    }
    if (type === T.StateInvalidation) {
      books.delete(key);
      continue;
    }
    if (type !== T.BookDelta) continue;
    const b = books.get(key)!;
    b.delta(value);
    if (tlvs[i + 1]?.frame === frame) continue; // the event continues in the next TLV of the same frame
    const u = Number(value.lastUpdateId);
    const u0 = prevU.get(key) ?? 0;
    prevU.set(key, u);
    // the last ticker (sorted by u) with u' <= u, by binary search; it counts if u' > u0
    const list = bySymbol.get(key) ?? [];
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (list[mid].u <= u) lo = mid + 1;
      else hi = mid;
    }
    const latest = lo > 0 && list[lo - 1].u > u0 ? list[lo - 1] : undefined;
    if (!latest) continue;
    checked++;
    if (sameTop(b, latest)) matched++;
    else if (process.env.BNX_DEBUG) console.log("mismatch", u, u0, latest, b.top(), b.bids.size, b.asks.size);
  }
  return [checked, matched];
}

/**
 * USD-M rule (SOURCES.md): walking the capture in receive order, at each bookTicker whose u equals the u of the last
 * depth event applied so far, the book's top must equal it. The book is the consumer's, rebuilt from the published
 * OrderBook/BookDelta TLVs, each placed at its depth event's position in the capture (publish order may differ from
 * receive order while a snapshot is awaited). Returns [checked, matched].
 */
export function checkTickersAtEqualU(tlvs: Tlv[], capture: string): [number, number] {
  const depthPos = new Map<number, number>();
  const tickers: { pos: number; t: Ticker }[] = [];
  const all = capturedTickers(capture);
  let pos = 0;
  for (const r of loadCaptureRecords(capture)) {
    if (r.kind !== "ws") continue;
    pos++;
    if (r.raw.includes('"depthUpdate"')) depthPos.set(JSON.parse(r.raw).data.u, pos);
    else if (r.raw.includes("@bookTicker")) tickers.push({ pos, t: all[tickers.length] });
  }
  // Book events: each published event (OrderBook + BookDelta TLVs of one depth event) at its capture position.
  const events: { pos: number; tlvs: Tlv[] }[] = [];
  let pendingSnapshot: Tlv | undefined;
  for (let i = 0; i < tlvs.length; i++) {
    const x = tlvs[i];
    if (x.type === T.OrderBook) pendingSnapshot = x;
    if (x.type !== T.BookDelta) continue;
    const group = pendingSnapshot ? [pendingSnapshot, x] : [x];
    pendingSnapshot = undefined;
    while (tlvs[i + 1]?.frame === x.frame) group.push(tlvs[++i]);
    events.push({ pos: depthPos.get(Number(x.value.lastUpdateId))!, tlvs: group });
  }
  events.sort((a, b) => a.pos - b.pos);
  const book = new ConsumerBook();
  let e = 0;
  let checked = 0;
  let matched = 0;
  for (const { pos: at, t } of tickers) {
    while (e < events.length && events[e].pos < at) {
      for (const x of events[e].tlvs) x.type === T.OrderBook ? book.snapshot(x.value) : book.delta(x.value);
      e++;
    }
    if (e > 0 && t.u === book.lastUpdateId) {
      checked++;
      if (sameTop(book, t)) matched++;
    }
  }
  return [checked, matched];
}

export function count(tlvs: Tlv[], type: number): number {
  return tlvs.filter((t) => t.type === type).length;
}

/** Frames (not TLVs) that carry a BookDelta: one per applied depth event. */
export function deltaFrames(tlvs: Tlv[]): number {
  return new Set(tlvs.filter((t) => t.type === T.BookDelta).map((t) => t.frame)).size;
}

/** Index among the capture's ws records of the n-th depth event (0-based) of a symbol. */
export function wsIndexOfDepthEvent(capture: string, n: number): number {
  let ws = 0;
  let depth = 0;
  for (const r of loadCaptureRecords(capture)) {
    if (r.kind !== "ws") continue;
    if (r.raw.includes('"depthUpdate"') && depth++ === n) return ws;
    ws++;
  }
  throw new Error(`no depth event ${n}`);
}
