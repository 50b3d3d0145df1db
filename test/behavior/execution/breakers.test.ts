import { describe, expect, test } from "bun:test";
import { BTC, breakerFrames, E8, ETH, Harness, px, statuses, testConfig } from "./helpers.ts";

const bigLoss = { lossLimitE8: 10n ** 18n };

describe("circuit breakers trip by themselves, stop orders in their scope, reset as configured", () => {
  test("loss limit: trips the global breaker, cancels resting orders; manual reset only by resume", () => {
    const h = new Harness(testConfig({ breakers: { lossLimitE8: px(500), reset: "manual" } }));
    h.book(BTC, [[px(60_000), 5n * E8]], [[px(60_010), 5n * E8]]);
    h.order({ orderId: 1n, orderType: 1, quantity: E8 });
    h.order({ orderId: 2n, price: px(59_500) }); // resting
    const out = h.book(BTC, [[px(59_400), E8]], [[px(59_420), E8]]); // mid 59410: -600 USD
    expect(breakerFrames(out)).toMatchObject([{ scope: 1, state: 1, reason: 1, scopeId: 0n, instrument: null }]);
    expect(statuses(out)).toMatchObject([{ orderId: 2n, status: 5, reason: 2 }]);
    expect(statuses(h.order({ orderId: 3n, side: 2, price: px(59_410) }))).toMatchObject([{ status: 2, reason: 2 }]);
    h.advance(3_600_000n);
    expect(breakerFrames(h.book(ETH, [[px(3000), E8]], [[px(3001), E8]]))).toEqual([]); // no cool-down reset
    h.engine.resume(true);
    h.book(BTC, [[px(60_000), E8]], [[px(60_010), E8]]); // back above the limit
    expect(statuses(h.order({ orderId: 4n, side: 2, price: px(60_005) }))[0].status).toBe(1);
  });

  test("error rate: the Nth error within the window trips the global breaker; it resets after the cool-down", () => {
    const h = new Harness(
      testConfig({ breakers: { ...bigLoss, maxErrors: 3, errorWindowMs: 1_000, cooldownMs: 5_000 } }),
    );
    h.book(BTC, [[px(60_000), E8]], [[px(60_010), E8]]);
    h.order({ orderId: 1n, quantity: 0n, price: px(60_000) });
    h.advance(2_000n); // the first error leaves the window
    h.order({ orderId: 2n, quantity: 0n, price: px(60_000) });
    expect(breakerFrames(h.order({ orderId: 3n, quantity: -1n, price: px(60_000) }))).toEqual([]);
    const out = h.order({ orderId: 4n, side: 9, price: px(60_000) });
    expect(breakerFrames(out)).toMatchObject([{ scope: 1, state: 1, reason: 2 }]);
    expect(statuses(h.order({ orderId: 5n, price: px(60_000) }))).toMatchObject([{ status: 2, reason: 2 }]);
    h.advance(5_000n);
    const reset = h.book(BTC, [[px(60_000), E8]], [[px(60_010), E8]]);
    expect(breakerFrames(reset)).toMatchObject([{ scope: 1, state: 2, reason: 2 }]);
    expect(statuses(h.order({ orderId: 6n, price: px(60_000) }))[0].status).toBe(1);
  });

  test("stale data: an invalidation, or no update while orders rest, trips the instrument's breaker only", () => {
    const h = new Harness(testConfig({ breakers: { ...bigLoss, staleDataMs: 2_000 } }));
    h.book(BTC, [[px(60_000), E8]], [[px(60_010), E8]]);
    h.book(ETH, [[px(3_000), E8]], [[px(3_001), E8]]);
    h.order({ orderId: 1n, price: px(59_990) });
    const out = h.send("StateInvalidation", { instrument: BTC, reason: 1, venueSequence: 1n });
    expect(breakerFrames(out)).toMatchObject([{ scope: 4, state: 1, reason: 3, instrument: BTC }]);
    expect(statuses(out)).toMatchObject([{ orderId: 1n, status: 5, reason: 2 }]);
    expect(statuses(h.order({ orderId: 2n, instrument: ETH, price: px(2_999) }))[0].status).toBe(1);
    // ETH now has a resting order and goes quiet; BTC updates keep the clock moving
    h.advance(2_100n);
    const later = h.book(BTC, [[px(60_000), E8]], [[px(60_010), E8]]);
    expect(breakerFrames(later)).toMatchObject([{ scope: 4, state: 1, reason: 3, instrument: ETH }]);
    expect(statuses(later)).toMatchObject([{ orderId: 2n, status: 5, reason: 2 }]);
  });

  test("price deviation: a mid that jumps past the threshold within the window trips that instrument", () => {
    const h = new Harness(testConfig({ breakers: { ...bigLoss, priceMoveBps: 500, priceMoveWindowMs: 10_000 } }));
    h.book(BTC, [[px(60_000), E8]], [[px(60_010), E8]]);
    h.book(ETH, [[px(3_000), E8]], [[px(3_001), E8]]);
    expect(breakerFrames(h.book(BTC, [[px(62_900), E8]], [[px(62_910), E8]]))).toEqual([]); // +4.8 %
    const out = h.book(BTC, [[px(63_100), E8]], [[px(63_110), E8]]); // +5.2 %
    expect(breakerFrames(out)).toMatchObject([{ scope: 4, state: 1, reason: 4, instrument: BTC }]);
    expect(statuses(h.order({ orderId: 1n, price: px(63_000) }))).toMatchObject([{ status: 2, reason: 2 }]);
    expect(statuses(h.order({ orderId: 2n, instrument: ETH, price: px(2_999) }))[0].status).toBe(1);
  });

  test("kill switch in-process: halt is idempotent (re-acknowledged), resume acknowledges even when not halted", () => {
    const h = new Harness(testConfig({ breakers: bigLoss }));
    h.book(BTC, [[px(60_000), E8]], [[px(60_010), E8]]);
    h.order({ orderId: 1n, price: px(59_990) });
    h.order({ orderId: 2n, side: 2, price: px(60_020) });
    const from = h.frames.length;
    h.sendRaw(3, 208, new TextEncoder().encode("test"));
    const out = h.outFrom(from);
    expect(breakerFrames(out)).toMatchObject([{ scope: 1, state: 1, reason: 5 }]);
    expect(statuses(out).map((s) => [s.orderId, s.status, s.reason])).toEqual([
      [1n, 5, 2],
      [2n, 5, 2],
    ]);
    expect(breakerFrames(h.sendRaw(3, 208, new Uint8Array(0)))).toMatchObject([{ state: 1, reason: 5 }]);
    h.advance(86_400_000n);
    expect(statuses(h.order({ orderId: 3n, price: px(59_990) }))).toMatchObject([{ status: 2, reason: 2 }]);
    expect(breakerFrames(h.sendRaw(3, 209, Uint8Array.of(0)))).toMatchObject([{ state: 2, reason: 5 }]);
    expect(breakerFrames(h.sendRaw(3, 209, Uint8Array.of(0)))).toMatchObject([{ state: 2, reason: 5 }]);
  });
});
