import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { feeE8 } from "../../../src/behavior/execution/paper-fills.ts";
import { loadCaptureRecords } from "../../../src/behavior/venues/capture-records.ts";
import { parseDecimal } from "../../../src/core/fixed-point.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { BTC, E8, fills, Harness, px, statuses, testConfig } from "./helpers.ts";

const CAPTURE = join(
  import.meta.dir,
  "../../../fixtures/binance/spot-btcusdt-depth100ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz",
);
const BTCUSDT = InstrumentId.spot(VenueId.Binance, "BTC", "USDT");
const config = () =>
  testConfig({
    risk: { maxOrderNotionalE8: px(1_000_000), maxPositionNotionalE8: px(1_000_000) },
    execution: { takerFeeCentiBps: 1_000, makerFeeCentiBps: 200 },
    breakers: { lossLimitE8: 10n ** 18n },
  });

type Level = [bigint, bigint];

/**
 * The real Binance BTCUSDT depth snapshot (REST, 50 best levels per side) and the trades recorded after it, from
 * fixtures/ when present; otherwise a hand-made book and trades of the same shape.
 */
function marketData(): {
  bids: Level[];
  asks: Level[];
  trades: { ts: bigint; price: bigint; size: bigint }[];
  t0: bigint;
  real: boolean;
} {
  if (!existsSync(CAPTURE)) {
    const bids: Level[] = Array.from({ length: 20 }, (_, i) => [
      px(61_837) - BigInt(i) * 10_000_000n,
      E8 / 4n + BigInt(i),
    ]);
    const asks: Level[] = Array.from({ length: 20 }, (_, i) => [
      px(61_838) + BigInt(i) * 10_000_000n,
      E8 / 3n + BigInt(i),
    ]);
    const trades = Array.from({ length: 30 }, (_, i) => ({
      ts: 1_723_161_254_300_000_000n + BigInt(i) * 1_000_000n,
      price: px(61_830) + BigInt((i * 7) % 13) * 100_000_000n - 600_000_000n,
      size: 2_000_000n + BigInt(i) * 100_000n,
    }));
    return { bids, asks, trades, t0: 1_723_161_254_206_652_067n, real: false };
  }
  const records = loadCaptureRecords(CAPTURE);
  const snapIndex = records.findIndex((r) => r.kind === "rest");
  const snap = JSON.parse(records[snapIndex].raw) as { bids: [string, string][]; asks: [string, string][] };
  const level = ([p, q]: [string, string]): Level => [parseDecimal(p, 8), parseDecimal(q, 8)];
  const trades = [];
  for (const r of records.slice(snapIndex + 1)) {
    if (!r.raw.includes("@trade")) continue;
    const d = (JSON.parse(r.raw) as { data: { p: string; q: string } }).data;
    trades.push({ ts: r.recvNs!, price: parseDecimal(d.p, 8), size: parseDecimal(d.q, 8) });
  }
  return {
    bids: snap.bids.slice(0, 50).map(level),
    asks: snap.asks.slice(0, 50).map(level),
    trades,
    t0: records[snapIndex].recvNs!,
    real: true,
  };
}

describe("paper fills on the captured Binance BTCUSDT book", () => {
  const md = marketData();

  test(`a market buy walks the ask levels at their prices with the taker fee (${md.real ? "captured" : "hand-made"} book)`, () => {
    const h = new Harness(config());
    h.t = md.t0;
    h.book(BTCUSDT, md.bids, md.asks);
    const qty = 3n * E8;
    const out = h.order({ orderId: 1n, instrument: BTCUSDT, orderType: 1, quantity: qty });
    // independent walk over the snapshot
    const expected = [];
    let left = qty;
    for (const [price, size] of md.asks) {
      if (left === 0n) break;
      const q = size < left ? size : left;
      expected.push({
        price,
        quantity: q,
        fee: (price * q * 1000n + 10n ** 14n - 1n) / 10n ** 14n,
        liquidity: 2,
        side: 1,
      });
      left -= q;
    }
    expect(left).toBe(0n);
    expect(fills(out)).toMatchObject(expected);
    const value = expected.reduce((s, f) => s + f.price * f.quantity, 0n);
    expect(statuses(out).at(-1)).toMatchObject({ status: 4, filledQuantity: qty, averagePrice: value / qty });
    expect(h.engine.portfolio.position(BTCUSDT).qty).toBe(qty);
  });

  test("a resting bid fills on the later trades that go through it, at its price, with the maker fee", () => {
    const h = new Harness(config());
    h.t = md.t0;
    h.book(BTCUSDT, md.bids, md.asks);
    const minTrade = md.trades.reduce((m, t) => (t.price < m ? t.price : m), md.trades[0].price);
    const price = minTrade + 1_000_000n; // 0.01 above the lowest trade: at least one trade goes through it
    const qty = E8 / 10n;
    expect(statuses(h.order({ orderId: 7n, instrument: BTCUSDT, price, quantity: qty }))).toMatchObject([
      { status: 1 },
    ]);
    const got = [];
    let left = qty;
    const expected = [];
    for (const t of md.trades) {
      h.t = t.ts > h.t ? t.ts : h.t;
      got.push(...fills(h.trade(BTCUSDT, t.price, t.size)));
      if (left > 0n && t.price < price) {
        const q = t.size < left ? t.size : left;
        expected.push({ price, quantity: q, fee: feeE8(price, q, 200), liquidity: 1 });
        left -= q;
      }
    }
    expect(expected.length).toBeGreaterThan(0);
    expect(got).toMatchObject(expected);
    expect(h.engine.openOrders.has(7n)).toBe(left > 0n);
  });
});

describe("order types and time in force (hand-made book)", () => {
  const setup = () => {
    const h = new Harness(config());
    h.book(
      BTC,
      [
        [px(100), E8],
        [px(99), E8],
      ],
      [
        [px(101), E8],
        [px(102), E8],
        [px(103), E8],
      ],
    );
    return h;
  };

  test("a limit GTC takes up to its price, rests the remainder and reports partially filled", () => {
    const h = setup();
    const out = h.order({ orderId: 1n, price: px(102), quantity: 3n * E8 });
    expect(fills(out).map((f) => [f.price, f.quantity])).toEqual([
      [px(101), E8],
      [px(102), E8],
    ]);
    expect(statuses(out).map((s) => [s.status, s.filledQuantity])).toEqual([
      [1, 0n],
      [3, 2n * E8],
    ]);
    expect(h.engine.openOrders.get(1n)?.filled).toBe(2n * E8);
  });

  test("IOC cancels the remainder; FOK expires without any fill when the book cannot fill it all", () => {
    const h = setup();
    const ioc = h.order({ orderId: 1n, timeInForce: 2, price: px(101), quantity: 2n * E8 });
    expect(statuses(ioc).map((s) => [s.status, s.filledQuantity])).toEqual([
      [1, 0n],
      [5, E8],
    ]);
    const fok = h.order({ orderId: 2n, timeInForce: 3, price: px(102), quantity: 2n * E8 });
    expect(fills(fok)).toEqual([]); // only 1 BTC left at or below 102
    expect(statuses(fok).map((s) => s.status)).toEqual([1, 6]);
    const fok2 = h.order({ orderId: 3n, timeInForce: 3, price: px(103), quantity: 2n * E8 });
    expect(statuses(fok2).map((s) => s.status)).toEqual([1, 4]);
  });

  test("post-only that would take is refused; one that does not rests", () => {
    const h = setup();
    expect(statuses(h.order({ orderId: 1n, orderType: 3, price: px(101) }))).toMatchObject([{ status: 2, reason: 5 }]);
    expect(statuses(h.order({ orderId: 2n, orderType: 3, price: px(100) }))).toMatchObject([{ status: 1 }]);
    expect(h.engine.openOrders.has(2n)).toBe(true);
  });

  test("a market sell with max_slippage_bps stops at the price limit", () => {
    const h = setup();
    const out = h.order({ orderId: 1n, side: 2, orderType: 1, quantity: 2n * E8, maxSlippageBps: 50 });
    expect(fills(out).map((f) => f.price)).toEqual([px(100)]); // 99 is 1 % below the touch
    expect(statuses(out).at(-1)).toMatchObject({ status: 5, filledQuantity: E8 });
  });

  test("a trade at the resting price does not fill it; a cancel removes it with status cancelled", () => {
    const h = setup();
    h.order({ orderId: 1n, price: px(99) });
    expect(fills(h.trade(BTC, px(99), E8))).toEqual([]);
    expect(statuses(h.send("OrderCancel", { orderId: 1n, reason: 0, timestampNs: h.t }))).toMatchObject([
      { orderId: 1n, status: 5 },
    ]);
    expect(fills(h.trade(BTC, px(98), E8))).toEqual([]);
  });
});
