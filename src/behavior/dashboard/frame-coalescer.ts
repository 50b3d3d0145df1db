import { InstrumentId } from "../../data/instrument-id.ts";
import type { BookLevel } from "../../data/tlv-layouts.ts";
import { FrameBuilder } from "../../rules/builder.ts";
import { FrameFlags } from "../../rules/header.ts";
import type { FrameParser } from "../../rules/parser.ts";
import { OrderBook } from "../market/order-book.ts";

/** What the coalescer does with a frame, by the type of its first TLV that is not ignored. */
const Kind = { Ignore: 0, Latest: 1, Book: 2, Pass: 3, Breaker: 4 } as const;

const KIND_BY_TYPE = new Uint8Array(256);
// Market data whose newest value replaces the older ones: keep the latest frame per (type, instrument).
for (const t of [1, 2, 4, 10, 11, 12, 13, 15, 16, 18]) KIND_BY_TYPE[t] = Kind.Latest;
// OrderBook and BookDelta: applied to a book kept here, sent as an OrderBook snapshot of the top levels.
KIND_BY_TYPE[3] = Kind.Book;
KIND_BY_TYPE[6] = Kind.Book;
// StateInvalidation, signals and execution: every frame matters, sent unchanged (up to the per-tick cap).
KIND_BY_TYPE[19] = Kind.Pass;
for (let t = 20; t <= 79; t++) KIND_BY_TYPE[t] = Kind.Pass;
KIND_BY_TYPE[71] = Kind.Breaker;
// 100-119 (heartbeats) and the experimental range (kill-switch requests 208-209...): not for the page.

const FILL_TLV = 42;

export interface FrameCoalescerOptions {
  /** Levels per side in the OrderBook snapshots sent to the page. Default 10. */
  bookDepth?: number;
  /** Pass-through frames (signals, orders, fills...) sent per flush; the rest are counted as shed. Default 500. */
  maxPassPerFlush?: number;
  /** Fill frames kept for a page that connects later (it recomputes positions from them). Default 20,000. */
  fillHistory?: number;
  /** Other signal and execution frames kept for a page that connects later. Default 500. */
  passHistory?: number;
}

export interface CoalescerCounters {
  framesIn: number;
  framesOut: number;
  /** Frames replaced by a newer one of the same key before a flush sent them. */
  coalesced: number;
  /** Pass-through frames over maxPassPerFlush, dropped. */
  shed: number;
  /** Frames the coalescer could not use (an invalid InstrumentId in a book). */
  badFrames: number;
}

/** One coalescing key: a market-data frame kind and its instrument (or chain, for GasPrice). */
class Slot {
  frame = new Uint8Array(256);
  frameLength = 0;
  dirty = false;
  book: OrderBook | undefined;
  instrument: InstrumentId | undefined;
  exchangeTsNs = 0n;
  updateId = 0n;
  constructor(
    readonly type: number,
    readonly key: Uint8Array,
  ) {}

  keep(frame: Uint8Array): void {
    if (frame.length > this.frame.length) this.frame = new Uint8Array(Math.max(frame.length, this.frame.length * 2));
    this.frame.set(frame);
    this.frameLength = frame.length;
  }
}

/** A growable byte buffer the flush appends whole frames to; one WebSocket message per flush. */
class ByteBatch {
  buf = new Uint8Array(64 * 1024);
  length = 0;
  append(bytes: Uint8Array, n = bytes.length): void {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.length + n, this.buf.length * 2));
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(n === bytes.length ? bytes : bytes.subarray(0, n), this.length);
    this.length += n;
  }
}

/**
 * Throttles the relays' frames for the browser (docs/dashboard.md "Throttling"): market data is coalesced per
 * instrument and sent at most once per flush (the server flushes every 100 ms, so at most 10 updates a second per
 * instrument and kind); books are kept here from OrderBook and BookDelta and sent as OrderBook snapshots of the top
 * levels; signal and execution frames are sent unchanged, all of them, up to a cap per flush.
 *
 * push() copies what it keeps (the relay's view is valid only during the call); no allocation for a frame that
 * replaces an earlier one of the same key, besides the bigints of book levels.
 */
export class FrameCoalescer {
  readonly counters: CoalescerCounters = { framesIn: 0, framesOut: 0, coalesced: 0, shed: 0, badFrames: 0 };
  private readonly bookDepth: number;
  private readonly maxPass: number;
  private readonly fillCap: number;
  private readonly passCap: number;
  /** Slots by key hash; a collision is resolved by comparing the key bytes. */
  private readonly slots = new Map<number, Slot[]>();
  private readonly dirty: Slot[] = [];
  private readonly pass = new ByteBatch();
  private passCount = 0;
  private readonly fills: Uint8Array[] = [];
  private readonly recent: Uint8Array[] = [];
  private readonly breakers = new Map<string, Uint8Array>();
  private readonly builder = new FrameBuilder({ domain: 1, source: 60 });

  constructor(options: FrameCoalescerOptions = {}) {
    this.bookDepth = options.bookDepth ?? 10;
    this.maxPass = options.maxPassPerFlush ?? 500;
    this.fillCap = options.fillHistory ?? 20_000;
    this.passCap = options.passHistory ?? 500;
  }

  /** Takes one valid frame from a relay (checked by the BusClient's framer). */
  push(frame: Uint8Array, parser: FrameParser): void {
    this.counters.framesIn++;
    let kind: number = Kind.Ignore;
    for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
      kind = KIND_BY_TYPE[parser.tlvType];
      if (kind !== Kind.Ignore) break;
    }
    switch (kind) {
      case Kind.Latest:
        this.pushLatest(frame, parser);
        break;
      case Kind.Book:
        this.pushBook(parser);
        break;
      case Kind.Pass:
      case Kind.Breaker:
        this.pushPass(frame, parser, kind === Kind.Breaker);
        break;
    }
  }

  private pushLatest(frame: Uint8Array, parser: FrameParser): void {
    const type = parser.tlvType;
    // GasPrice is per chain (its first 4 bytes); everything else is per instrument (its first 32 bytes).
    const slot = this.slotFor(type, parser.bytes, parser.tlvOffset, type === 18 ? 4 : 32);
    if (slot.dirty) this.counters.coalesced++;
    else this.markDirty(slot);
    slot.keep(frame);
  }

  private pushBook(parser: FrameParser): void {
    const slot = this.slotFor(3, parser.bytes, parser.tlvOffset, 32);
    if (slot.instrument === undefined) {
      try {
        slot.instrument = InstrumentId.fromBytes(parser.bytes, parser.tlvOffset);
      } catch {
        this.counters.badFrames++;
        return;
      }
      slot.book = new OrderBook();
    }
    const book = slot.book!;
    const dv = parser.view;
    const o = parser.tlvOffset;
    slot.exchangeTsNs = dv.getBigUint64(o + 32, true);
    if (parser.tlvType === 3) {
      // OrderBook: the venue's whole (top-N) book; bids then asks, 24 bytes a level (PROTOCOL.md §6).
      const bids = dv.getUint16(o + 48, true);
      const asks = dv.getUint16(o + 50, true);
      slot.updateId = dv.getBigUint64(o + 40, true);
      book.clear();
      let p = o + 56;
      for (let i = 0; i < bids; i++, p += 24) book.set("bid", dv.getBigInt64(p, true), dv.getBigInt64(p + 8, true));
      for (let i = 0; i < asks; i++, p += 24) book.set("ask", dv.getBigInt64(p, true), dv.getBigInt64(p + 8, true));
    } else {
      // BookDelta: changes of 24 bytes from offset 64: price, size (0 removes), side (1 bid, 2 ask).
      const n = dv.getUint16(o + 56, true);
      slot.updateId = dv.getBigUint64(o + 48, true);
      let p = o + 64;
      for (let i = 0; i < n; i++, p += 24) {
        book.set(parser.bytes[p + 16] === 1 ? "bid" : "ask", dv.getBigInt64(p, true), dv.getBigInt64(p + 8, true));
      }
    }
    if (slot.dirty) this.counters.coalesced++;
    else this.markDirty(slot);
  }

  private pushPass(frame: Uint8Array, parser: FrameParser, breaker: boolean): void {
    if (parser.tlvType === FILL_TLV) {
      this.fills.push(frame.slice());
      if (this.fills.length > this.fillCap) this.fills.splice(0, this.fills.length - this.fillCap);
    } else if (breaker) {
      // The latest event per breaker (scope, reason, scope id, instrument), so a page opened later sees the state.
      const v = parser.tlvValue();
      this.breakers.set(`${v[0]}:${v[2]}:${hex(v.subarray(8, 48))}`, frame.slice());
    } else if (parser.domain !== 1) {
      this.recent.push(frame.slice());
      if (this.recent.length > this.passCap) this.recent.splice(0, this.recent.length - this.passCap);
    }
    if (this.passCount >= this.maxPass) {
      this.counters.shed++;
      return;
    }
    this.passCount++;
    this.pass.append(frame);
  }

  private markDirty(slot: Slot): void {
    slot.dirty = true;
    this.dirty.push(slot);
  }

  private slotFor(type: number, bytes: Uint8Array, offset: number, keyLength: number): Slot {
    // FNV-1a over the type and the key bytes.
    let h = (0x811c9dc5 ^ type) >>> 0;
    for (let i = 0; i < keyLength; i++) h = Math.imul(h ^ bytes[offset + i], 0x01000193);
    let bucket = this.slots.get(h);
    if (bucket !== undefined) {
      for (const s of bucket) {
        if (s.type !== type || s.key.length !== keyLength) continue;
        let same = true;
        for (let i = 0; i < keyLength && same; i++) same = s.key[i] === bytes[offset + i];
        if (same) return s;
      }
    } else {
      bucket = [];
      this.slots.set(h, bucket);
    }
    const slot = new Slot(type, bytes.slice(offset, offset + keyLength));
    bucket.push(slot);
    return slot;
  }

  /** Everything due since the last flush, as frames back to back (one WebSocket message); undefined if nothing. */
  flush(): Uint8Array | undefined {
    const out = new ByteBatch();
    for (const slot of this.dirty) {
      slot.dirty = false;
      if (slot.book !== undefined) this.encodeBook(slot);
      out.append(slot.frame, slot.frameLength);
      this.counters.framesOut++;
    }
    this.dirty.length = 0;
    if (this.pass.length > 0) {
      out.append(this.pass.buf, this.pass.length);
      this.counters.framesOut += this.passCount;
      this.pass.length = 0;
    }
    this.passCount = 0;
    return out.length > 0 ? out.buf.slice(0, out.length) : undefined;
  }

  /** What a page that connects now needs to start from: the latest market data, breakers, and history. */
  snapshot(): Uint8Array {
    const out = new ByteBatch();
    for (const bucket of this.slots.values()) {
      for (const slot of bucket) {
        if (slot.book !== undefined && slot.frameLength === 0) this.encodeBook(slot);
        if (slot.frameLength > 0) out.append(slot.frame, slot.frameLength);
      }
    }
    for (const f of this.recent) out.append(f);
    for (const f of this.breakers.values()) out.append(f);
    for (const f of this.fills) out.append(f);
    return out.buf.slice(0, out.length);
  }

  private encodeBook(slot: Slot): void {
    const book = slot.book!;
    const depth = this.bookDepth;
    const levels = (side: readonly { price: bigint; size: bigint }[]): BookLevel[] => {
      const n = Math.min(depth, side.length);
      const out: BookLevel[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = { price: side[i].price, size: side[i].size, orderCount: 0 };
      return out;
    };
    const frame = this.builder
      .begin(undefined, FrameFlags.Snapshot)
      .add("OrderBook", {
        instrument: slot.instrument!,
        exchangeTsNs: slot.exchangeTsNs,
        updateId: slot.updateId,
        flags: 1,
        bids: levels(book.bids),
        asks: levels(book.asks),
      })
      .finish();
    slot.keep(frame);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}
