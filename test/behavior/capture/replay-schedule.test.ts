import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { markReplayed } from "../../../src/behavior/capture/mark-replayed.ts";
import { parseSpeed, ReplaySchedule } from "../../../src/behavior/capture/replay-schedule.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { ErrorCode } from "../../../src/rules/error-codes.ts";
import { FrameParser } from "../../../src/rules/parser.ts";

describe("parseSpeed", () => {
  test("reads max and exact factors", () => {
    expect(parseSpeed("max")).toMatchObject({ max: true });
    expect(parseSpeed("10x")).toMatchObject({ max: false, num: 10n, den: 1n, text: "10x" });
    expect(parseSpeed("1")).toMatchObject({ num: 1n, den: 1n, text: "1x" });
    expect(parseSpeed("0.25x")).toMatchObject({ num: 25n, den: 100n, text: "0.25x" });
  });

  test("refuses zero, negatives and words", () => {
    for (const bad of ["0x", "0", "-1x", "fast", "", "1e3x"])
      expect(() => parseSpeed(bad)).toThrow("is not a positive factor");
  });
});

describe("ReplaySchedule", () => {
  test("due times are start + recorded offset / speed, in exact bigint ns", () => {
    const s = new ReplaySchedule(parseSpeed("10x"), 1_000n);
    const base = 1_800_000_000_000_000_000n;
    expect(s.dueMonoNs(base)).toBe(1_000n);
    expect(s.dueMonoNs(base + 1_000_000_000n)).toBe(1_000n + 100_000_000n);
    expect(s.dueMonoNs(base + 7n)).toBe(1_000n); // 0.7 ns rounds down: never later than exact
    expect(s.dueMonoNs(base - 5n)).toBe(1_000n); // a receive time before the first: at once
  });

  test("max: everything due at the start", () => {
    const s = new ReplaySchedule(parseSpeed("max"), 42n);
    expect(s.dueMonoNs(5n)).toBe(42n);
    expect(s.dueMonoNs(5_000_000_000n)).toBe(42n);
  });

  test("property: due times are non-decreasing for non-decreasing receive times and never drift", () => {
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 10n ** 12n }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 1000 }),
        (gaps, tenths) => {
          const speed = parseSpeed(`${Math.floor(tenths / 10)}.${tenths % 10}x`);
          const s = new ReplaySchedule(speed, 0n);
          let recv = 1_700_000_000_000_000_000n;
          const first = recv;
          let prev = s.dueMonoNs(recv);
          for (const g of gaps) {
            recv += g;
            const due = s.dueMonoNs(recv);
            expect(due >= prev).toBe(true);
            // computed from the origin, not from the previous due time
            expect(due).toBe(((recv - first) * speed.den) / speed.num);
            prev = due;
          }
        },
      ),
    );
  });
});

describe("markReplayed", () => {
  test("sets flag bit 0 and recomputes the checksum; everything else unchanged; idempotent", () => {
    const b = new FrameBuilder({ domain: 1, source: 2, firstSequence: 77 });
    const trade = {
      instrument: InstrumentId.spot(VenueId.Kraken, "BTC", "USD"),
      price: 1n,
      size: 2n,
      exchangeTsNs: 3n,
      side: 1,
    };
    const frame = b.begin(123n, 2).add("Trade", trade).finish().slice();
    const out = new Uint8Array(4096);
    const view = new DataView(out.buffer);
    const marked = markReplayed(frame, out, view).slice();
    expect(marked[7]).toBe(3); // snapshot bit kept, replayed bit set
    const p = new FrameParser();
    expect(p.check(marked)).toBe(ErrorCode.Ok);
    expect(p.sequence).toBe(77n);
    expect(p.timestampNs).toBe(123n);
    // the same frame built with the flag set from the start has the same bytes
    const direct = new FrameBuilder({ domain: 1, source: 2, firstSequence: 77 })
      .begin(123n, 3)
      .add("Trade", trade)
      .finish();
    expect(marked as Uint8Array).toEqual(direct);
    expect(markReplayed(marked, out, view)).toEqual(marked);
  });
});
