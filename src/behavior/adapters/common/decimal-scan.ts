import { parseDecimal } from "../../../core/fixed-point.ts";

/**
 * Exact decimal text -> scaled integer, read in place from a message string (no substring, no float).
 *
 * Digits accumulate in an integer-valued Number, which is exact while it stays below 2^53: at most 15 significant
 * digits are taken this way, and the scaling multiply is checked against 2^53 before it is done in Number.
 * Anything longer goes through parseDecimal (bigint), so no value is ever rounded. Fraction digits beyond the scale
 * are allowed only when they are zeros ("0.000022900" at e8), as parseDecimal does.
 *
 * A failure returns BAD_DECIMAL and leaves the reason in `decimalScan.error`: hot paths test one bigint instead of
 * catching exceptions.
 */
export const BAD_DECIMAL = -(1n << 63n);

export const decimalScan = { error: "" as "" | "NotADecimal" | "PrecisionLoss" };

const POW10: number[] = Array.from({ length: 19 }, (_, i) => 10 ** i);
const BIG_POW10: bigint[] = Array.from({ length: 19 }, (_, i) => 10n ** BigInt(i));
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** scanScaled: not a decimal, or a nonzero fraction digit beyond the scale (reason in decimalScan.error). */
export const SCALED_BAD = -1;
/** scanScaled: a valid decimal whose scaled value is 2^53 or more; its digits and scale shift are in scaledWide. */
export const SCALED_WIDE = -2;
/** scanScaled: more than 15 significant digits, not read: the bigint path (scanDecimal) decides. */
export const SCALED_LONG = -3;
/** After SCALED_WIDE: the value is exactly v·10^shift (v below 2^53). */
export const scaledWide = { v: 0, shift: 0 };

/**
 * s[start, end) as an unsigned decimal scaled by 10^scale (scale 0..18), as an exact integer Number; SCALED_BAD,
 * SCALED_WIDE or SCALED_LONG otherwise. The one reader behind scanDecimal and Kraken's scanE8 (no bigint).
 */
export function scanScaled(s: string, start: number, end: number, scale: number): number {
  let v = 0;
  let digits = 0;
  let frac = -1;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (frac >= 0) return refuse("NotADecimal");
      frac = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return refuse("NotADecimal");
    if (frac >= scale) {
      if (d !== 0) return refuse("PrecisionLoss");
      continue;
    }
    if (digits >= 15) return SCALED_LONG;
    v = v * 10 + d;
    if (v !== 0) digits++;
    if (frac >= 0) frac++;
  }
  if (frac === 0 || end === start || (frac < 0 && digits === 0 && s.charCodeAt(start) !== 48)) {
    return refuse("NotADecimal");
  }
  // the product is exact when it is at most 2^53-1; a true product above that rounds to 2^53 or more
  const shift = frac < 0 ? scale : scale - frac;
  const x = v * POW10[shift];
  if (x <= MAX_SAFE) return x;
  scaledWide.v = v;
  scaledWide.shift = shift;
  return SCALED_WIDE;
}

function refuse(reason: "NotADecimal" | "PrecisionLoss"): number {
  decimalScan.error = reason;
  return SCALED_BAD;
}

/** s[start, end) as an unsigned decimal scaled by 10^scale (scale 0..18). */
export function scanDecimal(s: string, start: number, end: number, scale: number): bigint {
  const x = scanScaled(s, start, end, scale);
  if (x >= 0) return BigInt(x);
  if (x === SCALED_BAD) return BAD_DECIMAL;
  if (x === SCALED_LONG) return slow(s, start, end, scale);
  return BigInt(scaledWide.v) * BIG_POW10[scaledWide.shift];
}

function slow(s: string, start: number, end: number, scale: number): bigint {
  try {
    return parseDecimal(s.slice(start, end), scale);
  } catch (e) {
    return fail((e as { code?: string }).code === "PrecisionLoss" ? "PrecisionLoss" : "NotADecimal");
  }
}

function fail(reason: "NotADecimal" | "PrecisionLoss"): bigint {
  decimalScan.error = reason;
  return BAD_DECIMAL;
}

/** Number of fraction digits of the decimal literal s[start, end) (0 without a point). */
export function fractionDigits(s: string, start: number, end: number): number {
  for (let i = start; i < end; i++) if (s.charCodeAt(i) === 46) return end - i - 1;
  return 0;
}

/**
 * Kraken v1 time "1693415330.621700" (seconds, up to 9 fraction digits) -> ns since the epoch, or -1n.
 * Seconds and fraction are read as two integers, each far below 2^53.
 */
export function scanEpochSecondsNs(s: string, start: number, end: number): bigint {
  let sec = 0;
  let frac = 0;
  let fd = -1;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (fd >= 0) return -1n;
      fd = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return -1n;
    if (fd < 0) {
      sec = sec * 10 + d;
      if (sec > 1e11) return -1n;
    } else if (fd < 9) {
      frac = frac * 10 + d;
      fd++;
    }
  }
  if (fd > 0) frac *= POW10[9 - fd];
  return BigInt(sec) * 1_000_000_000n + BigInt(frac);
}

/**
 * Kraken v1 time as integer microseconds (exact: 1.7e15 < 2^53), or -1 when it has more than 6 fraction digits, is
 * not a time, or is 2^53 µs or more (seconds past ~9.007e9: not exact as a Number). The hot path keeps the latest level time of a message this way and makes one bigint at the end.
 */
export function scanEpochMicros(s: string, start: number, end: number): number {
  let sec = 0;
  let frac = 0;
  let fd = -1;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (fd >= 0) return -1;
      fd = 0;
      continue;
    }
    const d = c - 48;
    if (d < 0 || d > 9) return -1;
    if (fd < 0) {
      sec = sec * 10 + d;
      if (sec > 1e11) return -1;
    } else {
      if (fd === 6) return -1;
      frac = frac * 10 + d;
      fd++;
    }
  }
  if (fd > 0) frac *= POW10[6 - fd];
  // exact only below 2^53 (seconds up to ~9.007e9): beyond, -1 and the caller's exact bigint path (scanEpochSecondsNs).
  // Rounding is monotonic and 2^53 is a Number, so an inexact sum is never <= MAX_SAFE_INTEGER.
  const us = sec * 1e6 + frac;
  return us <= Number.MAX_SAFE_INTEGER ? us : -1;
}

/** The minute of the last v2 time seen ("2023-07-30T15:29") and its epoch ms: Date.UTC runs once a minute. */
const minuteKey = new Int32Array(16).fill(-1);
let minuteMs = 0;

/** Kraken v2 time "2023-07-30T15:29:58.343415Z" (RFC 3339, UTC) -> ns since the epoch, or -1n. */
export function scanRfc3339Ns(s: string, start: number, end: number): bigint {
  if (end - start < 20 || s.charCodeAt(start + 10) !== 84 || s.charCodeAt(end - 1) !== 90) return -1n;
  const n = (at: number, len: number): number => {
    let v = 0;
    for (let i = start + at; i < start + at + len; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return Number.NaN;
      v = v * 10 + d;
    }
    return v;
  };
  let same = true;
  for (let i = 0; i < 16; i++) {
    if (minuteKey[i] !== s.charCodeAt(start + i)) {
      same = false;
      break;
    }
  }
  if (!same) {
    const ms = Date.UTC(n(0, 4), n(5, 2) - 1, n(8, 2), n(11, 2), n(14, 2), 0);
    if (!Number.isInteger(ms)) return -1n;
    minuteMs = ms;
    for (let i = 0; i < 16; i++) minuteKey[i] = s.charCodeAt(start + i);
  }
  const sec = n(17, 2);
  if (!(sec <= 60)) return -1n;
  let frac = 0;
  let fd = 0;
  if (s.charCodeAt(start + 19) === 46) {
    for (let i = start + 20; i < end - 1 && fd < 9; i++, fd++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -1n;
      frac = frac * 10 + d;
    }
    frac *= POW10[9 - fd];
  }
  // (minute ms + seconds) in ms is an exact integer < 2^53; the fraction is added in ns
  return BigInt(minuteMs + sec * 1000) * 1_000_000n + BigInt(frac);
}

/**
 * A JSON number literal in any form ("1E-8", "0.00010000", "5") -> plain decimal text ("0.00000001"), by moving
 * the point in the digit string: exact, used for metadata (instrument increments), not on the hot path.
 */
export function plainDecimal(literal: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(literal);
  if (!m) return literal;
  const [, sign, whole, frac = "", exp = "0"] = m;
  const e = Number(exp);
  let digits = whole + frac;
  let point = whole.length + e;
  if (point <= 0) {
    digits = "0".repeat(1 - point) + digits;
    point = 1;
  } else if (point > digits.length) digits = digits.padEnd(point, "0");
  const int = digits.slice(0, point).replace(/^0+(?=\d)/, "");
  const rest = digits.slice(point);
  return `${sign}${int}${rest ? `.${rest}` : ""}`;
}
