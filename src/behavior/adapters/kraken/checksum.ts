import { crc32 } from "../../../rules/crc32.ts";
import type { Level, OrderBook } from "../common/order-book.ts";

/**
 * Kraken's book checksum (docs.kraken.com guides "Book checksum (WebSocket v1)" and "(WebSocket v2)"): CRC32
 * (IEEE, zlib) of the top 10 asks (price ascending) then the top 10 bids (price descending), each level written as
 * price then qty with the '.' removed and leading zeros stripped.
 *
 * "Remove the point, strip leading zeros" of a price written with d fraction digits is exactly the decimal digits of
 * the integer price·10^d, so the string is built from the scaled bigints of the book: no text is kept per level.
 * d is the number of fraction digits Kraken writes: v2 `price_precision`/`qty_precision` (instrument channel), v1
 * the digits of its wire strings (5 for XBT/USD prices while AssetPairs says pair_decimals 1; see docs/adapters).
 *
 * The digits go into one reused byte buffer (at most 20 levels x 2 x 20 digits) and are hashed with the codec's
 * table-driven CRC-32. Integers below 2^53 are split into digits in Number arithmetic (exact); larger ones use
 * bigint toString.
 */
const DEPTH = 10;
const scratch = new Uint8Array(1024);
const POW10: number[] = Array.from({ length: 19 }, (_, i) => 10 ** i);
const BIG_POW10: bigint[] = Array.from({ length: 19 }, (_, i) => 10n ** BigInt(i));
const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** Checksum of `book` (levels scaled by 10^scale, e8 for CEX books) written with the venue's fraction digits. */
export function krakenBookChecksum(book: OrderBook, priceDecimals: number, qtyDecimals: number, scale = 8): number {
  let n = 0;
  n = writeSide(book.asks, priceDecimals, qtyDecimals, scale, n);
  n = writeSide(book.bids, priceDecimals, qtyDecimals, scale, n);
  return crc32(scratch, 0, n);
}

/** The CRC input string itself (tests and diagnostics; allocates). */
export function krakenChecksumInput(book: OrderBook, priceDecimals: number, qtyDecimals: number, scale = 8): string {
  let n = 0;
  n = writeSide(book.asks, priceDecimals, qtyDecimals, scale, n);
  n = writeSide(book.bids, priceDecimals, qtyDecimals, scale, n);
  return new TextDecoder().decode(scratch.subarray(0, n));
}

function writeSide(levels: Level[], pd: number, qd: number, scale: number, n: number): number {
  const count = Math.min(levels.length, DEPTH);
  for (let i = 0; i < count; i++) {
    const l = levels[i];
    n = writeDigits(l.price, pd, scale, n);
    n = writeDigits(l.size, qd, scale, n);
  }
  return n;
}

/** Writes the digits of value·10^(decimals-scale), the venue's text without point and leading zeros. */
function writeDigits(value: bigint, decimals: number, scale: number, n: number): number {
  let x = -1;
  if (value >= 0n && value <= MAX_SAFE_BIG) {
    x = Number(value);
    if (decimals < scale) {
      const p = POW10[scale - decimals];
      x = (x - (x % p)) / p; // exact integer division
    } else if (decimals > scale) {
      const p = POW10[decimals - scale];
      x = x <= Number.MAX_SAFE_INTEGER / p ? x * p : -1;
    }
  }
  if (x < 0) {
    let v = value;
    if (decimals < scale) v /= BIG_POW10[scale - decimals];
    else if (decimals > scale) v *= BIG_POW10[decimals - scale];
    const text = v.toString();
    for (let i = 0; i < text.length; i++) scratch[n++] = text.charCodeAt(i);
    return n;
  }
  if (x === 0) {
    scratch[n++] = 48;
    return n;
  }
  let len = 1;
  while (len < 16 && x >= POW10[len]) len++;
  for (let i = n + len - 1; i >= n; i--) {
    const r = x % 10;
    scratch[i] = 48 + r;
    x = (x - r) / 10;
  }
  return n + len;
}
