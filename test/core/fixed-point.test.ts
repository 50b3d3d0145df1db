import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DecimalError } from "../../src/core/errors.ts";
import {
  assertRange,
  formatDecimal,
  I64_MAX,
  I64_MIN,
  parseDecimal,
  U64_MAX,
  U128_MAX,
  U256_MAX,
} from "../../src/core/fixed-point.ts";

const SEED = 0xdec1;

function decimalError(fn: () => unknown): DecimalError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecimalError);
    return e as DecimalError;
  }
  throw new Error("expected a DecimalError, nothing was thrown");
}

describe("parseDecimal", () => {
  test("a CEX price at 8 decimals: 45000.12345678 -> 4500012345678", () => {
    expect(parseDecimal("45000.12345678", 8)).toBe(4500012345678n);
  });

  test("1.5 WETH at 18 decimals is 1.5e18 native units", () => {
    expect(parseDecimal("1.5", 18)).toBe(1500000000000000000n);
  });

  test("fewer fraction digits than the scale are padded", () => {
    expect(parseDecimal("45000", 8)).toBe(4500000000000n);
    expect(parseDecimal("0.1", 8)).toBe(10000000n);
    expect(parseDecimal("7", 0)).toBe(7n);
  });

  test("negative values", () => {
    expect(parseDecimal("-45000.12345678", 8)).toBe(-4500012345678n);
    expect(parseDecimal("-0.00000001", 8)).toBe(-1n);
    expect(parseDecimal("-1.5", 18)).toBe(-1500000000000000000n);
  });

  test("leading zeros are accepted", () => {
    expect(parseDecimal("007.50", 2)).toBe(750n);
  });

  test("trailing zeros beyond the scale are accepted (no value is lost)", () => {
    expect(parseDecimal("45000.1234567800000", 8)).toBe(4500012345678n);
    expect(parseDecimal("2.000", 0)).toBe(2n);
    expect(parseDecimal("-1.50", 1)).toBe(-15n);
  });

  test("values beyond 2^64 and 2^128 are exact", () => {
    expect(parseDecimal("340282366920938463463.374607431768211455", 18)).toBe(U128_MAX);
    expect(parseDecimal("18446744073709551616", 0)).toBe(U64_MAX + 1n);
  });

  test("non-zero digits beyond the scale are refused with PrecisionLoss, never rounded", () => {
    const e = decimalError(() => parseDecimal("45000.123456789", 8));
    expect(e.code).toBe("PrecisionLoss");
    expect(e.facts).toEqual({ input: "45000.123456789", decimals: 8, fraction_digits: 9 });
    expect(e.toLine()).toMatchInlineSnapshot(
      `"PrecisionLoss: "45000.123456789" has more than 8 decimals (input=45000.123456789, decimals=8, fraction_digits=9); likely cause: the venue sent more precision than the instrument scale holds; hint: refuse the value (never round): count it and check the instrument's precision metadata"`,
    );
    expect(decimalError(() => parseDecimal("0.5", 0)).code).toBe("PrecisionLoss");
    expect(decimalError(() => parseDecimal("1.0000000000000000001", 18)).code).toBe("PrecisionLoss");
    expect(decimalError(() => parseDecimal("-0.000000001", 8)).code).toBe("PrecisionLoss");
  });

  test.each([
    "1e5",
    "1E-3",
    "",
    "+1",
    "+1.5",
    " 1",
    "1 ",
    "1 000",
    "1,000.5",
    ".5",
    "1.",
    "-",
    "-.5",
    "--1",
    "0x10",
    "NaN",
    "Infinity",
    "1.2.3",
    "١٢",
    "1\n",
  ])("%p is not a decimal (NotADecimal)", (text) => {
    const e = decimalError(() => parseDecimal(text, 8));
    expect(e.code).toBe("NotADecimal");
    expect(e.facts.input).toBe(text);
  });

  test("the NotADecimal error names the refused forms", () => {
    expect(decimalError(() => parseDecimal("1e5", 8)).toLine()).toMatchInlineSnapshot(
      `"NotADecimal: "1e5" is not a plain decimal number (input=1e5, expected=digits with an optional '-' and '.' fraction, e.g. 45000.12345678); hint: exponent notation, '+', spaces, thousands separators and empty parts are refused"`,
    );
  });

  test("a very long input is shortened in the error", () => {
    const e = decimalError(() => parseDecimal(`1.${"1".repeat(100)}`, 8));
    expect(String(e.facts.input)).toHaveLength(64);
    expect(String(e.facts.input).endsWith("...")).toBe(true);
  });

  test.each([-1, 78, 1.5, Number.NaN])("scale %p is refused (InvalidScale)", (decimals) => {
    expect(decimalError(() => parseDecimal("1", decimals)).code).toBe("InvalidScale");
  });
});

describe("formatDecimal", () => {
  test("writes exactly `decimals` fraction digits", () => {
    expect(formatDecimal(4500012345678n, 8)).toBe("45000.12345678");
    expect(formatDecimal(1500000000000000000n, 18)).toBe("1.500000000000000000");
    expect(formatDecimal(1n, 8)).toBe("0.00000001");
    expect(formatDecimal(0n, 8)).toBe("0.00000000");
    expect(formatDecimal(42n, 0)).toBe("42");
  });

  test("negative values keep the sign in front of the integer part", () => {
    expect(formatDecimal(-1n, 8)).toBe("-0.00000001");
    expect(formatDecimal(-4500012345678n, 8)).toBe("-45000.12345678");
    expect(formatDecimal(I64_MIN, 8)).toBe("-92233720368.54775808");
  });

  test("trim drops trailing zeros, and the point when nothing is left", () => {
    expect(formatDecimal(1500000000000000000n, 18, true)).toBe("1.5");
    expect(formatDecimal(4500000000000n, 8, true)).toBe("45000");
    expect(formatDecimal(0n, 8, true)).toBe("0");
    expect(formatDecimal(-10n, 2, true)).toBe("-0.1");
  });
});

describe("decimal round trips (property)", () => {
  const canonicalDecimal = fc
    .tuple(fc.boolean(), fc.bigInt({ min: 0n, max: U256_MAX }), fc.nat({ max: 30 }))
    .map(([negative, magnitude, decimals]) => ({
      text: formatDecimal(negative ? -magnitude : magnitude, decimals),
      decimals,
    }))
    .filter(({ text }) => text !== "-0" && !/^-0\.0*$/.test(text));

  test("formatDecimal(parseDecimal(x, d), d) === x for canonical text x", () => {
    fc.assert(
      fc.property(canonicalDecimal, ({ text, decimals }) => {
        expect(formatDecimal(parseDecimal(text, decimals), decimals)).toBe(text);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  test("parseDecimal(formatDecimal(v, d), d) === v for any bigint v and scale d, trimmed or not", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -U256_MAX, max: U256_MAX }), fc.nat({ max: 77 }), fc.boolean(), (v, d, trim) => {
        expect(parseDecimal(formatDecimal(v, d, trim), d)).toBe(v);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });

  test("hand-written decimals parse to the integer with the point moved", () => {
    const digits = fc.string({ unit: fc.constantFrom(..."0123456789".split("")), minLength: 1, maxLength: 40 });
    fc.assert(
      fc.property(digits, digits, fc.nat({ max: 45 }), (whole, frac, pad) => {
        const decimals = frac.length + pad;
        expect(parseDecimal(`${whole}.${frac}`, decimals)).toBe(BigInt(whole + frac + "0".repeat(pad)));
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});

describe("assertRange", () => {
  test("returns the value when it is inside the range, bounds included", () => {
    expect(assertRange(0n, 0n, U64_MAX, "x")).toBe(0n);
    expect(assertRange(U64_MAX, 0n, U64_MAX, "x")).toBe(U64_MAX);
    expect(assertRange(I64_MIN, I64_MIN, I64_MAX, "x")).toBe(I64_MIN);
  });

  test("refuses one past either bound with OutOfRange and the facts", () => {
    const e = decimalError(() => assertRange(I64_MAX + 1n, I64_MIN, I64_MAX, "Trade.price"));
    expect(e.code).toBe("OutOfRange");
    expect(e.facts).toEqual({ value: I64_MAX + 1n, min: I64_MIN, max: I64_MAX });
    expect(e.toLine()).toMatchInlineSnapshot(
      `"OutOfRange: Trade.price is out of range (value=9223372036854775808, min=-9223372036854775808, max=9223372036854775807); hint: a value that does not fit is an error, never a truncation"`,
    );
    expect(decimalError(() => assertRange(-1n, 0n, U128_MAX, "reserve0")).message).toBe("reserve0 is out of range");
  });

  test("parse then range-check is the collector's path for a venue price", () => {
    expect(assertRange(parseDecimal("92233720368.54775807", 8), I64_MIN, I64_MAX, "price")).toBe(I64_MAX);
    expect(
      decimalError(() => assertRange(parseDecimal("92233720368.54775808", 8), I64_MIN, I64_MAX, "price")).code,
    ).toBe("OutOfRange");
  });
});
