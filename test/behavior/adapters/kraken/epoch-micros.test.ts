import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { scanEpochMicros, scanEpochSecondsNs } from "../../../../src/behavior/adapters/common/decimal-scan.ts";
import { MarketPublisher } from "../../../../src/behavior/adapters/common/market-publisher.ts";
import { KrakenFeedHandler } from "../../../../src/behavior/adapters/kraken/feed-handler.ts";
import { SourceType } from "../../../../src/data/venues.ts";

/** scanEpochMicros: integer µs exactly, or -1 (the callers then take scanEpochSecondsNs's exact bigint). */
describe("scanEpochMicros", () => {
  const exact = (t: string): bigint => {
    const [s, f = ""] = t.split(".");
    return BigInt(s) * 1_000_000n + BigInt(`${f}000000`.slice(0, 6));
  };

  test("at the 2^53 edge: the last exact value read, the first one past it refused", () => {
    // 2^53 - 1 µs = 9007199254.740991 s
    expect(scanEpochMicros("9007199254.740991", 0, 17)).toBe(Number.MAX_SAFE_INTEGER);
    expect(scanEpochMicros("9007199254.740992", 0, 17)).toBe(-1);
    expect(scanEpochMicros("9007199255", 0, 10)).toBe(-1);
    expect(scanEpochMicros("99999999999.999999", 0, 18)).toBe(-1);
    expect(scanEpochMicros("100000000000", 0, 12)).toBe(-1);
    expect(scanEpochMicros("1693353600.204658", 0, 17)).toBe(1693353600204658);
  });

  test("fast-check: the value is exact (as bigint arithmetic gives it) or -1 exactly when it is 2^53 or more", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 100_000_000_000n }),
        fc.nat(999_999),
        fc.integer({ min: 0, max: 6 }),
        (s, f, fd) => {
          const frac = String(f).padStart(6, "0").slice(0, fd);
          const t = fd === 0 ? String(s) : `${s}.${frac}`;
          const want = exact(t);
          const got = scanEpochMicros(t, 0, t.length);
          if (want <= BigInt(Number.MAX_SAFE_INTEGER)) expect(got).toBe(Number(want));
          else {
            expect(got).toBe(-1);
            expect(scanEpochSecondsNs(t, 0, t.length)).toBe(want * 1000n); // what the callers fall back to
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  test("a v1 trade past 2^53 µs goes out with its exact time", () => {
    const frames: Uint8Array[] = [];
    const publisher = new MarketPublisher({
      source: SourceType.KrakenCollector,
      name: "t",
      sink: (f) => frames.push(f.slice()),
    });
    const h = new KrakenFeedHandler({ api: "v1", depth: 10, publisher });
    h.handle('[42,[["100.5","0.25","9999999999.123457","b","m",""]],"trade","XBT/USD"]', 1n);
    expect(h.counters.trades).toBe(1);
    const dv = new DataView(frames[0].buffer);
    expect(dv.getBigUint64(32 + 2 + 48, true)).toBe(9_999_999_999_123_457_000n);
  });
});
