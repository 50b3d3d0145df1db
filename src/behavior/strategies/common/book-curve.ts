import type { Level } from "../../market/order-book.ts";

/**
 * One side of a CEX book as a cumulative curve, so that the cost of walking the book for any quantity is one binary
 * search and one multiply: cumSize[k] = sizes of levels 0..k, cumNotional[k] = sum of price*size over them
 * (scale e16: e8 price times e8 size). Rebuilt only when the book changed.
 */
export class BookCurve {
  prices: bigint[] = [];
  cumSize: bigint[] = [];
  cumNotional: bigint[] = [];

  rebuild(levels: readonly Level[]): void {
    const n = levels.length;
    this.prices.length = n;
    this.cumSize.length = n;
    this.cumNotional.length = n;
    let s = 0n;
    let v = 0n;
    for (let i = 0; i < n; i++) {
      const l = levels[i];
      s += l.size;
      v += l.price * l.size;
      this.prices[i] = l.price;
      this.cumSize[i] = s;
      this.cumNotional[i] = v;
    }
  }

  /** Total size of the side (e8). */
  get depth(): bigint {
    const n = this.cumSize.length;
    return n === 0 ? 0n : this.cumSize[n - 1];
  }

  /** Notional (e16) of taking `quantity` (e8) from the best level on; -1n when the side is not that deep. */
  notionalE16(quantity: bigint): bigint {
    const cs = this.cumSize;
    const n = cs.length;
    if (quantity <= 0n) return 0n;
    if (n === 0 || quantity > cs[n - 1]) return -1n;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cs[mid] >= quantity) hi = mid;
      else lo = mid + 1;
    }
    const before = lo === 0 ? 0n : cs[lo - 1];
    const notionalBefore = lo === 0 ? 0n : this.cumNotional[lo - 1];
    return notionalBefore + (quantity - before) * this.prices[lo];
  }
}
