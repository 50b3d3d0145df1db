import { describe, expect, test } from "bun:test";
import {
  capturedTickers,
  checkTickersAtEqualU,
  checkTopAfterEachDelta,
  count,
  deltaFrames,
  runCollector,
  SPOT_2021,
  SPOT_2024,
  T,
  USDM_2024,
} from "./harness.ts";

describe("BinanceDataClient against the replay venue", () => {
  test("syncs the 2024 spot session with 0 gaps: 895 events applied, top of book = bookTicker 742/742", async () => {
    const { tlvs, client, venue } = await runCollector({ capture: SPOT_2024, market: "spot", symbols: ["BTCUSDT"] });
    const c = client.normalizer!.counters;
    expect(c.gaps).toBe(0);
    expect(c.resyncs).toBe(0);
    expect(c.applied).toBe(895);
    expect(c.dropped).toBe(2);
    expect(c.parseErrors + c.precisionErrors).toBe(0);
    expect(c.crossedBooks).toBe(0);
    expect(deltaFrames(tlvs)).toBe(895);
    expect(count(tlvs, T.OrderBook)).toBe(1);
    expect(count(tlvs, T.Trade)).toBe(1708);
    expect(count(tlvs, T.Quote)).toBe(6994);
    expect(count(tlvs, T.InstrumentMeta)).toBe(1);
    expect(count(tlvs, T.StateInvalidation)).toBe(0);
    expect(venue.stats.recordedSnapshots).toBe(1);
    expect(checkTopAfterEachDelta(tlvs, capturedTickers(SPOT_2024))).toEqual([742, 742]);
    const meta = tlvs.find((t) => t.type === T.InstrumentMeta)!.value;
    expect(meta.instrument.toString()).toBe("binance:spot:BTC/USDT");
    expect([meta.priceDecimals, meta.sizeDecimals, meta.tickSize]).toEqual([2, 6, 1000000n]);
  });

  test("syncs the 2021 spot session, 4 symbols: 172 applied, 0 gaps, top of book 51/51", async () => {
    const { tlvs, client } = await runCollector({
      capture: SPOT_2021,
      market: "spot",
      symbols: ["NKNUSDT", "BLZETH", "LRCBTC", "RUNEEUR"],
      trades: ["aggTrade"],
    });
    const c = client.normalizer!.counters;
    expect(c.gaps).toBe(0);
    expect(c.resyncs).toBe(0);
    expect(c.applied).toBe(172);
    expect(count(tlvs, T.OrderBook)).toBe(4);
    expect(count(tlvs, T.Trade)).toBe(2);
    expect(count(tlvs, T.Quote)).toBe(84);
    expect(checkTopAfterEachDelta(tlvs, capturedTickers(SPOT_2021))).toEqual([51, 51]);
  });

  test("syncs the 2024 USD-M session by pu continuity: 571 applied, tickers at equal u match 18/18", async () => {
    const { tlvs, client } = await runCollector({ capture: USDM_2024, market: "usdm", symbols: ["BTCUSDT"] });
    const c = client.normalizer!.counters;
    expect(c.gaps).toBe(0);
    expect(c.applied).toBe(571);
    expect(c.dropped).toBe(4);
    expect(count(tlvs, T.Trade)).toBe(1161);
    expect(count(tlvs, T.Quote)).toBe(5534);
    expect(checkTickersAtEqualU(tlvs, USDM_2024)).toEqual([18, 18]);
    const meta = tlvs.find((t) => t.type === T.InstrumentMeta)!.value;
    expect(meta.instrument.toString()).toBe("binance:perp:BTC/USDT");
  });
});
