/**
 * `ap bench codec`: Protocol V2 build and parse+validate throughput through the public API, checksums on, for a
 * Trade frame and an OrderBook frame (10 bids + 10 asks, extended TLV), side by side in the same run with a
 * hand-written DataView baseline, msgpackr and protobufjs doing the same work. See bench/README.md for the columns
 * and for how allocations are counted.
 *
 *   node_modules/.bin/bun bench/codec.ts            # ~0.7 s per case, table + bench/results/codec-*.json
 *   node_modules/.bin/bun bench/codec.ts --quick    # ~0.1 s per case (smoke run)
 *   node_modules/.bin/bun bench/codec.ts --json     # JSON on stdout instead of the table
 */

import { heapStats } from "bun:jsc";
import { join } from "node:path";
import { Packr, REUSE_BUFFER_MODE } from "msgpackr";
import protobuf from "protobufjs";
import { nowNs, writeNowNs } from "../src/core/time.ts";
import { InstrumentId } from "../src/data/instrument-id.ts";
import { type OrderBook, TlvType, type Trade } from "../src/data/tlv-layouts.ts";
import { FrameBuilder } from "../src/rules/builder.ts";
import { crc32 } from "../src/rules/crc32.ts";
import { ErrorCode } from "../src/rules/error-codes.ts";
import { HEADER_SIZE, MAGIC, PROTOCOL_VERSION } from "../src/rules/header.ts";
import { FrameParser } from "../src/rules/parser.ts";
import { tlvView } from "../src/rules/tlv-view.ts";
import { machine, median, writeResults } from "./lib/results.ts";

export interface BenchCodecOptions {
  /** ~0.1 s per case instead of ~0.7 s: a smoke run, numbers are rough. */
  quick?: boolean;
  /** Print the result as JSON on stdout instead of the table. */
  json?: boolean;
}

interface Case {
  /** e.g. "trade build", "book parse". */
  name: string;
  frame: "trade" | "book";
  /** build-ts: the caller gives the frame timestamp (begin(ts)) instead of the builder reading the clock. */
  op: "build" | "build-ts" | "parse";
  impl: "codec" | "dataview" | "msgpackr" | "protobufjs";
  /** Runs the operation n times; returns something derived from the work so nothing is dead code. */
  run(n: number): number;
  /** Throws if the last run did not produce the expected field values. */
  verify(): void;
}

/**
 * The cases of one implementation: `c("trade build-ts", verify, run)` is the case whose frame and op are the words of
 * its name. Every case brings its own run function, so each timed loop stays a call site with one callee.
 */
function caseOf(impl: Case["impl"]) {
  return (name: string, verify: () => void, run: (n: number) => number): Case => {
    const [frame, op] = name.split(" ") as [Case["frame"], Case["op"]];
    return { name, frame, op, impl, run, verify };
  };
}

// ---- the messages --------------------------------------------------------------------------------------------

const DOMAIN = 1; // market data
const SOURCE = 2; // Kraken collector
const INSTRUMENT = InstrumentId.spot(101, "BTC", "USD");

const TRADE: Trade = {
  instrument: INSTRUMENT,
  price: 4500012345678n,
  size: 12_345_678n,
  exchangeTsNs: 1_732_000_000_123_456_789n,
  side: 1,
};

function levels(first: bigint, step: bigint): OrderBook["bids"] {
  return Array.from({ length: 10 }, (_, i) => ({
    price: first + step * BigInt(i),
    size: 100_000_000n + BigInt(i) * 1_234_567n,
    orderCount: 3 + i,
  }));
}
const BOOK: OrderBook = {
  instrument: INSTRUMENT,
  exchangeTsNs: 1_732_000_000_123_456_789n,
  updateId: 987_654_321n,
  flags: 1,
  bids: levels(4500000000000n, -50_000_000n),
  asks: levels(4500050000000n, 50_000_000n),
};

/**
 * What a consumer keeps from a message: the sequence (gap detection), whether the instrument is the subscribed one
 * (compared as 32 bytes, the way a book lookup keys it), and the fields. Every parse case fills the same sink.
 */
class Sink {
  sequence = 0;
  instrumentOk = false;
  price = 0n;
  size = 0n;
  exchangeTsNs = 0n;
  side = 0;
  updateId = 0n;
  flags = 0;
  levelCount = 0;
  orderCountSum = 0;
  lastBidPrice = 0n;
  lastBidSize = 0n;
  lastAskPrice = 0n;
  lastAskSize = 0n;
  reset(): void {
    Object.assign(this, new Sink());
  }
}
const sink = new Sink();
const ID = INSTRUMENT.bytes;
/** Frame timestamp for the build-ts cases (a caller that already has the time, e.g. a replay). */
const FRAME_TS = 1_732_000_000_223_456_789n;

function sameInstrument(u8: Uint8Array, o: number): boolean {
  for (let i = 0; i < 32; i++) if (u8[o + i] !== ID[i]) return false;
  return true;
}

function verifyTrade(): void {
  const ok =
    sink.instrumentOk &&
    sink.price === TRADE.price &&
    sink.size === TRADE.size &&
    sink.exchangeTsNs === TRADE.exchangeTsNs &&
    sink.side === TRADE.side &&
    sink.sequence > 0;
  if (!ok) throw new Error(`trade parse produced wrong values: ${JSON.stringify(sink, bigintJson)}`);
}

function verifyBook(): void {
  const b = BOOK.bids[9];
  const a = BOOK.asks[9];
  const sum = [...BOOK.bids, ...BOOK.asks].reduce((s, l) => s + l.orderCount, 0);
  const ok =
    sink.instrumentOk &&
    sink.exchangeTsNs === BOOK.exchangeTsNs &&
    sink.updateId === BOOK.updateId &&
    sink.flags === BOOK.flags &&
    sink.levelCount === 20 &&
    sink.orderCountSum === sum &&
    sink.lastBidPrice === b.price &&
    sink.lastBidSize === b.size &&
    sink.lastAskPrice === a.price &&
    sink.lastAskSize === a.size;
  if (!ok) throw new Error(`book parse produced wrong values: ${JSON.stringify(sink, bigintJson)}`);
}

function bigintJson(_: string, v: unknown): unknown {
  return typeof v === "bigint" ? `${v}` : v;
}

// ---- ap codec through its public API -------------------------------------------------------------------------

function codecCases(): Case[] {
  const builder = new FrameBuilder({ domain: DOMAIN, source: SOURCE });
  const parser = new FrameParser();
  const tradeView = tlvView("Trade");
  const bookView = tlvView("OrderBook");
  const tradeFrame = builder.build("Trade", TRADE).slice();
  const bookFrame = builder.build("OrderBook", BOOK).slice();
  let built: Uint8Array = tradeFrame;

  function checkBuilt(expectedLength: number, parse: () => void): void {
    if (built.length !== expectedLength) throw new Error(`built ${built.length} bytes, expected ${expectedLength}`);
    parse();
  }

  const verifyBuiltTrade = () => checkBuilt(tradeFrame.length, () => parseTradeWith(built));
  const verifyBuiltBook = () => checkBuilt(bookFrame.length, () => parseBookWith(built));
  const c = caseOf("codec");
  return [
    c("trade build", verifyBuiltTrade, (n) => {
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += (built = builder.begin().add("Trade", TRADE).finish()).length;
      return bytes;
    }),
    c("trade build-ts", verifyBuiltTrade, (n) => {
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += (built = builder.begin(FRAME_TS).add("Trade", TRADE).finish()).length;
      return bytes;
    }),
    c("trade parse", verifyTrade, (n) => {
      let ok = 0;
      for (let i = 0; i < n; i++) ok += parseTradeWith(tradeFrame);
      return ok;
    }),
    c("book build", verifyBuiltBook, (n) => {
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += (built = builder.begin().add("OrderBook", BOOK).finish()).length;
      return bytes;
    }),
    c("book parse", verifyBook, (n) => {
      let ok = 0;
      for (let i = 0; i < n; i++) ok += parseBookWith(bookFrame);
      return ok;
    }),
  ];

  function parseTradeWith(frame: Uint8Array): number {
    const p = parser;
    if (p.check(frame) !== ErrorCode.Ok) throw new Error(`check failed: ${p.lastError}`);
    sink.sequence = p.sequenceNumber;
    for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) {
      if (p.tlvType === TlvType.Trade) {
        const t = tradeView.bind(p);
        sink.instrumentOk = sameInstrument(p.bytes, p.tlvOffset);
        sink.price = t.price;
        sink.size = t.size;
        sink.exchangeTsNs = t.exchangeTsNs;
        sink.side = t.side;
      }
    }
    return 1;
  }

  function parseBookWith(frame: Uint8Array): number {
    const p = parser;
    if (p.check(frame) !== ErrorCode.Ok) throw new Error(`check failed: ${p.lastError}`);
    sink.sequence = p.sequenceNumber;
    for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) {
      if (p.tlvType === TlvType.OrderBook) {
        const b = bookView.bind(p);
        sink.instrumentOk = sameInstrument(p.bytes, p.tlvOffset);
        sink.exchangeTsNs = b.exchangeTsNs;
        sink.updateId = b.updateId;
        sink.flags = b.flags;
        // the levels through the view's list cursors: no level objects (b.bids / b.asks would make them)
        let sum = 0;
        const nb = b.bidsLength;
        const na = b.asksLength;
        for (let i = 0; i < nb; i++) {
          const l = b.bidsAt(i);
          sink.lastBidPrice = l.price;
          sink.lastBidSize = l.size;
          sum += l.orderCount;
        }
        for (let i = 0; i < na; i++) {
          const l = b.asksAt(i);
          sink.lastAskPrice = l.price;
          sink.lastAskSize = l.size;
          sum += l.orderCount;
        }
        sink.levelCount = nb + na;
        sink.orderCountSum = sum;
      }
    }
    return 1;
  }
}

/** The book consumer's work on decoded levels, shared by every case that gets level objects. */
function consumeLevels(bids: readonly BookLevelLike[], asks: readonly BookLevelLike[]): void {
  let sum = 0;
  for (let i = 0; i < bids.length; i++) {
    const l = bids[i];
    sink.lastBidPrice = l.price;
    sink.lastBidSize = l.size;
    sum += l.orderCount;
  }
  for (let i = 0; i < asks.length; i++) {
    const l = asks[i];
    sink.lastAskPrice = l.price;
    sink.lastAskSize = l.size;
    sum += l.orderCount;
  }
  sink.levelCount = bids.length + asks.length;
  sink.orderCountSum = sum;
}
interface BookLevelLike {
  price: bigint;
  size: bigint;
  orderCount: number;
}

// ---- hand-written DataView baseline: same bytes, same checks, same crc32 -----------------------------------------

function dataViewCases(): Case[] {
  const buf = new Uint8Array(4096);
  const dv = new DataView(buf.buffer);
  let sequence = 1;

  function header(payloadSize: number, timestampNs?: bigint): void {
    dv.setUint32(0, MAGIC, true);
    buf[4] = DOMAIN;
    buf[5] = PROTOCOL_VERSION;
    buf[6] = SOURCE;
    buf[7] = 0;
    const seq = sequence++;
    dv.setUint32(8, seq % 4294967296, true);
    dv.setUint32(12, Math.floor(seq / 4294967296), true);
    if (timestampNs === undefined) writeNowNs(dv, 16);
    else dv.setBigUint64(16, timestampNs, true);
    dv.setUint32(24, payloadSize, true);
  }
  let view = buf.subarray(0, 0);
  function seal(payloadSize: number): Uint8Array {
    dv.setUint32(28, crc32(buf, HEADER_SIZE, HEADER_SIZE + payloadSize, crc32(buf, 0, 28, 0, dv), dv), true);
    // a view per frame would cost an allocation (~29 ns): reuse the last one when the length is the same
    if (view.length !== HEADER_SIZE + payloadSize) view = buf.subarray(0, HEADER_SIZE + payloadSize);
    return view;
  }
  function buildTrade(t: Trade, timestampNs?: bigint): Uint8Array {
    header(66, timestampNs);
    buf[32] = TlvType.Trade;
    buf[33] = 64;
    const o = 34;
    buf.set(t.instrument.bytes, o);
    dv.setBigInt64(o + 32, t.price, true);
    dv.setBigInt64(o + 40, t.size, true);
    dv.setBigUint64(o + 48, t.exchangeTsNs, true);
    buf[o + 56] = t.side;
    dv.setUint32(o + 57, 0, true);
    buf[o + 61] = buf[o + 62] = buf[o + 63] = 0;
    return seal(66);
  }
  function buildBook(b: OrderBook): Uint8Array {
    const size = 56 + 24 * (b.bids.length + b.asks.length);
    header(5 + size);
    buf[32] = 255;
    buf[33] = 0;
    buf[34] = TlvType.OrderBook;
    dv.setUint16(35, size, true);
    const o = 37;
    buf.set(b.instrument.bytes, o);
    dv.setBigUint64(o + 32, b.exchangeTsNs, true);
    dv.setBigUint64(o + 40, b.updateId, true);
    dv.setUint16(o + 48, b.bids.length, true);
    dv.setUint16(o + 50, b.asks.length, true);
    buf[o + 52] = b.flags;
    buf[o + 53] = buf[o + 54] = buf[o + 55] = 0;
    const p = writeLevels(b.bids, o + 56);
    writeLevels(b.asks, p);
    return seal(5 + size);
  }

  function writeLevels(side: OrderBook["bids"], p: number): number {
    for (let i = 0; i < side.length; i++, p += 24) {
      const l = side[i];
      dv.setBigInt64(p, l.price, true);
      dv.setBigInt64(p + 8, l.size, true);
      dv.setUint32(p + 16, l.orderCount, true);
      dv.setUint32(p + 20, 0, true);
    }
    return p;
  }

  /** Header checks of PROTOCOL.md §2 and the CRC; returns the payload size or -1. */
  function checkFrame(f: Uint8Array, v: DataView): number {
    if (f.length < HEADER_SIZE || v.getUint32(0, true) !== MAGIC || f[5] !== PROTOCOL_VERSION) return -1;
    if (f[4] < 1 || f[4] > 4) return -1;
    const payloadSize = v.getUint32(24, true);
    if (payloadSize > 1_048_576 - HEADER_SIZE || f.length < HEADER_SIZE + payloadSize) return -1;
    const crc = crc32(f, HEADER_SIZE, HEADER_SIZE + payloadSize, crc32(f, 0, 28, 0, v), v);
    return crc === v.getUint32(28, true) ? payloadSize : -1;
  }
  function parseTrade(f: Uint8Array, v: DataView): number {
    const payloadSize = checkFrame(f, v);
    if (payloadSize !== 66 || f[32] !== TlvType.Trade || f[33] !== 64) throw new Error("bad trade frame");
    sink.sequence = v.getUint32(8, true) + v.getUint32(12, true) * 4294967296;
    const o = 34;
    sink.instrumentOk = sameInstrument(f, o);
    sink.price = v.getBigInt64(o + 32, true);
    sink.size = v.getBigInt64(o + 40, true);
    sink.exchangeTsNs = v.getBigUint64(o + 48, true);
    sink.side = f[o + 56];
    return 1;
  }
  function parseBook(f: Uint8Array, v: DataView): number {
    const payloadSize = checkFrame(f, v);
    if (payloadSize < 5 || f[32] !== 255 || f[33] !== 0 || f[34] !== TlvType.OrderBook) throw new Error("bad book");
    const length = v.getUint16(35, true);
    const o = 37;
    const bidCount = v.getUint16(o + 48, true);
    const askCount = v.getUint16(o + 50, true);
    if (length !== payloadSize - 5 || length !== 56 + 24 * (bidCount + askCount) || bidCount > 50 || askCount > 50) {
      throw new Error("bad book size");
    }
    sink.sequence = v.getUint32(8, true) + v.getUint32(12, true) * 4294967296;
    sink.instrumentOk = sameInstrument(f, o);
    sink.exchangeTsNs = v.getBigUint64(o + 32, true);
    sink.updateId = v.getBigUint64(o + 40, true);
    sink.flags = f[o + 52];
    let p = o + 56;
    let sum = 0;
    for (let i = 0; i < bidCount; i++, p += 24) {
      sink.lastBidPrice = v.getBigInt64(p, true);
      sink.lastBidSize = v.getBigInt64(p + 8, true);
      sum += v.getUint32(p + 16, true);
    }
    for (let i = 0; i < askCount; i++, p += 24) {
      sink.lastAskPrice = v.getBigInt64(p, true);
      sink.lastAskSize = v.getBigInt64(p + 8, true);
      sum += v.getUint32(p + 16, true);
    }
    sink.levelCount = bidCount + askCount;
    sink.orderCountSum = sum;
    return 1;
  }

  const tradeFrame = buildTrade(TRADE).slice();
  const bookFrame = buildBook(BOOK).slice();
  const tradeDv = new DataView(tradeFrame.buffer);
  const bookDv = new DataView(bookFrame.buffer);
  let built: Uint8Array = tradeFrame;
  const reparse = (parse: (f: Uint8Array, v: DataView) => number) => () => {
    const copy = built.slice();
    parse(copy, new DataView(copy.buffer));
  };
  const c = caseOf("dataview");
  return [
    c("trade build", reparse(parseTrade), (n) => {
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += (built = buildTrade(TRADE)).length;
      return bytes;
    }),
    c("trade build-ts", reparse(parseTrade), (n) => {
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += (built = buildTrade(TRADE, FRAME_TS)).length;
      return bytes;
    }),
    c("trade parse", verifyTrade, (n) => {
      let ok = 0;
      for (let i = 0; i < n; i++) ok += parseTrade(tradeFrame, tradeDv);
      return ok;
    }),
    c("book build", reparse(parseBook), (n) => {
      let bytes = 0;
      for (let i = 0; i < n; i++) bytes += (built = buildBook(BOOK)).length;
      return bytes;
    }),
    c("book parse", verifyBook, (n) => {
      let ok = 0;
      for (let i = 0; i < n; i++) ok += parseBook(bookFrame, bookDv);
      return ok;
    }),
  ];
}

// ---- msgpackr: records (shared structures), buffer reused, int64 as bigint ------------------------------------

/** REUSE_BUFFER_MODE returns msgpackr's whole buffer with the message at [start, end): no view per message. */
type Reused = Uint8Array & { start: number; end: number };
const reusedBytes = (b: Reused) => b.slice(b.start, b.end);

function msgpackrCases(): Case[] {
  // One Packr both ways with shared structures: records are written as a structure id + values (no keys), the
  // fastest msgpackr mode for a fixed schema. REUSE_BUFFER_MODE hands back its own buffer with start/end set (no
  // copy, no view object per message). Header and book flags are separate keys (frameFlags, flags).
  const packr = new Packr({ useRecords: true, structures: [], copyBuffers: false });
  let sequence = 1;
  const tradeMsg = {
    domain: DOMAIN,
    source: SOURCE,
    frameFlags: 0,
    sequence: 1,
    timestampNs: 0n,
    ...TRADE,
    instrument: ID,
  };
  const bookMsg = {
    domain: DOMAIN,
    source: SOURCE,
    frameFlags: 0,
    sequence: 1,
    timestampNs: 0n,
    ...BOOK,
    instrument: ID,
  };
  // msgpackr writes a fresh record's keys once; pack once so the structures exist before timing
  const tradeBytes = Uint8Array.from(packr.pack(tradeMsg));
  const bookBytes = Uint8Array.from(packr.pack(bookMsg));
  let built: Uint8Array = tradeBytes;
  type TradeMsg = typeof tradeMsg;
  type BookMsg = typeof bookMsg;

  function parseTrade(bytes: Uint8Array): number {
    const m = packr.unpack(bytes) as TradeMsg;
    if (m.domain !== DOMAIN) throw new Error("bad domain");
    sink.sequence = m.sequence;
    sink.instrumentOk = sameInstrument(m.instrument, 0);
    sink.price = m.price;
    sink.size = m.size;
    sink.exchangeTsNs = m.exchangeTsNs;
    sink.side = m.side;
    return 1;
  }
  function parseBook(bytes: Uint8Array): number {
    const m = packr.unpack(bytes) as BookMsg;
    if (m.domain !== DOMAIN) throw new Error("bad domain");
    sink.sequence = m.sequence;
    sink.instrumentOk = sameInstrument(m.instrument, 0);
    sink.exchangeTsNs = m.exchangeTsNs;
    sink.updateId = m.updateId;
    sink.flags = m.flags;
    consumeLevels(m.bids, m.asks);
    return 1;
  }
  // the two build loops differ only in the message: kept apart so that each timed loop sees one message shape
  const c = caseOf("msgpackr");
  return [
    c(
      "trade build",
      () => parseTrade(reusedBytes(built as Reused)),
      (n) => {
        let bytes = 0;
        for (let i = 0; i < n; i++) {
          tradeMsg.sequence = sequence++;
          tradeMsg.timestampNs = nowNs();
          const out = packr.pack(tradeMsg, REUSE_BUFFER_MODE) as unknown as Reused;
          bytes += out.end - out.start;
          built = out;
        }
        return bytes;
      },
    ),
    c("trade parse", verifyTrade, (n) => {
      let ok = 0;
      for (let i = 0; i < n; i++) ok += parseTrade(tradeBytes);
      return ok;
    }),
    c(
      "book build",
      () => parseBook(reusedBytes(built as Reused)),
      (n) => {
        let bytes = 0;
        for (let i = 0; i < n; i++) {
          bookMsg.sequence = sequence++;
          bookMsg.timestampNs = nowNs();
          const out = packr.pack(bookMsg, REUSE_BUFFER_MODE) as unknown as Reused;
          bytes += out.end - out.start;
          built = out;
        }
        return bytes;
      },
    ),
    c("book parse", verifyBook, (n) => {
      let ok = 0;
      for (let i = 0; i < n; i++) ok += parseBook(bookBytes);
      return ok;
    }),
  ];
}

// ---- protobufjs: schema parsed at runtime (reflection, no codegen step), 64-bit fields as fixed64/sfixed64 -------

const PROTO = `
syntax = "proto3";
message TradeFrame {
  uint32 domain = 1; uint32 source = 2; uint32 flags = 3; fixed64 sequence = 4; fixed64 timestamp_ns = 5;
  bytes instrument = 6; sfixed64 price = 7; sfixed64 size = 8; fixed64 exchange_ts_ns = 9; uint32 side = 10;
}
message Level { sfixed64 price = 1; sfixed64 size = 2; uint32 order_count = 3; }
message BookFrame {
  uint32 domain = 1; uint32 source = 2; uint32 flags = 3; fixed64 sequence = 4; fixed64 timestamp_ns = 5;
  bytes instrument = 6; fixed64 exchange_ts_ns = 7; fixed64 update_id = 8; uint32 book_flags = 9;
  repeated Level bids = 10; repeated Level asks = 11;
}`;

/** {low, high} is what protobufjs's writer reads from a 64-bit value (LongBits.from); it does not take bigints. */
interface Bits {
  low: number;
  high: number;
}
// bigint <-> two int32 halves through a scratch DataView: no intermediate bigints (the fastest faithful mapping
// measured; Long.fromBigInt / toBigInt allocate several bigints per value)
const scratch = new DataView(new ArrayBuffer(8));
function toBits(x: bigint, out: Bits): Bits {
  scratch.setBigInt64(0, x, true);
  out.low = scratch.getInt32(0, true);
  out.high = scratch.getInt32(4, true);
  return out;
}
function fromBitsSigned(l: Bits): bigint {
  scratch.setInt32(0, l.low, true);
  scratch.setInt32(4, l.high, true);
  return scratch.getBigInt64(0, true);
}
function fromBitsUnsigned(l: Bits): bigint {
  scratch.setInt32(0, l.low, true);
  scratch.setInt32(4, l.high, true);
  return scratch.getBigUint64(0, true);
}
function seqBits(seq: number, out: Bits): Bits {
  out.low = seq | 0;
  out.high = Math.floor(seq / 4294967296) | 0;
  return out;
}
function seqNumber(l: Bits): number {
  return (l.low >>> 0) + (l.high >>> 0) * 4294967296;
}
const bits = (): Bits => ({ low: 0, high: 0 });

function protobufCases(): Case[] {
  const root = protobuf.parse(PROTO).root;
  const TradeFrame = root.lookupType("TradeFrame");
  const BookFrame = root.lookupType("BookFrame");
  let sequence = 1;
  // reused message objects; the 64-bit fields hold reused {low, high} pairs filled from the bigints per message
  const tradeMsg = {
    domain: DOMAIN,
    source: SOURCE,
    flags: 0,
    sequence: bits(),
    timestampNs: bits(),
    instrument: ID,
    price: bits(),
    size: bits(),
    exchangeTsNs: bits(),
    side: 0,
  };
  const levelMsgs = (n: number) => Array.from({ length: n }, () => ({ price: bits(), size: bits(), orderCount: 0 }));
  const bookMsg = {
    domain: DOMAIN,
    source: SOURCE,
    flags: 0,
    sequence: bits(),
    timestampNs: bits(),
    instrument: ID,
    exchangeTsNs: bits(),
    updateId: bits(),
    bookFlags: 0,
    bids: levelMsgs(BOOK.bids.length),
    asks: levelMsgs(BOOK.asks.length),
  };
  function encodeTrade(t: Trade): Uint8Array {
    const m = tradeMsg;
    seqBits(sequence++, m.sequence);
    toBits(nowNs(), m.timestampNs);
    m.instrument = t.instrument.bytes;
    toBits(t.price, m.price);
    toBits(t.size, m.size);
    toBits(t.exchangeTsNs, m.exchangeTsNs);
    m.side = t.side;
    return TradeFrame.encode(m).finish();
  }
  function encodeBook(b: OrderBook): Uint8Array {
    const m = bookMsg;
    seqBits(sequence++, m.sequence);
    toBits(nowNs(), m.timestampNs);
    m.instrument = b.instrument.bytes;
    toBits(b.exchangeTsNs, m.exchangeTsNs);
    toBits(b.updateId, m.updateId);
    m.bookFlags = b.flags;
    for (let i = 0; i < b.bids.length; i++) {
      const l = b.bids[i];
      const o = m.bids[i];
      toBits(l.price, o.price);
      toBits(l.size, o.size);
      o.orderCount = l.orderCount;
    }
    for (let i = 0; i < b.asks.length; i++) {
      const l = b.asks[i];
      const o = m.asks[i];
      toBits(l.price, o.price);
      toBits(l.size, o.size);
      o.orderCount = l.orderCount;
    }
    return BookFrame.encode(m).finish();
  }
  type DecodedTrade = Omit<typeof tradeMsg, "instrument"> & { instrument: Uint8Array };
  type DecodedLevel = { price: Bits; size: Bits; orderCount: number };
  type DecodedBook = Omit<typeof bookMsg, "instrument" | "bids" | "asks"> & {
    instrument: Uint8Array;
    bids: DecodedLevel[];
    asks: DecodedLevel[];
  };
  function parseTrade(bytes: Uint8Array): number {
    const m = TradeFrame.decode(bytes) as unknown as DecodedTrade;
    if (m.domain !== DOMAIN) throw new Error("bad domain");
    sink.sequence = seqNumber(m.sequence);
    sink.instrumentOk = sameInstrument(m.instrument, 0);
    sink.price = fromBitsSigned(m.price);
    sink.size = fromBitsSigned(m.size);
    sink.exchangeTsNs = fromBitsUnsigned(m.exchangeTsNs);
    sink.side = m.side;
    return 1;
  }
  function parseBook(bytes: Uint8Array): number {
    const m = BookFrame.decode(bytes) as unknown as DecodedBook;
    if (m.domain !== DOMAIN) throw new Error("bad domain");
    sink.sequence = seqNumber(m.sequence);
    sink.instrumentOk = sameInstrument(m.instrument, 0);
    sink.exchangeTsNs = fromBitsUnsigned(m.exchangeTsNs);
    sink.updateId = fromBitsUnsigned(m.updateId);
    sink.flags = m.bookFlags;
    let sum = 0;
    for (let i = 0; i < m.bids.length; i++) {
      const l = m.bids[i];
      sink.lastBidPrice = fromBitsSigned(l.price);
      sink.lastBidSize = fromBitsSigned(l.size);
      sum += l.orderCount;
    }
    for (let i = 0; i < m.asks.length; i++) {
      const l = m.asks[i];
      sink.lastAskPrice = fromBitsSigned(l.price);
      sink.lastAskSize = fromBitsSigned(l.size);
      sum += l.orderCount;
    }
    sink.levelCount = m.bids.length + m.asks.length;
    sink.orderCountSum = sum;
    return 1;
  }
  const tradeBytes = encodeTrade(TRADE).slice();
  const bookBytes = encodeBook(BOOK).slice();
  let built: Uint8Array = tradeBytes;
  const c = caseOf("protobufjs");
  return [
    c(
      "trade build",
      () => parseTrade(built),
      (n) => {
        let bytes = 0;
        for (let i = 0; i < n; i++) bytes += (built = encodeTrade(TRADE)).length;
        return bytes;
      },
    ),
    c("trade parse", verifyTrade, (n) => {
      let ok = 0;
      for (let i = 0; i < n; i++) ok += parseTrade(tradeBytes);
      return ok;
    }),
    c(
      "book build",
      () => parseBook(built),
      (n) => {
        let bytes = 0;
        for (let i = 0; i < n; i++) bytes += (built = encodeBook(BOOK)).length;
        return bytes;
      },
    ),
    c("book parse", verifyBook, (n) => {
      let ok = 0;
      for (let i = 0; i < n; i++) ok += parseBook(bookBytes);
      return ok;
    }),
  ];
}

// ---- harness -------------------------------------------------------------------------------------------------

export interface CaseResult {
  case: string;
  impl: Case["impl"];
  frame: Case["frame"];
  op: Case["op"];
  opsPerSec: number;
  nsPerOp: number;
  /** ns/op of every round, fastest first; the reported figure is their median. */
  roundsNs: number[];
  /** JS heap cells allocated per message (see bench/README.md); null when the count was not linear in N. */
  allocsPerMsg: number | null;
  /** The same count by cell type, e.g. { BigInt: 3 }. */
  allocsByType: Record<string, number>;
  /** this ns/op divided by the DataView baseline's (lower is faster; the target is <= 1.5 for codec). */
  vsDataView: number;
  vsMsgpackr: number;
  vsProtobufjs: number;
  /** Size of one encoded message in bytes. */
  bytes: number;
}

// Results are folded in here so the JIT cannot drop the measured work; never read on purpose.
// biome-ignore lint/correctness/noUnusedVariables: a sink for benchmark results
let blackhole = 0;

/** Runs `c` in batches for `ms` milliseconds; returns ns per op. */
function timeFor(c: Case, ms: number, batch: number): number {
  const budget = ms * 1e6;
  let ops = 0;
  const start = Bun.nanoseconds();
  let elapsed = 0;
  do {
    blackhole += c.run(batch);
    ops += batch;
    elapsed = Bun.nanoseconds() - start;
  } while (elapsed < budget);
  return elapsed / ops;
}

function cellCount(): { total: number; byType: Record<string, number> } {
  const byType = heapStats().objectTypeCounts as Record<string, number>;
  let total = 0;
  for (const k in byType) total += byType[k];
  return { total, byType };
}

interface CellDelta {
  total: number;
  byType: Record<string, number>;
  /** A GC ran inside the measurement (the canary symbols were swept): the count is spoiled. */
  collected: boolean;
}

const CANARIES = 64;
/** Unreachable symbols made right after the full GC: they are counted until the next collection sweeps them. */
function makeCanaries(): void {
  for (let i = 0; i < CANARIES; i++) Symbol(`gc-canary-${i}`);
}

/**
 * Heap cells allocated by n runs: full GC, count the cells, run, count again without collecting. JSC's
 * objectTypeCounts walks every cell not yet swept, so cells allocated since the GC are included whether or not they
 * are still reachable - as long as no collection runs in between, which the canaries tell (no case makes symbols).
 */
function cellsFor(c: Case, n: number): CellDelta {
  Bun.gc(true);
  makeCanaries();
  const before = cellCount();
  blackhole += c.run(n);
  const after = cellCount();
  const byType: Record<string, number> = {};
  for (const k in after.byType) {
    const d = after.byType[k] - (before.byType[k] ?? 0);
    if (d !== 0) byType[k] = d;
  }
  const collected = (after.byType.symbol ?? 0) < (before.byType.symbol ?? 0);
  return { total: after.total - before.total, byType, collected };
}

/**
 * Cells per message: the count of n runs minus the count of an empty run (heapStats() allocates a few hundred
 * cells itself), divided by n. Accepted only when no GC ran and n/2 runs gave the same rate (within 2% or 0.1 cell);
 * otherwise n is halved and it tries again.
 */
function measureAllocs(c: Case, n: number): { perMsg: number | null; byType: Record<string, number> } {
  const idle: Case = { ...c, run: () => 0 };
  const empty = [cellsFor(idle, 0), cellsFor(idle, 0)].sort((a, b) => a.total - b.total)[0];
  const overhead = empty.total;
  blackhole += c.run(n); // settle the JIT on this exact loop first
  for (let attempt = 0; attempt < 6; attempt++, n = Math.max(64, n >> 1)) {
    const half = cellsFor(c, n >> 1);
    const full = cellsFor(c, n);
    if (half.collected || full.collected) continue;
    const perFull = (full.total - overhead) / n;
    const perHalf = (half.total - overhead) / (n >> 1);
    // a JIT compilation inside the run adds a few dozen cells (code blocks, structures) once: tolerate 0.1/msg
    if (Math.abs(perFull - perHalf) <= Math.max(0.1, 0.02 * perFull)) {
      const byType: Record<string, number> = {};
      for (const k in full.byType) {
        const v = Math.round(((full.byType[k] - (empty.byType[k] ?? 0)) / n) * 100) / 100;
        if (Math.abs(v) >= 0.01) byType[k] = v;
      }
      return { perMsg: Math.max(0, Math.round(perFull * 100) / 100), byType };
    }
  }
  return { perMsg: null, byType: {} };
}

const IMPLS: Case["impl"][] = ["codec", "dataview", "msgpackr", "protobufjs"];

/** Measures every case and returns the result object (also written to bench/results/ unless quick). */
export async function benchCodec(options: BenchCodecOptions = {}): Promise<unknown> {
  const quick = options.quick ?? false;
  const rounds = quick ? 5 : 7;
  const perCaseMs = quick ? 100 : 700;
  const roundMs = perCaseMs / rounds;
  const warmupMs = quick ? 30 : 250;
  const allocN = quick ? 2000 : 8000;

  const only = process.env.BENCH_ONLY?.split(",");
  const cases = [...codecCases(), ...dataViewCases(), ...msgpackrCases(), ...protobufCases()].filter(
    (c) => !only || only.includes(c.impl) || only.includes(`${c.impl} ${c.name}`),
  );
  // correctness first: every decoder must give the values that were encoded
  for (const c of cases) {
    sink.reset();
    c.run(3);
    c.verify();
  }
  // warm-up, then pick a batch size of ~1 ms so the clock is read rarely
  const batch = new Map<Case, number>();
  for (const c of cases) {
    const ns = timeFor(c, warmupMs, 64);
    batch.set(c, Math.max(16, Math.round(1e6 / ns)));
  }
  // rounds interleave the cases, so that a burst of load from another process hits them all alike
  const roundsNs = new Map<Case, number[]>(cases.map((c) => [c, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) roundsNs.get(c)!.push(timeFor(c, roundMs, batch.get(c)!));
  }
  for (const c of cases) {
    sink.reset();
    c.run(1);
    c.verify();
  }
  const ns = new Map<Case, number>(cases.map((c) => [c, median(roundsNs.get(c)!)]));
  const find = (impl: Case["impl"], like: Case) =>
    cases.find((x) => x.impl === impl && x.frame === like.frame && x.op === like.op);
  const results: CaseResult[] = cases.map((c) => {
    const a = measureAllocs(c, allocN);
    const own = ns.get(c)!;
    return {
      case: `${c.impl} ${c.name}`,
      impl: c.impl,
      frame: c.frame,
      op: c.op,
      opsPerSec: Math.round(1e9 / own),
      nsPerOp: Math.round(own * 10) / 10,
      roundsNs: roundsNs
        .get(c)!
        .sort((x, y) => x - y)
        .map((x) => Math.round(x * 10) / 10),
      allocsPerMsg: a.perMsg,
      allocsByType: a.byType,
      vsDataView: ratio(own, ns.get(find("dataview", c)!) ?? Number.NaN),
      vsMsgpackr: ratio(own, ns.get(find("msgpackr", c)!) ?? Number.NaN),
      vsProtobufjs: ratio(own, ns.get(find("protobufjs", c)!) ?? Number.NaN),
      bytes: encodedSize(c, cases),
    };
  });
  results.sort(
    (x, y) =>
      x.frame.localeCompare(y.frame) * -1 || x.op.localeCompare(y.op) || IMPLS.indexOf(x.impl) - IMPLS.indexOf(y.impl),
  );
  const out = {
    benchmark: "codec",
    date: new Date().toISOString(),
    quick,
    machine: machine(),
    method: {
      rounds,
      roundMs,
      warmupMs,
      statistic: "median of rounds (rounds interleave the cases)",
      allocations:
        "JS heap cells: heapStats().objectTypeCounts delta over N runs after Bun.gc(true), no GC inside, linear in N",
      allocN,
    },
    targets: targets(results),
    results,
  };
  if (!quick) writeResults(join(import.meta.dir, "results"), "codec", out);
  if (options.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else process.stdout.write(table(out.results, out.machine, out.targets, quick));
  return out;
}

function times(x: number): string {
  return Number.isNaN(x) ? "-" : x.toFixed(2);
}

function ratio(a: number, b: number): number {
  return Math.round((a / b) * 100) / 100;
}

function encodedSize(c: Case, _all: Case[]): number {
  // the run() of a build case returns the bytes it produced
  return c.op === "build"
    ? c.run(1)
    : (_all.find((x) => x.impl === c.impl && x.frame === c.frame && x.op === "build")?.run(1) ?? 0);
}

interface Target {
  what: string;
  value: number;
  target: string;
  met: boolean;
}

function targets(results: CaseResult[]): Target[] {
  const get = (frame: string, op: string) =>
    results.find((r) => r.impl === "codec" && r.frame === frame && r.op === op);
  const list: Target[] = [];
  const add = (what: string, value: number | undefined, target: string, met: (v: number) => boolean) => {
    if (value !== undefined && !Number.isNaN(value)) list.push({ what, value, target, met: met(value) });
  };
  add("trade build msg/s", get("trade", "build")?.opsPerSec, ">= 10,000,000", (v) => v >= 10e6);
  add("trade parse msg/s", get("trade", "parse")?.opsPerSec, ">= 12,000,000", (v) => v >= 12e6);
  for (const frame of ["trade", "book"]) {
    for (const op of ["build", "parse"]) {
      const r = get(frame, op);
      add(`${frame} ${op} vs DataView`, r?.vsDataView, "<= 1.5", (v) => v <= 1.5);
      add(`${frame} ${op} vs msgpackr`, r?.vsMsgpackr, "< 1", (v) => v < 1);
      add(`${frame} ${op} vs protobufjs`, r?.vsProtobufjs, "< 1", (v) => v < 1);
    }
  }
  return list;
}

function table(results: CaseResult[], m: Record<string, unknown>, t: Target[], quick: boolean): string {
  const head = ["case", "msg/s", "ns/msg", "allocs/msg", "bytes", "x DataView", "x msgpackr", "x protobufjs"];
  const rows = results.map((r) => [
    r.case,
    r.opsPerSec.toLocaleString("en-US"),
    r.nsPerOp.toFixed(1),
    r.allocsPerMsg === null ? "n/a" : r.allocsPerMsg.toFixed(2),
    String(r.bytes),
    times(r.vsDataView),
    times(r.vsMsgpackr),
    times(r.vsProtobufjs),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  let s = `codec benchmark - ${m.cpuModel}, ${m.cores} cores, Bun ${m.bun}${quick ? " (quick: rough numbers)" : ""}\n`;
  s += `${line(head)}\n${line(widths.map((w) => "-".repeat(w)))}\n`;
  let prev = "";
  for (let i = 0; i < rows.length; i++) {
    const key = `${results[i].frame} ${results[i].op}`;
    if (prev && key !== prev) s += "\n";
    prev = key;
    s += `${line(rows[i])}\n`;
  }
  s += "x X = ns/msg divided by X's ns/msg in this run (lower is faster); median of interleaved rounds.\n";
  s += "allocs/msg = JS heap cells per message (bench/README.md); build-ts = timestamp given, no clock read.\n";
  s += "targets (issue 3):\n";
  for (const x of t)
    s += `  ${x.met ? "ok    " : "MISSED"}  ${x.what}: ${x.value.toLocaleString("en-US")} (${x.target})\n`;
  return s;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  await benchCodec({ quick: args.includes("--quick"), json: args.includes("--json") });
}
