/**
 * 64-bit little-endian writers from exact integer Numbers (no bigint), for collectors that write TLV values
 * themselves: byte for byte what DataView.setBigInt64 / setBigUint64 write for the same values.
 */

const TWO24 = 16777216;
const TWO32 = 4294967296;
/** 2^-32: a multiply by it is exact (a power of two), where a division costs ~10x more. */
const INV_TWO32 = 2.3283064365386963e-10;

/**
 * i64 from an exact integer Number (|v| <= 2^53). The high word floor(v / 2^32) and the low word v - high·2^32 in
 * [0, 2^32) are exact; the low word goes through ToInt32 (the same 32 bits).
 */
export function setI64(dv: DataView, at: number, v: number): void {
  const hi = Math.floor(v * INV_TWO32);
  dv.setInt32(at, (v - hi * TWO32) | 0, true);
  dv.setInt32(at + 4, hi, true);
}

/** u64 from a non-negative exact integer Number (< 2^53): truncation is the floor here. */
export function setU64(dv: DataView, at: number, v: number): void {
  const hi = (v * INV_TWO32) | 0;
  dv.setInt32(at, (v - hi * TWO32) | 0, true);
  dv.setInt32(at + 4, hi, true);
}

/**
 * v·mul + add as a u64 (0 <= v < 2^53, 1 <= mul <= 1e6, 0 <= add < 2^32; e.g. ms or s to ns) without a bigint: v is
 * split at 2^24 so every partial product stays below 2^53 (exact), then the halves are recombined in 32-bit words.
 */
export function setU64Mul(dv: DataView, at: number, v: number, mul: number, add: number): void {
  const vh = Math.floor(v / TWO24);
  const x = vh * mul; // < 2^29 · 1e6 < 2^49
  const y = (v - vh * TWO24) * mul + add; // < 2^24 · 1e6 + 2^32 < 2^45
  // total = x·2^24 + y; x·2^24 = xHi·2^32 + (x mod 256)·2^24 (no `%`: a modulo of doubles calls fmod)
  const xHi = Math.floor(x / 256);
  let lo = (x - xHi * 256) * TWO24 + y;
  const carry = Math.floor(lo / TWO32);
  lo -= carry * TWO32;
  dv.setUint32(at, lo, true);
  dv.setUint32(at + 4, xHi + carry, true);
}
