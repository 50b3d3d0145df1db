import { describe, expect, test } from "bun:test";
import { resolveMarketMakingConfig } from "../../../src/behavior/strategies/market-making/config.ts";
import { CancelReason, MarketMaker } from "../../../src/behavior/strategies/market-making/market-maker.ts";
import type { Fill, OrderCancel, OrderRequest } from "../../../src/data/tlv-layouts.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { FrameParser } from "../../../src/rules/parser.ts";
import { book, E8, KRAKEN_ETH, MarketFrames } from "./helpers.ts";

const T0 = 1_700_000_000_000_000_000n;
const CONFIG = resolveMarketMakingConfig({
  instrument: "kraken:spot:ETH/USD",
  deterministic: true,
  fair_value: "mid",
  quote_size_e8: 10_000_000, // 0.1 ETH
  max_position_e8: 30_000_000, // 0.3 ETH
  min_spread_bps: 10,
  skew_bps_at_max_position: 20,
});

type Out = { type: "order"; v: OrderRequest } | { type: "cancel"; v: OrderCancel };

function setup(config = CONFIG) {
  const out: Out[] = [];
  const p = new FrameParser();
  const mm = new MarketMaker(config, (f) => {
    expect(p.check(f)).toBe(0);
    expect(p.domain).toBe(3);
    for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) {
      if (p.tlvType === 40) out.push({ type: "order", v: p.readTlv() as unknown as OrderRequest });
      if (p.tlvType === 43) out.push({ type: "cancel", v: p.readTlv() as unknown as OrderCancel });
    }
  });
  const m = new MarketFrames();
  const bookAt = (ts: bigint, bid: bigint, ask: bigint, id = 1n) =>
    mm.onMarketFrame(m.frame(ts, ["OrderBook", book(KRAKEN_ETH, ts, [[bid, 5n * E8]], [[ask, 5n * E8]], id)]));
  return { mm, out, m, bookAt };
}

const orders = (out: Out[]) => out.filter((o) => o.type === "order").map((o) => o.v as OrderRequest);
const quotes = (mm: MarketMaker) => {
  const q = [...mm.open.values()];
  return { bid: q.find((x) => x.side === 1), ask: q.find((x) => x.side === 2) };
};

function fillFrame(orderId: bigint, side: number, quantity: bigint, price: bigint): FrameParser {
  const b = new FrameBuilder({ domain: 3, source: 42 });
  const fill: Fill = {
    orderId,
    fillId: 1n,
    instrument: KRAKEN_ETH,
    side,
    liquidity: 1,
    price,
    quantity,
    fee: 0n,
    quantityNative: 0n,
    txHash: `0x${"00".repeat(32)}`,
    timestampNs: T0,
  };
  const p = new FrameParser();
  p.check(b.begin(T0).add("Fill", fill).finish().slice());
  return p;
}

describe("market making", () => {
  test("quotes both sides straddling the fair value, post-only, paper", () => {
    const { mm, out, bookAt } = setup();
    bookAt(T0, 2000n * E8, 2002n * E8);
    const o = orders(out);
    expect(o.length).toBe(2);
    const { bid, ask } = quotes(mm);
    expect(mm.fairValue).toBe(2001n * E8);
    expect(bid!.price).toBeLessThan(mm.fairValue);
    expect(ask!.price).toBeGreaterThan(mm.fairValue);
    expect(ask!.price - bid!.price).toBeGreaterThanOrEqual((2001n * E8 * 10n) / 10_000n);
    expect(o.every((x) => x.orderType === 3 && x.flags === 1 && x.quantity === 10_000_000n)).toBe(true);
  });

  test("keeps quotes inside the refresh threshold, replaces them beyond it", () => {
    const { mm, out, bookAt } = setup();
    bookAt(T0, 2000n * E8, 2002n * E8);
    bookAt(T0 + 1n, 2000n * E8 + 1_000_000n, 2002n * E8 + 1_000_000n, 2n); // +0.01: 0.05 bps
    expect(out.length).toBe(2);
    expect(mm.counters.keptQuotes).toBe(2);
    bookAt(T0 + 2n, 2010n * E8, 2012n * E8, 3n); // +10 USD: 50 bps
    expect(out.filter((o) => o.type === "cancel").length).toBe(2);
    expect(orders(out).length).toBe(4);
    expect(mm.open.size).toBe(2);
  });

  test("skews both quotes down when long and stops bidding at the position limit", () => {
    const { mm, bookAt } = setup();
    bookAt(T0, 2000n * E8, 2002n * E8);
    const flat = quotes(mm);
    mm.onExecutionFrame(fillFrame(flat.bid!.orderId, 1, 10_000_000n, flat.bid!.price));
    expect(mm.position).toBe(10_000_000n);
    bookAt(T0 + 1n, 2000n * E8, 2002n * E8, 2n);
    const long = quotes(mm);
    expect(long.bid!.price).toBeLessThan(flat.bid!.price);
    expect(long.ask!.price).toBeLessThan(flat.ask!.price);
    // two more buys: at the 0.3 ETH limit no bid is quoted; the ask stays
    mm.onExecutionFrame(fillFrame(long.bid!.orderId, 1, 10_000_000n, long.bid!.price));
    bookAt(T0 + 2n, 2000n * E8, 2002n * E8, 3n);
    mm.onExecutionFrame(fillFrame(quotes(mm).bid!.orderId, 1, 10_000_000n, 2000n * E8));
    bookAt(T0 + 3n, 2000n * E8, 2002n * E8, 4n);
    expect(mm.position).toBe(30_000_000n);
    expect(quotes(mm).bid).toBeUndefined();
    expect(quotes(mm).ask).toBeDefined();
  });

  test("pulls every quote at once on a StateInvalidation and on stale data", () => {
    const a = setup();
    a.bookAt(T0, 2000n * E8, 2002n * E8);
    a.mm.onMarketFrame(
      a.m.frame(T0 + 1n, ["StateInvalidation", { instrument: KRAKEN_ETH, reason: 1, venueSequence: 0n }]),
    );
    const cancels = a.out.filter((o) => o.type === "cancel").map((o) => o.v as OrderCancel);
    expect(cancels.length).toBe(2);
    expect(cancels.every((c) => c.reason === CancelReason.Invalidated)).toBe(true);
    expect(a.mm.open.size).toBe(0);

    const b = setup();
    b.bookAt(T0, 2000n * E8, 2002n * E8);
    b.mm.checkStale(T0 + 1_000_000_000n); // 1 s: fresh
    expect(b.mm.open.size).toBe(2);
    b.mm.checkStale(T0 + 2_000_000_001n); // past 2 s
    expect(b.mm.open.size).toBe(0);
    expect(
      b.out.filter((o) => o.type === "cancel").every((c) => (c.v as OrderCancel).reason === CancelReason.Stale),
    ).toBe(true);
  });

  test("volatility widens the spread (integer EWMA of squared moves)", () => {
    const { mm, bookAt } = setup();
    bookAt(T0, 2000n * E8, 2002n * E8);
    const calm = quotes(mm);
    const calmSpread = calm.ask!.price - calm.bid!.price;
    for (let i = 1n; i <= 20n; i++) {
      const px = i % 2n === 0n ? 2000n * E8 : 2030n * E8;
      bookAt(T0 + i, px, px + 2n * E8, i + 1n);
    }
    expect(mm.varianceE16).toBeGreaterThan(0n);
    const q = quotes(mm);
    expect(q.ask!.price - q.bid!.price).toBeGreaterThan(calmSpread * 3n);
  });

  test("respects max_open_orders", () => {
    const { mm, bookAt } = setup(resolveMarketMakingConfig({ deterministic: true, max_open_orders: 1 }));
    bookAt(T0, 2000n * E8, 2002n * E8);
    expect(mm.open.size).toBe(1);
  });
});
