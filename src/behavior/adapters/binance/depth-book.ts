import type { InstrumentId } from "../../../data/instrument-id.ts";
import type { OrderBook as OrderBookTlv } from "../../../data/tlv-layouts.ts";
import { type Level, OrderBook } from "../../market/order-book.ts";
import type { LevelBuffer } from "./parsing.ts";

const SAFE = Number.MAX_SAFE_INTEGER;

/** Initial capacity per side; the live levels start in the middle, so both ends can grow without a move. */
const INITIAL = 4096;
/** Shifts of fewer elements than this are done by a loop: a copyWithin call costs more for a few elements. */
const LOOP_SHIFT = 24;

/**
 * One side of the book: prices and sizes in Float64Arrays, sorted worst to best, the live levels at [off, off + n).
 * The best level is the last one, so the common changes (near the top of the book) move only the few levels
 * above them, and the snapshot, loaded best first, adds each level at the worst end in O(1) (off moves down).
 */
class Side {
  /** Level k (logical, 0 = worst) at [2(off + k)] = price, [2(off + k) + 1] = size: one move shifts both. */
  lv = new Float64Array(2 * INITIAL);
  off = INITIAL >> 1;
  n = 0;

  constructor(readonly bid: boolean) {}

  /** Logical index (0 = worst) of `price`, or -(insertion index) - 1 when absent. */
  find(price: number): number {
    const lv = this.lv;
    const off = this.off;
    let lo = 0;
    let hi = this.n;
    // worst to best: bids ascending, asks descending
    if (this.bid) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const p = lv[2 * (off + mid)];
        if (p === price) return mid;
        if (p < price) lo = mid + 1;
        else hi = mid;
      }
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const p = lv[2 * (off + mid)];
        if (p === price) return mid;
        if (p > price) lo = mid + 1;
        else hi = mid;
      }
    }
    return -lo - 1;
  }

  setSize(i: number, size: number): void {
    this.lv[2 * (this.off + i) + 1] = size;
  }

  /**
   * Inserts at logical index i, moving the shorter part: the worse levels [0, i) down (into the room below) or the
   * better ones [i, n) up. Changes spread over the whole book (half of the captured ones are 64+ levels deep), so
   * moving the shorter part halves the moves of deep changes.
   */
  insert(i: number, price: number, size: number): void {
    const n = this.n;
    if (2 * i < n) {
      if (this.off === 0) this.recentre(n + 1);
      const lv = this.lv;
      const start = 2 * this.off;
      const at = start + 2 * i;
      if (at - start < 2 * LOOP_SHIFT) {
        for (let k = start - 2; k < at - 2; k++) lv[k] = lv[k + 2];
      } else lv.copyWithin(start - 2, start, at);
      this.off--;
      lv[at - 2] = price;
      lv[at - 1] = size;
      this.n = n + 1;
      return;
    }
    if (2 * (this.off + n) === this.lv.length) this.recentre(n + 1);
    const lv = this.lv;
    const at = 2 * (this.off + i);
    const end = 2 * (this.off + n);
    if (end - at < 2 * LOOP_SHIFT) {
      for (let k = end + 1; k > at + 1; k--) lv[k] = lv[k - 2];
    } else lv.copyWithin(at + 2, at, end);
    lv[at] = price;
    lv[at + 1] = size;
    this.n = n + 1;
  }

  /** Removes logical index i, moving the shorter part (as insert()). */
  remove(i: number): void {
    const n = this.n;
    const lv = this.lv;
    if (2 * i < n) {
      const start = 2 * this.off;
      const at = start + 2 * i;
      if (at - start < 2 * LOOP_SHIFT) {
        for (let k = at + 1; k > start + 1; k--) lv[k] = lv[k - 2];
      } else lv.copyWithin(start + 2, start, at);
      this.off++;
      this.n = n - 1;
      return;
    }
    const at = 2 * (this.off + i);
    const end = 2 * (this.off + n);
    if (end - at < 2 * LOOP_SHIFT) {
      for (let k = at; k < end - 2; k++) lv[k] = lv[k + 2];
    } else lv.copyWithin(at, at + 2, end);
    this.n = n - 1;
  }

  /** Moves the levels to the middle of a buffer with room for `need` levels and as many again. */
  private recentre(need: number): void {
    const cap = Math.max(this.lv.length >> 1, need * 2);
    const off = (cap - this.n) >> 1;
    const from = 2 * this.off;
    const to = 2 * (this.off + this.n);
    if (2 * cap === this.lv.length)
      this.lv.copyWithin(2 * off, from, to); // overlapping moves are handled
    else {
      const lv = new Float64Array(2 * cap);
      lv.set(this.lv.subarray(from, to), 2 * off);
      this.lv = lv;
    }
    this.off = off;
  }

  clear(): void {
    this.n = 0;
    this.off = this.lv.length >> 2;
  }

  /** Price and size of the k-th best level (k = 0: the best). */
  priceAt(k: number): number {
    return this.lv[2 * (this.off + this.n - 1 - k)];
  }

  sizeAt(k: number): number {
    return this.lv[2 * (this.off + this.n - 1 - k) + 1];
  }
}

/**
 * The Binance book: the same operations and results as the common OrderBook (size 0 removes, equal size changes
 * nothing, binary search), but prices and sizes are kept as exact integer Numbers (e8) while every value is within
 * ±(2^53-1) — always, for BTCUSDT: 61,737.63 is 6.17e12 at e8. A value beyond that switches the book to a common
 * OrderBook of bigints until clear().
 *
 * Measured (bench/collector-binance, spot session: a 1000+1000-level snapshot then ~27k level changes): the common
 * OrderBook's set() was ~32% of the collector's profile (bigint compares in the binary search, splice of Level
 * objects); best-first Float64Arrays then spent 17% in copyWithin (a change near the top moved the whole side);
 * worst-to-best sides with room at both ends move only the levels above the change. Prices and sizes interleaved
 * in one array (one copyWithin per move instead of two): depth events ~2-3% faster, within the run-to-run noise.
 */
export class DepthBook {
  private readonly bids = new Side(true);
  private readonly asks = new Side(false);
  /** Set when a value does not fit a safe integer: the book lives here (bigints) until clear(). */
  private big: OrderBook | undefined;
  /**
   * What the consumers hold (markPublished, widen): the published snapshot's best `pubDepth` levels plus every change
   * since, so they know each bid at a price >= bidHorizon and each ask at a price <= askHorizon exactly (±Infinity:
   * the whole side). Levels beyond a horizon they may lack (never published, untouched since). 0: nothing published.
   */
  private pubDepth = 0;
  private bidHorizon = Number.NEGATIVE_INFINITY;
  private askHorizon = Number.POSITIVE_INFINITY;
  /** The horizons while the book is big (undefined: the whole side). */
  private bidHorizonBig: bigint | undefined;
  private askHorizonBig: bigint | undefined;

  /** The book was just published as a snapshot of its best `depth` levels per side (toTlv). */
  markPublished(depth: number): void {
    this.pubDepth = depth;
    if (this.big) {
      const b = this.big;
      this.bidHorizonBig = b.bids.length >= depth ? b.bids[depth - 1].price : undefined;
      this.askHorizonBig = b.asks.length >= depth ? b.asks[depth - 1].price : undefined;
      return;
    }
    this.bidHorizon = this.bids.n >= depth ? this.bids.priceAt(depth - 1) : Number.NEGATIVE_INFINITY;
    this.askHorizon = this.asks.n >= depth ? this.asks.priceAt(depth - 1) : Number.POSITIVE_INFINITY;
  }

  /**
   * After an event: appends to `out` (as size-setting changes, tagged bidTag / askTag) every level that is now among
   * the best `pubDepth` of its side but lies beyond the consumers' horizon, and moves the horizon over them. So a
   * consumer that applies the published frames holds the best `pubDepth` levels of each side exactly, however far
   * the price moves from the published snapshot (docs/adapters/binance.md "Known limits"). Not for a big book
   * (widenBig).
   */
  widen(out: LevelBuffer, bidTag: number, askTag: number): void {
    const d = this.pubDepth;
    if (d === 0) return;
    const b = this.bids;
    if (this.bidHorizon !== Number.NEGATIVE_INFINITY && (b.n < d || b.priceAt(d - 1) < this.bidHorizon)) {
      const h = this.bidHorizon;
      for (let k = Math.min(b.n, d) - 1; k >= 0 && b.priceAt(k) < h; k--) push(out, b.priceAt(k), b.sizeAt(k), bidTag);
      this.bidHorizon = b.n < d ? Number.NEGATIVE_INFINITY : b.priceAt(d - 1);
    }
    const a = this.asks;
    if (this.askHorizon !== Number.POSITIVE_INFINITY && (a.n < d || a.priceAt(d - 1) > this.askHorizon)) {
      const h = this.askHorizon;
      for (let k = Math.min(a.n, d) - 1; k >= 0 && a.priceAt(k) > h; k--) push(out, a.priceAt(k), a.sizeAt(k), askTag);
      this.askHorizon = a.n < d ? Number.POSITIVE_INFINITY : a.priceAt(d - 1);
    }
  }

  /** widen() for a big book: each level to `out` as bigints. */
  widenBig(out: (bid: boolean, price: bigint, size: bigint) => void): void {
    const d = this.pubDepth;
    if (d === 0 || this.big === undefined) return;
    const b = this.big.bids;
    const hb = this.bidHorizonBig;
    if (hb !== undefined && (b.length < d || b[d - 1].price < hb)) {
      for (let k = Math.min(b.length, d) - 1; k >= 0 && b[k].price < hb; k--) out(true, b[k].price, b[k].size);
      this.bidHorizonBig = b.length < d ? undefined : b[d - 1].price;
    }
    const a = this.big.asks;
    const ha = this.askHorizonBig;
    if (ha !== undefined && (a.length < d || a[d - 1].price > ha)) {
      for (let k = Math.min(a.length, d) - 1; k >= 0 && a[k].price > ha; k--) out(false, a[k].price, a[k].size);
      this.askHorizonBig = a.length < d ? undefined : a[d - 1].price;
    }
  }

  /** True while the book holds bigints (a value beyond 2^53 was set since the last clear()). */
  get isBig(): boolean {
    return this.big !== undefined;
  }

  /** Sets a level from exact integers (|v| <= 2^53-1); size 0 removes it. */
  setNum(bid: boolean, price: number, size: number): void {
    if (this.big !== undefined) {
      this.big.set(bid ? "bid" : "ask", BigInt(price), BigInt(size));
      return;
    }
    const side = bid ? this.bids : this.asks;
    const i = side.find(price);
    if (i >= 0) {
      if (size === 0) side.remove(i);
      else side.setSize(i, size);
      return;
    }
    if (size !== 0) side.insert(-i - 1, price, size);
  }

  /** The common OrderBook's set(), for bigint values (snapshot levels, values beyond 2^53). */
  set(side: "bid" | "ask", price: bigint, size: bigint): void {
    if (this.big === undefined) {
      if (price >= -SAFE && price <= SAFE && size >= -SAFE && size <= SAFE) {
        this.setNum(side === "bid", Number(price), Number(size));
        return;
      }
      this.toBig();
    }
    this.big!.set(side, price, size);
  }

  private toBig(): void {
    const b = new OrderBook();
    for (let k = 0; k < this.bids.n; k++)
      b.bids.push({ price: BigInt(this.bids.priceAt(k)), size: BigInt(this.bids.sizeAt(k)) });
    for (let k = 0; k < this.asks.n; k++)
      b.asks.push({ price: BigInt(this.asks.priceAt(k)), size: BigInt(this.asks.sizeAt(k)) });
    this.big = b;
    this.bidHorizonBig = this.bidHorizon === Number.NEGATIVE_INFINITY ? undefined : BigInt(this.bidHorizon);
    this.askHorizonBig = this.askHorizon === Number.POSITIVE_INFINITY ? undefined : BigInt(this.askHorizon);
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
    this.big = undefined;
    this.pubDepth = 0;
    this.bidHorizon = Number.NEGATIVE_INFINITY;
    this.askHorizon = Number.POSITIVE_INFINITY;
    this.bidHorizonBig = undefined;
    this.askHorizonBig = undefined;
  }

  /** Levels per side (for stats). */
  get bidLevels(): number {
    return this.big ? this.big.bids.length : this.bids.n;
  }

  get askLevels(): number {
    return this.big ? this.big.asks.length : this.asks.n;
  }

  get bestBid(): Level | undefined {
    if (this.big) return this.big.bestBid;
    const s = this.bids;
    return s.n > 0 ? { price: BigInt(s.priceAt(0)), size: BigInt(s.sizeAt(0)) } : undefined;
  }

  get bestAsk(): Level | undefined {
    if (this.big) return this.big.bestAsk;
    const s = this.asks;
    return s.n > 0 ? { price: BigInt(s.priceAt(0)), size: BigInt(s.sizeAt(0)) } : undefined;
  }

  /** True when the best bid is at or above the best ask: a book that cannot be right. */
  get crossed(): boolean {
    if (this.big) return this.big.crossed;
    return this.bids.n > 0 && this.asks.n > 0 && this.bids.priceAt(0) >= this.asks.priceAt(0);
  }

  /** The book as an OrderBook TLV value (best `depth` levels per side; order_count unknown = 0), as OrderBook.toTlv. */
  toTlv(
    instrument: InstrumentId,
    exchangeTsNs: bigint,
    updateId: bigint,
    depth: number,
    snapshot = true,
  ): OrderBookTlv {
    if (this.big) return this.big.toTlv(instrument, exchangeTsNs, updateId, depth, snapshot);
    const levels = (s: Side) => {
      const out = [];
      for (let k = 0; k < Math.min(s.n, depth); k++) {
        out.push({ price: BigInt(s.priceAt(k)), size: BigInt(s.sizeAt(k)), orderCount: 0 });
      }
      return out;
    };
    return {
      instrument,
      exchangeTsNs,
      updateId,
      flags: snapshot ? 1 : 0,
      bids: levels(this.bids),
      asks: levels(this.asks),
    };
  }
}

function push(out: LevelBuffer, price: number, size: number, side: number): void {
  const n = out.n++;
  out.prices[n] = price;
  out.sizes[n] = size;
  out.sides[n] = side;
}
