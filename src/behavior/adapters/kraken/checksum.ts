import { crc32 } from "../../../rules/crc32.ts";
import type { Level, OrderBook } from "../../market/order-book.ts";

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
 * table-driven CRC-32. Integers below 2^53 are split into digits with int32 arithmetic (exact); larger ones use
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

/**
 * The hot-path form, one per book. The digit bytes of the 20 checksummed levels are written packed into one of two
 * banks; the next computation copies a level's bytes from the previous bank when it finds the same Level object
 * (its price never changes) with the same size (set() assigns a new bigint on every change) at the same index or
 * one away (a level inserted or removed above it shifts it by one). A typical update touches one or two levels, so
 * most digits are copied, not recomputed, and the CRC runs once over the packed bank.
 * Measured on the v1 book-10 capture: see docs/adapters/kraken.md (7.7 us -> 0.4 us per checksum).
 */
export class BookChecksum {
  private readonly banks = [new Uint8Array(2 * DEPTH * 64), new Uint8Array(2 * DEPTH * 64)];
  private readonly views = [new DataView(this.banks[0].buffer), new DataView(this.banks[1].buffer)];
  private readonly starts = [new Int32Array(2 * DEPTH + 1), new Int32Array(2 * DEPTH + 1)];
  private readonly levels: (Level | undefined)[][] = [
    new Array(2 * DEPTH).fill(undefined),
    new Array(2 * DEPTH).fill(undefined),
  ];
  private readonly sizes: bigint[][] = [new Array(2 * DEPTH).fill(-1n), new Array(2 * DEPTH).fill(-1n)];
  /** CRC of the asks part of each bank, and whether the asks part of the last computation was copied unchanged. */
  private readonly askCrcs = [0, 0];
  private asksUnchanged = false;
  private bank = 0;
  private priceDecimals = -1;
  private qtyDecimals = -1;

  compute(book: OrderBook, priceDecimals: number, qtyDecimals: number): number {
    const prev = this.bank;
    const next = prev ^ 1;
    if (priceDecimals !== this.priceDecimals || qtyDecimals !== this.qtyDecimals) {
      this.priceDecimals = priceDecimals;
      this.qtyDecimals = qtyDecimals;
      this.levels[prev].fill(undefined);
    }
    // asks occupy slots 0..9 of a bank, bids 10..19; absent levels keep an empty range. When every ask slot was
    // copied from the same slot, the asks bytes are identical and their CRC is reused (CRC-32 chains: the bids
    // continue from it), which halves the hashing of a bid-only update.
    const asksEnd = this.side(book.asks, 0, prev, next, 0);
    const askCrc = this.asksUnchanged ? this.askCrcs[prev] : crc32(this.banks[next], 0, asksEnd, 0, this.views[next]);
    this.askCrcs[next] = askCrc;
    const n = this.side(book.bids, DEPTH, prev, next, asksEnd);
    this.bank = next;
    return crc32(this.banks[next], asksEnd, n, askCrc, this.views[next]);
  }

  private side(levels: Level[], base: number, prev: number, next: number, n: number): number {
    const count = Math.min(levels.length, DEPTH);
    const out = this.banks[next];
    const old = this.banks[prev];
    const oldLevels = this.levels[prev];
    const oldSizes = this.sizes[prev];
    const oldStarts = this.starts[prev];
    const newLevels = this.levels[next];
    const newSizes = this.sizes[next];
    const newStarts = this.starts[next];
    let unchanged = true;
    for (let i = 0; i < DEPTH; i++) {
      const k = base + i;
      newStarts[k] = n;
      if (i >= count) {
        if (oldLevels[k] !== undefined) unchanged = false;
        newLevels[k] = undefined;
        continue;
      }
      const l = levels[i];
      const size = l.size;
      let from = -1;
      if (oldLevels[k] === l && oldSizes[k] === size) from = k;
      else if (i + 1 < DEPTH && oldLevels[k + 1] === l && oldSizes[k + 1] === size) from = k + 1;
      else if (i > 0 && oldLevels[k - 1] === l && oldSizes[k - 1] === size) from = k - 1;
      if (from !== k) unchanged = false;
      if (from >= 0) {
        const end = oldStarts[from + 1];
        for (let j = oldStarts[from]; j < end; j++) out[n++] = old[j];
      } else {
        n = writeDigits(out, l.price, this.priceDecimals, 8, n);
        n = writeDigits(out, size, this.qtyDecimals, 8, n);
      }
      newLevels[k] = l;
      newSizes[k] = size;
    }
    newStarts[base + DEPTH] = n;
    this.asksUnchanged = unchanged;
    return n;
  }
}

function writeSide(levels: Level[], pd: number, qd: number, scale: number, n: number): number {
  const count = Math.min(levels.length, DEPTH);
  for (let i = 0; i < count; i++) {
    const l = levels[i];
    n = writeDigits(scratch, l.price, pd, scale, n);
    n = writeDigits(scratch, l.size, qd, scale, n);
  }
  return n;
}

/**
 * Writes the digits of value·10^(decimals-scale), the venue's text without point and leading zeros. For e8 values
 * below 2^53 the integer is split once into hi = value / 10^8 and lo = value % 10^8, both int32, and digits come
 * from int32 arithmetic (a double `%` per digit cost ~20 ns; measured 7.7 us -> see bench/results).
 */
function writeDigits(out: Uint8Array, value: bigint, decimals: number, scale: number, n: number): number {
  if (scale !== 8 || value < 0n || value > MAX_SAFE_BIG) return writeBig(out, value, decimals, scale, n);
  const x = Number(value);
  const hi = Math.floor(x / 1e8);
  let lo = x - hi * 1e8;
  if (decimals >= 8) {
    if (hi > 0) {
      n = writeInt(out, hi, n);
      n = writePadded(out, lo, 8, n);
    } else if (lo > 0) n = writeInt(out, lo, n);
    else {
      out[n++] = 48;
      return n;
    }
    for (let z = decimals - 8; z > 0; z--) out[n++] = 48;
    return n;
  }
  lo = (lo / POW10[8 - decimals]) | 0;
  if (hi > 0) {
    n = writeInt(out, hi, n);
    return decimals > 0 ? writePadded(out, lo, decimals, n) : n;
  }
  return writeInt(out, lo, n);
}

/** Digits of a non-negative int32 (0 -> "0"). */
function writeInt(out: Uint8Array, v: number, n: number): number {
  let len = 1;
  while (len < 10 && v >= POW10[len]) len++;
  return writePadded(out, v, len, n);
}

/** Exactly `len` digits of a non-negative int32, zero-padded on the left. */
function writePadded(out: Uint8Array, v: number, len: number, n: number): number {
  for (let i = n + len - 1; i >= n; i--) {
    const q = (v / 10) | 0;
    out[i] = 48 + v - q * 10;
    v = q;
  }
  return n + len;
}

function writeBig(out: Uint8Array, value: bigint, decimals: number, scale: number, n: number): number {
  let v = value;
  if (decimals < scale) v /= BIG_POW10[scale - decimals];
  else if (decimals > scale) v *= BIG_POW10[decimals - scale];
  const text = v.toString();
  for (let i = 0; i < text.length; i++) out[n++] = text.charCodeAt(i);
  return n;
}
