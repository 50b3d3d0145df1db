import {
  BAD_DECIMAL,
  decimalScan,
  SCALED_BAD,
  SCALED_LONG,
  SCALED_WIDE,
  scanDecimal,
  scanScaled,
} from "../common/decimal-scan.ts";

/**
 * The Kraken hot path's numbers without bigints: decimal text -> e8 as an exact integer Number, times as integer
 * Numbers, and u64/i64 written from them. A JS Number holds every integer below 2^53 exactly; every value here is
 * checked against that bound, and what does not fit says so (WIDE) for the caller to take the bigint path
 * (scanDecimal), so nothing is ever rounded.
 */

/** scanE8: not a decimal, or more than 8 significant fraction digits (reason in decimalScan.error). */
export const E8_BAD = SCALED_BAD;
/** scanE8: a valid decimal whose e8 value is 2^53 or more: use bigints (scanDecimal). */
export const E8_WIDE = SCALED_WIDE;

const POW10: number[] = Array.from({ length: 19 }, (_, i) => 10 ** i);
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const MAX_SAFE_BIG = BigInt(MAX_SAFE);

/**
 * s[start, end) as an unsigned decimal scaled by 10^8, as an exact integer Number; E8_BAD or E8_WIDE otherwise.
 * Accepts and refuses exactly what scanDecimal(s, start, end, 8) does (asserted by the tests).
 */
export function scanE8(s: string, start: number, end: number): number {
  const x = scanScaled(s, start, end, 8);
  return x === SCALED_LONG ? long(s, start, end) : x;
}

/** More than 15 significant digits: scanDecimal (bigint) decides, and the value is a Number again when it fits. */
function long(s: string, start: number, end: number): number {
  const v = scanDecimal(s, start, end, 8);
  if (v === BAD_DECIMAL) return E8_BAD;
  return v <= MAX_SAFE_BIG ? Number(v) : E8_WIDE;
}

/** Records the reason and returns E8_BAD. */
export function bad(reason: "NotADecimal" | "PrecisionLoss"): number {
  decimalScan.error = reason;
  return E8_BAD;
}

/**
 * The minute of the last v2 time seen ("2023-07-30T15:29") and its epoch ms: Date.UTC runs, and the 16-character
 * key is made, once a minute; other times compare with it by startsWith (native, measured ~10x a char-code loop).
 */
let minuteKey = "";
let minuteMs = 0;

/** rfc3339Ms's ns within the millisecond (0..999999). */
export const rfc3339 = { subMsNs: 0 };

/**
 * Kraken v2 time "2023-07-30T15:29:58.343415Z" (RFC 3339, UTC) -> whole ms since the epoch, with the ns below the ms
 * in rfc3339.subMsNs; -1 when it is not such a time. Same value as scanRfc3339Ns (tests), without a bigint.
 */
export function rfc3339Ms(s: string, start: number, end: number): number {
  if (end - start < 20 || s.charCodeAt(start + 10) !== 84 || s.charCodeAt(end - 1) !== 90) return -1;
  if (!(minuteKey.length === 16 && s.startsWith(minuteKey, start))) {
    const ms = Date.UTC(
      num(s, start, 4),
      num(s, start + 5, 2) - 1,
      num(s, start + 8, 2),
      num(s, start + 11, 2),
      num(s, start + 14, 2),
      0,
    );
    if (!Number.isInteger(ms)) return -1;
    minuteMs = ms;
    minuteKey = s.slice(start, start + 16);
  }
  const sec = num(s, start + 17, 2);
  if (!(sec <= 60)) return -1;
  let frac = 0;
  let fd = 0;
  if (s.charCodeAt(start + 19) === 46) {
    for (let i = start + 20; i < end - 1 && fd < 9; i++, fd++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) return -1;
      frac = frac * 10 + d;
    }
    frac *= POW10[9 - fd];
  }
  const fracMs = Math.floor(frac / 1e6);
  rfc3339.subMsNs = frac - fracMs * 1e6;
  return minuteMs + sec * 1000 + fracMs;
}

function num(s: string, at: number, len: number): number {
  let v = 0;
  for (let i = at; i < at + len; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}
