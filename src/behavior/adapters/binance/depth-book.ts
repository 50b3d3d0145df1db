import type { InstrumentId } from "../../../data/instrument-id.ts";
import type { OrderBook as OrderBookTlv } from "../../../data/tlv-layouts.ts";
import { type Level, OrderBook } from "../common/order-book.ts";

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
  px = new Float64Array(INITIAL);
  sz = new Float64Array(INITIAL);
  off = INITIAL >> 1;
  n = 0;

  constructor(readonly bid: boolean) {}

  /** Logical index (0 = worst) of `price`, or -(insertion index) - 1 when absent. */
  find(price: number): number {
    const px = this.px;
    const off = this.off;
    let lo = 0;
    let hi = this.n;
    // worst to best: bids ascending, asks descending
    if (this.bid) {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const p = px[off + mid];
        if (p === price) return mid;
        if (p < price) lo = mid + 1;
        else hi = mid;
      }
    } else {
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        const p = px[off + mid];
        if (p === price) return mid;
        if (p > price) lo = mid + 1;
        else hi = mid;
      }
    }
    return -lo - 1;
  }

  insert(i: number, price: number, size: number): void {
    const n = this.n;
    if (i === 0 && this.off > 0) {
      const at = --this.off;
      this.px[at] = price;
      this.sz[at] = size;
      this.n = n + 1;
      return;
    }
    if (this.off + n === this.px.length || i === 0) this.recentre(n + 1);
    const px = this.px;
    const sz = this.sz;
    const at = this.off + i;
    const end = this.off + n;
    if (end - at < LOOP_SHIFT) {
      for (let k = end; k > at; k--) {
        px[k] = px[k - 1];
        sz[k] = sz[k - 1];
      }
    } else {
      px.copyWithin(at + 1, at, end);
      sz.copyWithin(at + 1, at, end);
    }
    px[at] = price;
    sz[at] = size;
    this.n = n + 1;
  }

  remove(i: number): void {
    const n = this.n;
    if (i === 0) {
      this.off++;
      this.n = n - 1;
      return;
    }
    const px = this.px;
    const sz = this.sz;
    const at = this.off + i;
    const end = this.off + n;
    if (end - at < LOOP_SHIFT) {
      for (let k = at; k < end - 1; k++) {
        px[k] = px[k + 1];
        sz[k] = sz[k + 1];
      }
    } else {
      px.copyWithin(at, at + 1, end);
      sz.copyWithin(at, at + 1, end);
    }
    this.n = n - 1;
  }

  /** Moves the levels to the middle of a buffer with room for `need` levels and as many again. */
  private recentre(need: number): void {
    const cap = Math.max(this.px.length, need * 2);
    const px = cap === this.px.length ? this.px : new Float64Array(cap);
    const sz = cap === this.sz.length ? this.sz : new Float64Array(cap);
    const off = (cap - this.n) >> 1;
    // copyWithin handles the overlap when the buffer is the same
    if (px === this.px) {
      px.copyWithin(off, this.off, this.off + this.n);
      sz.copyWithin(off, this.off, this.off + this.n);
    } else {
      px.set(this.px.subarray(this.off, this.off + this.n), off);
      sz.set(this.sz.subarray(this.off, this.off + this.n), off);
    }
    this.px = px;
    this.sz = sz;
    this.off = off;
  }

  clear(): void {
    this.n = 0;
    this.off = this.px.length >> 1;
  }

  /** Price and size of the k-th best level (k = 0: the best). */
  priceAt(k: number): number {
    return this.px[this.off + this.n - 1 - k];
  }

  sizeAt(k: number): number {
    return this.sz[this.off + this.n - 1 - k];
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
 * worst-to-best sides with room at both ends move only the levels above the change.
 */
export class DepthBook {
  private readonly bids = new Side(true);
  private readonly asks = new Side(false);
  /** Set when a value does not fit a safe integer: the book lives here (bigints) until clear(). */
  private big: OrderBook | undefined;

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
      else side.sz[side.off + i] = size;
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
  }

  clear(): void {
    this.bids.clear();
    this.asks.clear();
    this.big = undefined;
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
