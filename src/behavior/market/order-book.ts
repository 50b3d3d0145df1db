import type { InstrumentId } from "../../data/instrument-id.ts";
import type { OrderBook as OrderBookTlv } from "../../data/tlv-layouts.ts";

/** A price level: price and size as scaled integers (e8 for CEX books), never floats. */
export interface Level {
  price: bigint;
  size: bigint;
}

/**
 * An order book: bids sorted by price descending, asks ascending, each level found by binary search; set() with
 * size 0 removes the level. One type for every component that keeps a book - the collectors (venue rules such as
 * Kraken's checksum and depth truncation, Binance's update-id continuity live in the adapters), the replay venues,
 * the strategies and the execution engine (rebuilt from OrderBook/BookDelta frames), the dashboard.
 */
export class OrderBook {
  readonly bids: Level[] = [];
  readonly asks: Level[] = [];

  /** Sets a level (size 0 removes it). Returns true if the book changed. */
  set(side: "bid" | "ask", price: bigint, size: bigint): boolean {
    const levels = side === "bid" ? this.bids : this.asks;
    const desc = side === "bid";
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = levels[mid].price;
      if (p === price) {
        if (size === 0n) levels.splice(mid, 1);
        else if (levels[mid].size === size) return false;
        else levels[mid].size = size;
        return true;
      }
      if (desc ? p > price : p < price) lo = mid + 1;
      else hi = mid;
    }
    if (size === 0n) return false;
    levels.splice(lo, 0, { price, size });
    return true;
  }

  clear(): void {
    this.bids.length = 0;
    this.asks.length = 0;
  }

  /** Keeps the best `depth` levels per side (Kraken keeps its book at the subscribed depth). */
  truncate(depth: number): void {
    if (this.bids.length > depth) this.bids.length = depth;
    if (this.asks.length > depth) this.asks.length = depth;
  }

  get bestBid(): Level | undefined {
    return this.bids[0];
  }

  get bestAsk(): Level | undefined {
    return this.asks[0];
  }

  /** True when the best bid is at or above the best ask: a book that cannot be right. */
  get crossed(): boolean {
    return this.bids.length > 0 && this.asks.length > 0 && this.bids[0].price >= this.asks[0].price;
  }

  /** The book as an OrderBook TLV value (best `depth` levels per side; order_count unknown = 0). */
  toTlv(
    instrument: InstrumentId,
    exchangeTsNs: bigint,
    updateId: bigint,
    depth: number,
    snapshot = true,
  ): OrderBookTlv {
    const level = (l: Level) => ({ price: l.price, size: l.size, orderCount: 0 });
    return {
      instrument,
      exchangeTsNs,
      updateId,
      flags: snapshot ? 1 : 0,
      bids: this.bids.slice(0, depth).map(level),
      asks: this.asks.slice(0, depth).map(level),
    };
  }
}
