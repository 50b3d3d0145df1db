import type { InstrumentId } from "../../../data/instrument-id.ts";
import type { OrderBook as OrderBookTlv } from "../../../data/tlv-layouts.ts";
import { OrderBook } from "../../market/order-book.ts";
import { levelCrc, shiftZeros, valueDigitsCrc, ZT } from "./level-crc.ts";

/**
 * The Kraken collector's own book: what OrderBook (src/behavior/market) holds, kept in the form the hot path needs.
 *
 * - Prices and sizes are e8 integers held as Numbers, exact below 2^53 (every level of the captures). A value of 2^53
 *   or more keeps its exact bigint beside the Number (`pb`, `sb`), and the Number, rounded, only orders: rounding is
 *   monotonic, so two different rounded prices order as their exact values do, and equal rounded prices are
 *   compared by their bigints.
 * - Each level carries its checksum CRC (level-crc.ts: g and length of its price+qty digits), set from the message
 *   text when the level changes, so the per-update checksum never writes digits for levels that did not change.
 *   `epoch` says which precision the CRC was made with; a level with another epoch (set by a snapshot, whose
 *   precision may still be learnt, or before a precision change) gets its CRC from its value when it is checksummed.
 */
export class KrakenLevel {
  constructor(
    /** e8 price (exact when pb is undefined). */
    public p: number,
    public pb: bigint | undefined,
    /** e8 size (exact when sb is undefined). */
    public s: number,
    public sb: bigint | undefined,
    public g: number,
    public len: number,
    public epoch: number,
  ) {}

  get price(): bigint {
    return this.pb ?? BigInt(this.p);
  }

  get size(): bigint {
    return this.sb ?? BigInt(this.s);
  }
}

/** One side, best first (bids descending, asks ascending), found by binary search. */
export class BookSide {
  readonly levels: KrakenLevel[] = [];
  /**
   * Index of the first of the checksummed top 10 levels that changed (set, inserted, removed, truncated) since the
   * side's prefix registers were last brought up to date; CHECKSUM_DEPTH or more: none.
   */
  dirtyFrom = 0;
  /**
   * Prefix registers: reg[i] is the CRC register after the side's first i levels (reg[0] the side's start), len[i]
   * their total length. A change at index k re-runs levels k..9 only.
   */
  readonly reg = new Int32Array(CHECKSUM_DEPTH + 1);
  readonly len = new Int32Array(CHECKSUM_DEPTH + 1);

  constructor(readonly desc: boolean) {}

  get length(): number {
    return this.levels.length;
  }

  /** Index of the price (p, pb), or ~(where it would go) when absent. */
  search(p: number, pb: bigint | undefined): number {
    const levels = this.levels;
    const desc = this.desc;
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const l = levels[mid];
      const q = l.p;
      let ahead: boolean;
      if (q !== p) ahead = desc ? q > p : q < p;
      else if (l.pb === undefined && pb === undefined) return mid;
      else {
        const a = l.price;
        const b = pb ?? BigInt(p);
        if (a === b) return mid;
        ahead = desc ? a > b : a < b;
      }
      if (ahead) lo = mid + 1;
      else hi = mid;
    }
    return ~lo;
  }

  /**
   * Sets a level (size 0 removes it): returns the index it was at or went to, or -1 when nothing changed (removal of
   * an absent level). g/len/epoch: its checksum CRC.
   */
  set(
    p: number,
    pb: bigint | undefined,
    s: number,
    sb: bigint | undefined,
    g: number,
    len: number,
    epoch: number,
  ): number {
    const i = this.search(p, pb);
    const zero = s === 0 && sb === undefined;
    if (i >= 0) {
      if (i < this.dirtyFrom) this.dirtyFrom = i;
      if (zero) {
        // removal by shifting (a plain loop: cheaper than splice's native call at book-10 sizes)
        const levels = this.levels;
        const n = levels.length - 1;
        if (n - i > 64) levels.splice(i, 1);
        else {
          for (let j = i; j < n; j++) levels[j] = levels[j + 1];
          levels.pop();
        }
      } else {
        const l = this.levels[i];
        l.s = s;
        l.sb = sb;
        l.g = g;
        l.len = len;
        l.epoch = epoch;
      }
      return i;
    }
    if (zero) return -1;
    const at = ~i;
    if (at < this.dirtyFrom) this.dirtyFrom = at;
    const level = new KrakenLevel(p, pb, s, sb, g, len, epoch);
    const levels = this.levels;
    const n = levels.length;
    if (at === n) levels.push(level);
    else if (n - at > 64) levels.splice(at, 0, level);
    else {
      levels.push(levels[n - 1]);
      for (let j = n - 1; j > at; j--) levels[j] = levels[j - 1];
      levels[at] = level;
    }
    return at;
  }

  /** True when the price (p, pb) is at or ahead of (better than or equal to) the level `l`. */
  atOrAhead(p: number, pb: bigint | undefined, l: KrakenLevel): boolean {
    const q = l.p;
    if (q !== p) return this.desc ? p > q : p < q;
    if (l.pb === undefined && pb === undefined) return true;
    const a = pb ?? BigInt(p);
    const b = l.price;
    return this.desc ? a >= b : a <= b;
  }
}

/** Levels of each side the checksum covers (Kraken: top 10 asks then top 10 bids). */
export const CHECKSUM_DEPTH = 10;

function truncateSide(side: BookSide, depth: number): void {
  if (side.levels.length > depth) {
    side.levels.length = depth;
    if (depth < side.dirtyFrom) side.dirtyFrom = depth;
  }
}

/** One book per venue symbol. */
export class KrakenBook {
  readonly bids = new BookSide(true);
  readonly asks = new BookSide(false);
  synced = false;
  /** Per-book message counter since the last snapshot (Kraken has no book sequence). */
  updateId = 0;
  /** Update id of the last published OrderBook or BookDelta (a delta covers the ids after it). */
  publishedId = 0;
  checksumsVerified = 0;
  checksumMismatches = 0;
  lastChecksum = 0;
  /** A resubscription was asked for and its snapshot has not come yet. */
  resyncPending = false;
  /** Precision epoch of the level CRCs (see KrakenLevel); bumped when a precision changes. */
  epoch = 0;
  private pd = -1;
  private qd = -1;

  constructor(
    readonly symbol: string,
    readonly id: InstrumentId,
    public depth: number,
  ) {}

  /** Fraction digits Kraken writes prices with (the checksum's), -1 unknown. */
  get priceDecimals(): number {
    return this.pd;
  }

  set priceDecimals(d: number) {
    if (d !== this.pd) {
      this.pd = d;
      this.epoch++;
    }
  }

  get qtyDecimals(): number {
    return this.qd;
  }

  set qtyDecimals(d: number) {
    if (d !== this.qd) {
      this.qd = d;
      this.epoch++;
    }
  }

  clear(): void {
    this.bids.levels.length = 0;
    this.asks.levels.length = 0;
    this.bids.dirtyFrom = 0;
    this.asks.dirtyFrom = 0;
  }

  truncate(depth: number): void {
    truncateSide(this.bids, depth);
    truncateSide(this.asks, depth);
  }

  /**
   * Kraken's CRC32 of the top 10 asks then the top 10 bids (same value as krakenBookChecksum of `book`). Each side
   * keeps the prefix registers of its top 10 levels and re-runs them from its first changed level only: the asks
   * as the register they leave from ~0, the bids as their register from 0 and their length, joined by one shift
   * (CRC linearity).
   */
  checksum(): number {
    if (this.crcEpoch !== this.epoch) {
      this.crcEpoch = this.epoch;
      this.asks.dirtyFrom = 0;
      this.bids.dirtyFrom = 0;
    }
    const asks = this.asks;
    const bids = this.bids;
    if (asks.dirtyFrom < CHECKSUM_DEPTH) this.sideCrc(asks, -1);
    if (bids.dirtyFrom < CHECKSUM_DEPTH) this.sideCrc(bids, 0);
    const na = Math.min(asks.levels.length, CHECKSUM_DEPTH);
    const nb = Math.min(bids.levels.length, CHECKSUM_DEPTH);
    return ~(shiftZeros(asks.reg[na], bids.len[nb]) ^ bids.reg[nb]) >>> 0;
  }

  private crcEpoch = -1;

  /** Brings the side's prefix registers up to date from its first changed level (reg[0] = `start`). */
  private sideCrc(side: BookSide, start: number): void {
    const levels = side.levels;
    const reg = side.reg;
    const lens = side.len;
    const n = Math.min(levels.length, CHECKSUM_DEPTH);
    let i = side.dirtyFrom;
    side.dirtyFrom = CHECKSUM_DEPTH;
    if (i === 0) {
      reg[0] = start;
      lens[0] = 0;
    }
    let c = reg[i];
    let total = lens[i];
    for (; i < n; i++) {
      const l = levels[i];
      if (l.epoch !== this.epoch) {
        valueDigitsCrc(l.p, l.pb, this.pd, 0, 0);
        valueDigitsCrc(l.s, l.sb, this.qd, levelCrc.g, levelCrc.len);
        l.g = levelCrc.g;
        l.len = levelCrc.len;
        l.epoch = this.epoch;
      }
      const n8 = l.len;
      if (n8 >= 4 && n8 <= 64) {
        const o = (n8 - 4) * 256;
        c =
          ZT[o + 768 + (c & 0xff)] ^
          ZT[o + 512 + ((c >>> 8) & 0xff)] ^
          ZT[o + 256 + ((c >>> 16) & 0xff)] ^
          ZT[o + (c >>> 24)] ^
          l.g;
      } else c = shiftZeros(c, n8) ^ l.g;
      total += n8;
      reg[i + 1] = c;
      lens[i + 1] = total;
    }
  }

  /** The book as a shared OrderBook (bigint levels; tests, diagnostics, the venue's view; allocates). */
  get book(): OrderBook {
    const b = new OrderBook();
    for (const l of this.bids.levels) b.bids.push({ price: l.price, size: l.size });
    for (const l of this.asks.levels) b.asks.push({ price: l.price, size: l.size });
    return b;
  }

  /** The best `depth` levels per side as an OrderBook TLV value (order_count unknown = 0). */
  toTlv(exchangeTsNs: bigint, depth: number, snapshot = true): OrderBookTlv {
    const level = (l: KrakenLevel) => ({ price: l.price, size: l.size, orderCount: 0 });
    return {
      instrument: this.id,
      exchangeTsNs,
      updateId: BigInt(this.updateId),
      flags: snapshot ? 1 : 0,
      bids: this.bids.levels.slice(0, depth).map(level),
      asks: this.asks.levels.slice(0, depth).map(level),
    };
  }
}
