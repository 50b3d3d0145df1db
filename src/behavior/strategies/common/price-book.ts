/** A price level: price and size as e8 integers. */
export interface Level {
  price: bigint;
  size: bigint;
}

/**
 * A strategy's copy of a CEX book, rebuilt from the bus (OrderBook snapshots, BookDelta changes): bids by price
 * descending, asks ascending, levels found by binary search; size 0 removes a level. The adapters keep their own book
 * type: strategies and adapters share nothing but the TLVs (STYLE.md, the architecture test).
 */
export class PriceBook {
  readonly bids: Level[] = [];
  readonly asks: Level[] = [];

  /** Sets a level (size 0 removes it). */
  set(side: "bid" | "ask", price: bigint, size: bigint): void {
    const levels = side === "bid" ? this.bids : this.asks;
    const desc = side === "bid";
    let lo = 0;
    let hi = levels.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const p = levels[mid].price;
      if (p === price) {
        if (size === 0n) levels.splice(mid, 1);
        else levels[mid].size = size;
        return;
      }
      if (desc ? p > price : p < price) lo = mid + 1;
      else hi = mid;
    }
    if (size !== 0n) levels.splice(lo, 0, { price, size });
  }

  clear(): void {
    this.bids.length = 0;
    this.asks.length = 0;
  }

  get bestBid(): Level | undefined {
    return this.bids[0];
  }

  get bestAsk(): Level | undefined {
    return this.asks[0];
  }

  /** Best bid at or above best ask: a book that cannot be right. */
  get crossed(): boolean {
    return this.bids.length > 0 && this.asks.length > 0 && this.bids[0].price >= this.asks[0].price;
  }
}
