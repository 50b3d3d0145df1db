import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import {
  BAD_DECIMAL,
  decimalScan,
  plainDecimal,
  scanDecimal,
  scanEpochSecondsNs,
  scanRfc3339Ns,
} from "../../../../src/behavior/adapters/common/decimal-scan.ts";
import { krakenBookChecksum, krakenChecksumInput } from "../../../../src/behavior/adapters/kraken/checksum.ts";
import { OrderBook } from "../../../../src/behavior/market/order-book.ts";
import { parseDecimal } from "../../../../src/core/fixed-point.ts";
import { fixture } from "./harness.ts";

interface DocExample {
  asks: [string, string][];
  bids: [string, string][];
  checksumInput: string;
  expectedChecksum: number;
}
const doc = JSON.parse(readFileSync(fixture("checksum-doc-examples.json"), "utf8")) as {
  examples: DocExample[];
  stripExamples: [string, string][];
};

function bookOf(e: DocExample): OrderBook {
  const b = new OrderBook();
  for (const [p, q] of e.asks) b.set("ask", parseDecimal(p, 8), parseDecimal(q, 8));
  for (const [p, q] of e.bids) b.set("bid", parseDecimal(p, 8), parseDecimal(q, 8));
  return b;
}

describe("krakenBookChecksum", () => {
  test("the v1 documentation example gives 974947235", () => {
    const e = doc.examples[0];
    const b = bookOf(e);
    expect(krakenChecksumInput(b, 5, 8)).toBe(e.checksumInput);
    expect(krakenBookChecksum(b, 5, 8)).toBe(974947235);
    expect(e.expectedChecksum).toBe(974947235);
  });

  test("the v2 documentation example (BTC/USD, precision 1 / 8) gives 3310070434", () => {
    const e = doc.examples[1];
    const b = bookOf(e);
    expect(krakenChecksumInput(b, 1, 8)).toBe(e.checksumInput);
    expect(krakenChecksumInput(b, 1, 8).length).toBe(281);
    expect(krakenBookChecksum(b, 1, 8)).toBe(3310070434);
  });

  test("writes each value as its text without point and leading zeros", () => {
    for (const [text, stripped] of doc.stripExamples) {
      const b = new OrderBook();
      const decimals = text.split(".")[1].length;
      // a one-level book: price and qty both `text`, both written with its own fraction digits
      b.set("ask", parseDecimal(text, 8), parseDecimal(text, 8));
      if (decimals <= 8) expect(krakenChecksumInput(b, decimals, decimals)).toBe(stripped + stripped);
    }
  });

  test("values beyond 2^53 and precisions beyond e8 take the bigint path", () => {
    const b = new OrderBook();
    b.set("ask", 123456789012345678n, 100000000n);
    expect(krakenChecksumInput(b, 8, 8)).toBe("123456789012345678100000000");
    const c = new OrderBook();
    c.set("ask", 2290n, 1n); // "0.000022900" at 9 decimals (ADA/XBT on the 2021 wire)
    expect(krakenChecksumInput(c, 9, 8)).toBe("229001");
  });
});

describe("scanDecimal", () => {
  const scan = (s: string, scale = 8) => scanDecimal(s, 0, s.length, scale);

  test("reads exact e8 values like parseDecimal", () => {
    for (const s of ["0", "0.0", "27120.00000", "0.000022900", "354.11000000", "45285.2", "12345678901234.5678"]) {
      expect(scan(s)).toBe(parseDecimal(s, 8));
    }
  });

  test("refuses more precision than e8, never rounding", () => {
    expect(scan("0.000000001")).toBe(BAD_DECIMAL);
    expect(decimalScan.error).toBe("PrecisionLoss");
    expect(scan("1.123456789")).toBe(BAD_DECIMAL);
  });

  test("refuses what is not a plain decimal", () => {
    for (const s of ["", ".", "1.", "-1", "1e-8", "1.2.3", "abc", "true"]) {
      expect(scan(s)).toBe(BAD_DECIMAL);
      expect(decimalScan.error).toBe("NotADecimal");
    }
  });

  test("times: v1 epoch seconds and v2 RFC 3339 to ns", () => {
    const t = "1693415330.621700";
    expect(scanEpochSecondsNs(t, 0, t.length)).toBe(1693415330621700000n);
    const r = "2023-07-30T15:29:58.343415Z";
    expect(scanRfc3339Ns(r, 0, r.length)).toBe(1690730998343415000n);
  });

  test("plainDecimal turns exponent literals into exact decimal text", () => {
    expect(plainDecimal("1E-8")).toBe("0.00000001");
    expect(plainDecimal("0.00010000")).toBe("0.00010000");
    expect(plainDecimal("1.5e3")).toBe("1500");
    expect(plainDecimal("25")).toBe("25");
  });
});
