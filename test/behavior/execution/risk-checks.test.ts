import { describe, expect, test } from "bun:test";
import {
  checkDailyLoss,
  checkDataStaleness,
  checkOpenOrders,
  checkOrderNotional,
  checkPositionLimit,
  checkPriceDeviation,
  checkTotalPosition,
  notionalE8,
} from "../../../src/behavior/execution/risk-checks.ts";
import { BTC, E8, ETH, Harness, MS, px, statuses, testConfig } from "./helpers.ts";
import { MemoryAudit } from "./memory-audit.ts";

function harness(risk: NonNullable<Parameters<typeof testConfig>[0]>["risk"] = {}) {
  const audit = new MemoryAudit();
  const h = new Harness(testConfig({ risk, breakers: { lossLimitE8: 10n ** 18n } }), audit);
  h.book(BTC, [[px(60_000), 5n * E8]], [[px(60_010), 5n * E8]]);
  return { h, audit, lastCheck: () => audit.decisions().at(-1)?.check };
}

describe("risk check functions", () => {
  test("each returns undefined at the limit and a typed rejection one unit past it", () => {
    expect(notionalE8(px(60_000), E8 / 2n)).toBe(px(30_000));
    expect(checkOrderNotional({ notionalE8: 100n, maxE8: 100n })).toBeUndefined();
    expect(checkOrderNotional({ notionalE8: 101n, maxE8: 100n })?.check).toBe("order_notional");
    expect(checkPositionLimit({ positionAfterE8: -E8, referencePriceE8: 100n, maxNotionalE8: 100n })).toBeUndefined();
    expect(checkPositionLimit({ positionAfterE8: -E8 - 1n, referencePriceE8: 101n, maxNotionalE8: 100n })?.check).toBe(
      "position_limit",
    );
    expect(checkTotalPosition({ totalAfterE8: 5n, maxE8: 4n })?.check).toBe("total_position_limit");
    expect(checkOpenOrders({ open: 1, max: 2 })).toBeUndefined();
    expect(checkOpenOrders({ open: 2, max: 2 })?.check).toBe("open_orders");
    expect(checkPriceDeviation({ price: 10_100n, reference: 10_000n, maxBps: 100 })).toBeUndefined();
    expect(checkPriceDeviation({ price: 10_101n, reference: 10_000n, maxBps: 100 })?.facts).toEqual({
      price: "10101",
      reference: "10000",
      max_bps: 100,
    });
    expect(checkDataStaleness({ usable: true, updatedNs: 1n, nowNs: 1n + 5n * MS, maxAgeMs: 5 })).toBeUndefined();
    expect(checkDataStaleness({ usable: true, updatedNs: 1n, nowNs: 2n + 5n * MS, maxAgeMs: 5 })?.message).toBe(
      "market data too old",
    );
    expect(checkDailyLoss({ dailyPnlE8: -99n, limitE8: 100n })).toBeUndefined();
    expect(checkDailyLoss({ dailyPnlE8: -100n, limitE8: 100n })?.check).toBe("daily_loss");
  });
});

describe("every order passes the risk checks first (engine scenarios)", () => {
  test("stale data: no book, an old book, and an invalidated book are refused with reason 1", () => {
    const { h, lastCheck } = harness({ maxBookAgeMs: 5_000 });
    expect(statuses(h.order({ orderId: 1n, instrument: ETH, price: px(3000) }))).toMatchObject([
      { status: 2, reason: 1 },
    ]);
    expect(lastCheck()).toBe("stale_data");
    h.advance(5_001n);
    expect(statuses(h.order({ orderId: 2n, price: px(60_000) }))).toMatchObject([{ status: 2, reason: 1 }]);
    expect(lastCheck()).toBe("stale_data");
    h.book(BTC, [[px(60_000), E8]], [[px(60_010), E8]]);
    expect(statuses(h.order({ orderId: 3n, price: px(59_000) }))[0]).toMatchObject({ status: 1 });
    h.send("StateInvalidation", { instrument: BTC, reason: 2, venueSequence: 9n });
    h.book(BTC, [[px(60_000), E8]], [[px(60_010), E8]]); // usable again, but its instrument breaker stays
    expect(statuses(h.order({ orderId: 4n, price: px(59_000) }))[0]).toMatchObject({ status: 2, reason: 2 });
  });

  test("max order notional", () => {
    const { h, lastCheck } = harness({ maxOrderNotionalE8: px(60_000) });
    expect(statuses(h.order({ orderId: 1n, price: px(60_000), quantity: E8 }))[0].status).toBe(1);
    expect(statuses(h.order({ orderId: 2n, price: px(60_001), quantity: E8 }))[0]).toMatchObject({
      status: 2,
      reason: 1,
    });
    expect(lastCheck()).toBe("order_notional");
  });

  test("max position per instrument counts resting orders on the same side", () => {
    const { h, lastCheck } = harness({ maxPositionNotionalE8: px(125_000) });
    expect(statuses(h.order({ orderId: 1n, orderType: 1, quantity: E8 })).at(-1)?.status).toBe(4); // long 1 BTC
    expect(statuses(h.order({ orderId: 2n, price: px(59_000), quantity: E8 }))[0].status).toBe(1); // resting 1
    expect(statuses(h.order({ orderId: 3n, price: px(59_000), quantity: E8 / 10n }))[0]).toMatchObject({
      status: 2,
      reason: 1,
    });
    expect(lastCheck()).toBe("position_limit");
    // selling reduces the position: allowed
    expect(statuses(h.order({ orderId: 4n, side: 2, price: px(61_000), quantity: E8 }))[0].status).toBe(1);
  });

  test("max total position across instruments", () => {
    const { h, lastCheck } = harness({ maxTotalPositionNotionalE8: px(70_000) });
    h.book(ETH, [[px(3_000), 100n * E8]], [[px(3_001), 100n * E8]]);
    expect(statuses(h.order({ orderId: 1n, orderType: 1, quantity: E8 })).at(-1)?.status).toBe(4);
    expect(statuses(h.order({ orderId: 2n, instrument: ETH, orderType: 1, quantity: 3n * E8 })).at(-1)?.status).toBe(4);
    expect(statuses(h.order({ orderId: 3n, instrument: ETH, orderType: 1, quantity: 1n * E8 }))[0]).toMatchObject({
      status: 2,
      reason: 1,
    });
    expect(lastCheck()).toBe("total_position_limit");
  });

  test("max open orders", () => {
    const { h, lastCheck } = harness({ maxOpenOrders: 2 });
    h.order({ orderId: 1n, price: px(59_900) });
    h.order({ orderId: 2n, price: px(59_900) });
    expect(statuses(h.order({ orderId: 3n, price: px(59_900) }))[0]).toMatchObject({ status: 2, reason: 1 });
    expect(lastCheck()).toBe("open_orders");
    // an IOC cannot rest: not counted against the limit
    expect(statuses(h.order({ orderId: 4n, orderType: 4, price: px(59_900) })).map((s) => s.status)).toEqual([1, 5]);
  });

  test("price deviation from the book mid", () => {
    const { h, lastCheck } = harness({ maxPriceDeviationBps: 100 });
    expect(statuses(h.order({ orderId: 1n, price: px(59_405) }))[0].status).toBe(1); // mid 60005, -0.999 %
    expect(statuses(h.order({ orderId: 2n, price: px(59_400) }))[0]).toMatchObject({ status: 2, reason: 1 });
    expect(lastCheck()).toBe("price_deviation");
  });

  test("daily loss limit", () => {
    const { h, lastCheck } = harness({ dailyLossLimitE8: px(1_000) });
    h.order({ orderId: 1n, orderType: 1, quantity: E8 }); // buys at 60010
    h.book(BTC, [[px(58_990), E8]], [[px(59_000), E8]]); // mid 58995: -1015 USD and fees
    expect(statuses(h.order({ orderId: 2n, price: px(58_900) }))[0]).toMatchObject({ status: 2, reason: 1 });
    expect(lastCheck()).toBe("daily_loss");
    expect(h.engine.dailyPnlE8()).toBeLessThan(-px(1_000));
  });

  test("invalid orders are refused with reason 5 and never silently", () => {
    const { h, lastCheck } = harness();
    expect(statuses(h.order({ orderId: 1n, quantity: 0n, price: px(60_000) }))[0]).toMatchObject({
      status: 2,
      reason: 5,
    });
    expect(lastCheck()).toBe("invalid_order");
    h.order({ orderId: 2n, price: px(59_000) });
    expect(statuses(h.order({ orderId: 2n, price: px(59_000) }))[0]).toMatchObject({ status: 2, reason: 5 });
  });
});
