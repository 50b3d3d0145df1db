import { DecimalError } from "./errors.ts";

/**
 * Exact decimal text <-> scaled bigint. The only way a price or an amount enters or leaves ap as text.
 * parseDecimal("45000.12345678", 8) === 4500012345678n; parseDecimal("1.5", 18) === 1500000000000000000n.
 * Anything that cannot be represented exactly at the requested scale is an error, never rounded.
 */
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

export function parseDecimal(text: string, decimals: number): bigint {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > 77) {
    throw new DecimalError({
      code: "InvalidScale",
      message: "decimals must be an integer in 0..77",
      facts: { decimals },
    });
  }
  const m = DECIMAL.exec(text);
  if (m === null) {
    throw new DecimalError({
      code: "NotADecimal",
      message: `"${truncate(text)}" is not a plain decimal number`,
      facts: { input: truncate(text), expected: "digits with an optional '-' and '.' fraction, e.g. 45000.12345678" },
      hint: "exponent notation, '+', spaces, thousands separators and empty parts are refused",
    });
  }
  const [, minus, whole, frac = ""] = m;
  let digits = frac;
  if (digits.length > decimals) {
    const extra = digits.slice(decimals);
    if (/[^0]/.test(extra)) {
      throw new DecimalError({
        code: "PrecisionLoss",
        message: `"${truncate(text)}" has more than ${decimals} decimals`,
        facts: { input: truncate(text), decimals, fraction_digits: frac.length },
        likelyCause: "the venue sent more precision than the instrument scale holds",
        hint: "refuse the value (never round): count it and check the instrument's precision metadata",
      });
    }
    digits = digits.slice(0, decimals);
  }
  const scaled = BigInt(whole + digits.padEnd(decimals, "0"));
  return minus ? -scaled : scaled;
}

/** Scaled bigint -> decimal text with exactly `decimals` fraction digits (or trimmed with `trim`). */
export function formatDecimal(value: bigint, decimals: number, trim = false): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  let s = abs.toString();
  if (decimals > 0) {
    s = s.padStart(decimals + 1, "0");
    let frac = s.slice(s.length - decimals);
    if (trim) frac = frac.replace(/0+$/, "");
    s = frac ? `${s.slice(0, s.length - decimals)}.${frac}` : s.slice(0, s.length - decimals);
  }
  return negative ? `-${s}` : s;
}

export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;
export const U128_MAX = (1n << 128n) - 1n;
export const U256_MAX = (1n << 256n) - 1n;

/** Throws unless min <= value <= max; `what` names the value in the error. */
export function assertRange(value: bigint, min: bigint, max: bigint, what: string): bigint {
  if (value < min || value > max) {
    throw new DecimalError({
      code: "OutOfRange",
      message: `${what} is out of range`,
      facts: { value, min, max },
      hint: "a value that does not fit is an error, never a truncation",
    });
  }
  return value;
}

function truncate(s: string): string {
  return s.length > 64 ? `${s.slice(0, 61)}...` : s;
}
