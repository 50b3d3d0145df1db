/**
 * Kraken's book checksum (see checksum.ts for the rule) assembled from one small CRC per level, so that an update
 * hashes only the levels it changed.
 *
 * CRC-32 is linear over GF(2): running the register `c` over the bytes B of one level gives Z_|B|(c) ^ g(B), where
 * g(B) is the register after B started from 0 and Z_n(c) is the register after n zero bytes started from c (a linear
 * map of c, four table lookups with the tables below). A level keeps g and |B| of its checksum text (price then qty,
 * point removed, leading zeros stripped); the book's checksum is then ~(...Z_len(Z_len(~0) ^ g) ^ g...) over the 20
 * levels: four lookups per level instead of ~14 bytes of CRC per level, and no digits are written unless a level
 * changed. Exact integer arithmetic only (int32 registers).
 *
 * ZT[k][n] is the register after the byte n (from 0) followed by k zero bytes; ZT[0] is the plain CRC-32 table.
 * A shift by n >= 4 zero bytes is ZT[n-1][c & 255] ^ ZT[n-2][c >> 8 & 255] ^ ZT[n-3][c >> 16 & 255] ^ ZT[n-4][c >>> 24]
 * (slicing-by-4 over zero data); shorter shifts go byte by byte; longer ones are chained by MAX_SHIFT.
 */
import { bad, E8_BAD, E8_WIDE } from "./e8.ts";

const MAX_SHIFT = 64;
/** Exported for the book's inlined shift (KrakenBook.sideCrc); read-only. */
export const ZT = new Int32Array(256 * MAX_SHIFT);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  ZT[n] = c;
}
for (let k = 1; k < MAX_SHIFT; k++) {
  for (let n = 0; n < 256; n++) {
    const c = ZT[(k - 1) * 256 + n];
    ZT[k * 256 + n] = ZT[c & 0xff] ^ (c >>> 8);
  }
}

/** The register `c` after `n` zero bytes (n >= 0). */
export function shiftZeros(c: number, n: number): number {
  while (n > MAX_SHIFT) {
    c = shift4(c, MAX_SHIFT);
    n -= MAX_SHIFT;
  }
  if (n >= 4) return shift4(c, n);
  for (; n > 0; n--) c = ZT[c & 0xff] ^ (c >>> 8);
  return c;
}

function shift4(c: number, n: number): number {
  const o = (n - 4) * 256;
  return (
    ZT[o + 768 + (c & 0xff)] ^ ZT[o + 512 + ((c >>> 8) & 0xff)] ^ ZT[o + 256 + ((c >>> 16) & 0xff)] ^ ZT[o + (c >>> 24)]
  );
}

/** The register after one byte. */
export function crcByte(c: number, byte: number): number {
  return ZT[(c ^ byte) & 0xff] ^ (c >>> 8);
}

/**
 * Per level: g (register from 0) and length of its checksum bytes; written by the functions below (end, and fd: the
 * number of fraction digits of the text read, by scanE8CrcTo when it returns a value).
 */
export const levelCrc = { g: 0, len: 0, end: 0, fd: 0 };

/**
 * g and length of the checksum digits of the decimal text s[a, b) written with `decimals` fraction digits (point
 * removed, leading zeros stripped; fraction digits beyond `decimals` dropped, missing ones added as zeros; zero is
 * "0"), continuing from the register `g0` with `len0` bytes already counted: price then qty make one level.
 * The text must be digits with at most one point (scanned as a decimal before). Same bytes as checksum.ts's
 * writeDigits of the scaled value, which the tests assert.
 */
export function textDigitsCrc(s: string, a: number, b: number, decimals: number, g0: number, len0: number): void {
  let c = g0;
  let len = len0;
  let frac = -1;
  let started = false;
  for (let i = a; i < b; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 46) {
      frac = 0;
      continue;
    }
    if (frac >= 0) {
      if (frac >= decimals) continue;
      frac++;
    }
    if (!started) {
      if (ch === 48) continue;
      started = true;
    }
    c = ZT[(c ^ ch) & 0xff] ^ (c >>> 8);
    len++;
  }
  endDigits(c, len, started, decimals - Math.max(frac, 0));
}

/**
 * Ends a level's checksum digits from the register `c` and count `len`: `pad` zeros for the missing fraction digits
 * when a digit was written, the lone "0" of a zero otherwise; the result into levelCrc.g and levelCrc.len.
 */
function endDigits(c: number, len: number, started: boolean, pad: number): void {
  if (started) {
    for (; pad > 0; pad--) {
      c = ZT[(c ^ 48) & 0xff] ^ (c >>> 8);
      len++;
    }
  } else {
    c = ZT[(c ^ 48) & 0xff] ^ (c >>> 8);
    len++;
  }
  levelCrc.g = c;
  levelCrc.len = len;
}

/**
 * scanE8 and textDigitsCrc in one pass over the text (an update's level: its value and its checksum digits): returns
 * what scanE8(s, start, end) returns and, unless that is E8_BAD or E8_WIDE, leaves in levelCrc what
 * textDigitsCrc(s, start, end, decimals, g0, len0) does (asserted equal by the tests).
 */
export function scanE8Crc(s: string, start: number, end: number, decimals: number, g0: number, len0: number): number {
  let v = 0;
  let digits = 0;
  let frac = -1;
  let fd = 0;
  let c = g0;
  let len = len0;
  let started = false;
  // scanScaled's loop (decimal-scan.ts) with the checksum digits folded in, on purpose: one pass over a level's text
  for (let i = start; i < end; i++) {
    const ch = s.charCodeAt(i);
    if (ch === 46) {
      if (frac >= 0) return bad("NotADecimal");
      frac = 0;
      continue;
    }
    const d = ch - 48;
    if (d < 0 || d > 9) return bad("NotADecimal");
    if (frac < 0 || fd++ < decimals) {
      if (started || d !== 0) {
        started = true;
        c = ZT[(c ^ ch) & 0xff] ^ (c >>> 8);
        len++;
      }
    }
    if (frac >= 8) {
      if (d !== 0) return bad("PrecisionLoss");
      continue;
    }
    if (digits >= 15) return E8_WIDE; // the caller re-reads it (scanDecimal, textDigitsCrc)
    v = v * 10 + d;
    if (v !== 0) digits++;
    if (frac >= 0) frac++;
  }
  if (frac === 0 || end === start || (frac < 0 && digits === 0 && s.charCodeAt(start) !== 48)) {
    return bad("NotADecimal");
  }
  endDigits(c, len, started, decimals - fd);
  const x = v * POW10[frac < 0 ? 8 : 8 - frac];
  return x <= MAX_SAFE ? x : E8_WIDE;
}

/**
 * scanE8Crc over the decimal that starts at s[start] and ends at the first character that is neither a digit nor a
 * point (left in levelCrc.end for the caller to check as the terminator it expects: a quote in v1, ',' or '}' in
 * v2): the fast paths' reader, which finds the end of a number while reading its digits instead of scanning it twice.
 * Returns exactly what scanE8Crc(s, start, end, ...) returns and leaves the same g and len (asserted by the tests),
 * except that an empty run or one that does not start with a digit gives E8_BAD without a reason (the caller falls
 * back to the general path, which decides and counts). After E8_BAD, levelCrc.end is where reading stopped.
 */
export function scanE8CrcTo(s: string, start: number, decimals: number, g0: number, len0: number): number {
  let i = start;
  let ch = s.charCodeAt(i);
  if (!(ch >= 48 && ch <= 57)) {
    levelCrc.end = i;
    return E8_BAD;
  }
  let c = g0;
  let len = len0;
  let v = 0;
  let digits = 0;
  // integer part: leading zeros count for nothing, every digit after them for value and checksum
  while (ch === 48) ch = s.charCodeAt(++i);
  const started0 = ch >= 49 && ch <= 57;
  while (ch >= 48 && ch <= 57) {
    if (digits >= 15) return wideTo(s, i);
    c = ZT[(c ^ ch) & 0xff] ^ (c >>> 8);
    len++;
    v = v * 10 + ch - 48;
    digits++;
    ch = s.charCodeAt(++i);
  }
  let started = started0;
  let fd = 0;
  if (ch === 46) {
    ch = s.charCodeAt(++i);
    // the common case first, with the loop below's effect: leading fraction zeros of a value below 1 (nothing to the
    // checksum or the value), then digits that all go to both (started, within `decimals` and e8, under 15 digits)
    const lim = Math.min(decimals, 8);
    if (!started) {
      while (ch === 48 && fd < lim) {
        fd++;
        ch = s.charCodeAt(++i);
      }
    }
    if (ch >= 49 && ch <= 57 && fd < lim) started = true;
    if (started) {
      while (ch >= 48 && ch <= 57 && fd < lim && digits < 15) {
        c = ZT[(c ^ ch) & 0xff] ^ (c >>> 8);
        len++;
        v = v * 10 + ch - 48;
        digits++;
        fd++;
        ch = s.charCodeAt(++i);
      }
    }
    while (ch >= 48 && ch <= 57) {
      const d = ch - 48;
      if (fd < decimals && (started || d !== 0)) {
        started = true;
        c = ZT[(c ^ ch) & 0xff] ^ (c >>> 8);
        len++;
      }
      if (fd >= 8) {
        if (d !== 0) {
          levelCrc.end = i;
          return bad("PrecisionLoss");
        }
      } else {
        if (digits >= 15) return wideTo(s, i);
        v = v * 10 + d;
        if (v !== 0) digits++;
      }
      fd++;
      ch = s.charCodeAt(++i);
    }
    if (fd === 0 || ch === 46) {
      levelCrc.end = i;
      return bad("NotADecimal");
    }
  }
  levelCrc.end = i;
  levelCrc.fd = fd;
  endDigits(c, len, started, decimals - fd);
  const x = v * POW10[fd >= 8 ? 0 : 8 - fd];
  return x <= MAX_SAFE ? x : E8_WIDE;
}

/** scanE8CrcTo's E8_WIDE at s[i]: the end of the run is still wanted. */
function wideTo(s: string, i: number): number {
  for (let e = s.charCodeAt(i); (e >= 48 && e <= 57) || e === 46; e = s.charCodeAt(++i));
  levelCrc.end = i;
  return E8_WIDE;
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const POW10: number[] = Array.from({ length: 19 }, (_, i) => 10 ** i);
const BIG_POW10: bigint[] = Array.from({ length: 19 }, (_, i) => 10n ** BigInt(i));
const digits = new Uint8Array(48);

/**
 * As textDigitsCrc, from an e8 value: `v` an exact integer Number (below 2^53), or `big` when it is not. Used where
 * no text is at hand (snapshot levels reaching the top 10, a precision learnt after the level was set).
 */
export function valueDigitsCrc(v: number, big: bigint | undefined, decimals: number, g0: number, len0: number): void {
  let n: number;
  if (big !== undefined) n = bigDigits(big, decimals);
  else {
    const hi = Math.floor(v / 1e8);
    const lo = v - hi * 1e8;
    if (decimals >= 8) {
      n = 0;
      if (hi > 0) {
        n = intDigits(hi, 0);
        n = padded(lo, 8, n);
      } else if (lo > 0) n = intDigits(lo, 0);
      if (n === 0) digits[n++] = 48;
      else for (let z = decimals - 8; z > 0; z--) digits[n++] = 48;
    } else {
      const l = (lo / POW10[8 - decimals]) | 0;
      if (hi > 0) {
        n = intDigits(hi, 0);
        if (decimals > 0) n = padded(l, decimals, n);
      } else n = intDigits(l, 0);
    }
  }
  let c = g0;
  for (let i = 0; i < n; i++) c = ZT[(c ^ digits[i]) & 0xff] ^ (c >>> 8);
  levelCrc.g = c;
  levelCrc.len = len0 + n;
}

/** Digits of a non-negative integer Number below 2^53 (0 -> "0"). */
function intDigits(v: number, n: number): number {
  let len = 1;
  while (len < 16 && v >= POW10[len]) len++;
  return padded(v, len, n);
}

/** Exactly `len` digits of a non-negative integer Number, zero-padded on the left. */
function padded(v: number, len: number, n: number): number {
  for (let i = n + len - 1; i >= n; i--) {
    const q = Math.floor(v / 10);
    digits[i] = 48 + v - q * 10;
    v = q;
  }
  return n + len;
}

function bigDigits(value: bigint, decimals: number): number {
  let v = value;
  if (decimals < 8) v /= BIG_POW10[8 - decimals];
  else if (decimals > 8) v *= BIG_POW10[decimals - 8];
  const text = v.toString();
  for (let i = 0; i < text.length; i++) digits[i] = text.charCodeAt(i);
  return text.length;
}
