import { describe, expect, test } from "bun:test";
import { binanceStream } from "../../src/behavior/backtest/fixture-market-data.ts";
import { MarketState as StrategyMarket } from "../../src/behavior/strategies/common/market-state.ts";
import { TokenTable } from "../../src/behavior/strategies/common/token-table.ts";
import { InstrumentId } from "../../src/data/instrument-id.ts";
import { FrameBuilder } from "../../src/rules/builder.ts";
import { ErrorCode } from "../../src/rules/error-codes.ts";
import { FrameParser } from "../../src/rules/parser.ts";
import { Harness } from "./execution/helpers.ts";

/**
 * docs/protocol-decisions.md #18: a venue event with more changes than one BookDelta holds travels as several
 * BookDelta TLVs in one frame, and a consumer judges the book (crossed?) only after the whole frame. Half-way through
 * such an event a book can be crossed; the consumers must not drop it for that.
 */
const BTC = InstrumentId.spot(100, "BTC", "USDT");
const level = (price: bigint) => ({ price, size: 1n, orderCount: 0 });
const change = (side: number, price: bigint, size: bigint) => ({ price, size, side });

function frames(): Uint8Array[] {
  const b = new FrameBuilder({ domain: 1, source: 1 });
  const snapshot = b
    .build("OrderBook", {
      instrument: BTC,
      exchangeTsNs: 1n,
      updateId: 10n,
      flags: 1,
      bids: [level(100n)],
      asks: [level(101n)],
    })
    .slice();
  // One event (U=11, u=11) in two TLVs: the first adds a bid at 102 (crossed with the ask at 101), the second
  // removes the ask at 101 and adds one at 103. After both: bid 102 / ask 103, not crossed.
  const event = b
    .begin()
    .add("BookDelta", {
      instrument: BTC,
      exchangeTsNs: 2n,
      firstUpdateId: 11n,
      lastUpdateId: 11n,
      changes: [change(1, 102n, 1n)],
    })
    .add("BookDelta", {
      instrument: BTC,
      exchangeTsNs: 2n,
      firstUpdateId: 11n,
      lastUpdateId: 11n,
      changes: [change(2, 101n, 0n), change(2, 103n, 1n)],
    })
    .finish()
    .slice();
  return [snapshot, event];
}

describe("a book event split over several BookDelta TLVs of one frame", () => {
  test("the strategies' market state keeps the book (crossed only half-way)", () => {
    const market = new StrategyMarket(new TokenTable());
    const parser = new FrameParser();
    for (const f of frames()) {
      expect(parser.check(f)).toBe(ErrorCode.Ok);
      market.apply(parser);
    }
    const s = market.books.get(BTC.toString())!;
    expect(s.valid).toBe(true);
    expect([s.book.bestBid?.price, s.book.bestAsk?.price]).toEqual([102n, 103n]);
  });

  test("the execution engine keeps the book usable", () => {
    const h = new Harness();
    for (const f of frames()) h.feed(f);
    const e = h.engine.market.books.get(BTC.toString())!;
    expect(e.usable).toBe(true);
    expect([e.book.bestBid?.price, e.book.bestAsk?.price]).toEqual([102n, 103n]);
  });

  test("over the real Binance BTCUSDT capture, the strategies' book stays valid to the end", () => {
    const market = new StrategyMarket(new TokenTable());
    const parser = new FrameParser({ limits: { maxOrderLevels: 1000, maxPoolTokens: 8 } });
    const stream = binanceStream(
      "fixtures/binance/spot-btcusdt-depth100ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz",
      "spot",
      ["BTCUSDT"],
    );
    let multi = 0;
    for (const { frame } of stream) {
      expect(parser.check(frame)).toBe(ErrorCode.Ok);
      if (parser.tlvCount > 1) multi++;
      market.apply(parser);
    }
    expect(multi).toBeGreaterThan(0); // the capture has events larger than one BookDelta
    const s = market.books.get(BTC.toString())!;
    expect(s.valid).toBe(true);
    expect(market.counters.sequenceGaps).toBe(0);
  });
});
