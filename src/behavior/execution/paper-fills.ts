import type { OrderBook } from "../market/order-book.ts";

/** One level taken by a taker order: price and quantity e8, fee quote e8. */
export interface TakerFill {
  price: bigint;
  quantity: bigint;
  feeE8: bigint;
}

/**
 * Taker/maker fee in quote e8, rounded up (a venue never charges less than its rate): price e8 x quantity e8 is
 * quote e16, a centibp is 1e-6, so fee = ceil(price x quantity x centiBps / 1e14).
 */
export function feeE8(price: bigint, quantity: bigint, centiBps: number): bigint {
  const n = price * quantity * BigInt(centiBps);
  return (n + 99_999_999_999_999n) / 100_000_000_000_000n;
}

/**
 * Walks the opposite side of the book for a taker order of `quantity` (e8): best level first, each level at its own
 * price, never past `limit` (0 = no limit). With `consume` the taken size is removed from the book, so the next
 * paper order does not take the same liquidity again (the venue's next update of that level restores the truth).
 */
export function walkBook(
  book: OrderBook,
  side: number,
  quantity: bigint,
  limit: bigint,
  consume: boolean,
  takerFeeCentiBps: number,
): { filled: bigint; fills: TakerFill[] } {
  const levels = side === 1 ? book.asks : book.bids;
  const fills: TakerFill[] = [];
  let left = quantity;
  let filled = 0n;
  const taken: { price: bigint; size: bigint }[] = [];
  for (const level of levels) {
    if (left === 0n) break;
    if (limit !== 0n && (side === 1 ? level.price > limit : level.price < limit)) break;
    // biome-ignore lint/complexity/useMathMinMax: bigint
    const qty = level.size < left ? level.size : left;
    left -= qty;
    filled += qty;
    fills.push({ price: level.price, quantity: qty, feeE8: feeE8(level.price, qty, takerFeeCentiBps) });
    taken.push({ price: level.price, size: level.size - qty });
  }
  if (consume) for (const t of taken) book.set(side === 1 ? "ask" : "bid", t.price, t.size);
  return { filled, fills };
}
