/**
 * Writers for TLV values built straight from exact integer Numbers (no bigint): the Binance collector's Trade, Quote
 * and BookDelta values, byte for byte what FrameBuilder.add() writes for the same values (PROTOCOL.md §6 layouts in
 * src/data/tlv-layouts.ts; pad bytes zero). Each value is an exact integer within ±(2^53-1).
 */

const TWO32 = 4294967296;

/** Largest millisecond time whose nanoseconds fit a u64: floor((2^64-1) / 1e6). */
export const MAX_MS_FOR_U64_NS = 18_446_744_073_709;

/** 2^-32: a multiply by it is exact (a power of two), where a division costs ~10x more. */
const INV_TWO32 = 2.3283064365386963e-10;

/**
 * i64 little-endian from an exact integer Number (|v| <= 2^53). The high word floor(v / 2^32) and the low word
 * v - high·2^32 in [0, 2^32) are exact; the low word goes through ToInt32 (the same 32 bits).
 */
export function setI64(dv: DataView, at: number, v: number): void {
  const hi = Math.floor(v * INV_TWO32);
  dv.setInt32(at, (v - hi * TWO32) | 0, true);
  dv.setInt32(at + 4, hi, true);
}

/** u64 little-endian from a non-negative exact integer Number (< 2^53): truncation is the floor here. */
export function setU64(dv: DataView, at: number, v: number): void {
  const hi = (v * INV_TWO32) | 0;
  dv.setInt32(at, (v - hi * TWO32) | 0, true);
  dv.setInt32(at + 4, hi, true);
}

/**
 * `ms · 1e6` as a u64 (0 <= ms <= MAX_MS_FOR_U64_NS) without a bigint: ms is split at 2^24 so every partial product
 * stays below 2^53 (exact), then the halves are recombined in 32-bit words.
 */
export function setMsAsNs(dv: DataView, at: number, ms: number): void {
  const mh = Math.floor(ms / 16777216);
  const x = mh * 1e6; // ns = x·2^24 + y
  const y = (ms - mh * 16777216) * 1e6;
  // no `%`: a modulo of doubles calls fmod (~20 ns each)
  const xHi = Math.floor(x / 256);
  let lo = (x - xHi * 256) * 16777216 + y;
  const carry = Math.floor(lo / TWO32);
  lo -= carry * TWO32;
  const hi = xHi + carry;
  dv.setUint32(at, lo, true);
  dv.setUint32(at + 4, hi, true);
}

/** An event time in ms (-1: none) as u64 nanoseconds: 0 for none, else setMsAsNs. */
export function setTimeNs(dv: DataView, at: number, ms: number): void {
  if (ms < 0) setU64(dv, at, 0);
  else setMsAsNs(dv, at, ms);
}
