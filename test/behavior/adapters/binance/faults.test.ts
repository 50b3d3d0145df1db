import { describe, expect, test } from "bun:test";
import {
  capturedTickers,
  checkTopAfterEachDelta,
  count,
  type Run,
  runCollector,
  SPOT_2024,
  T,
  USDM_2024,
  wsIndexOfDepthEvent,
} from "./harness.ts";

/** The collector's final book equals the venue's truth: the last bookTicker of the capture. */
function expectFinalTopMatchesLastTicker(run: Run, capture: string): void {
  const tickers = capturedTickers(capture);
  const last = tickers[tickers.length - 1];
  const book = run.client.normalizer!.books.get("BTCUSDT")!;
  // The capture ends with a bookTicker newer than the last depth event only if the book moved since: compare with
  // the latest ticker whose u is at or below the book's update id.
  const ref = [...tickers].reverse().find((t) => t.u <= book.lastUpdateId) ?? last;
  expect([
    book.book.bestBid?.price,
    book.book.bestBid?.size,
    book.book.bestAsk?.price,
    book.book.bestAsk?.size,
  ]).toEqual([ref.bid, ref.bidSize, ref.ask, ref.askSize]);
}

describe("Binance collector fault handling", () => {
  test("a dropped depth event is a gap: StateInvalidation (2), resync from a derived snapshot, correct book", async () => {
    const run = await runCollector({
      capture: SPOT_2024,
      market: "spot",
      symbols: ["BTCUSDT"],
      // Event 100: after this resync the price climbs past the 50 levels of the published snapshot, so the best ask
      // at u=50093249972 (61845.32, rank 80 in the derived snapshot) reaches consumers only through widen().
      venue: { drop: [wsIndexOfDepthEvent(SPOT_2024, 100)] },
    });
    const c = run.client.normalizer!.counters;
    expect(c.gaps).toBe(1);
    expect(c.resyncs).toBe(1);
    expect(c.syncs).toBe(2);
    // 897 events: 2 older than the first snapshot, 1 dropped by the venue, 1 already inside the derived snapshot.
    expect(c.applied).toBe(893);
    expect(run.venue.stats.derivedSnapshots).toBe(1);
    const inval = run.tlvs.filter((t) => t.type === T.StateInvalidation);
    expect(inval.map((t) => t.value.reason)).toEqual([2]);
    expect(count(run.tlvs, T.OrderBook)).toBe(2);
    // Every top-of-book check still holds, before and after the resync.
    expect(checkTopAfterEachDelta(run.tlvs, capturedTickers(SPOT_2024))).toEqual([740, 740]);
    expectFinalTopMatchesLastTicker(run, SPOT_2024);
  });

  test("a dropped depth event at each of events 95..105: every top-of-book check holds after the resync", async () => {
    const failures: string[] = [];
    for (let n = 95; n <= 105; n++) {
      const run = await runCollector({
        capture: SPOT_2024,
        market: "spot",
        symbols: ["BTCUSDT"],
        venue: { drop: [wsIndexOfDepthEvent(SPOT_2024, n)] },
      });
      const c = run.client.normalizer!.counters;
      const [checked, matched] = checkTopAfterEachDelta(run.tlvs, capturedTickers(SPOT_2024));
      if (c.gaps !== 1 || c.syncs !== 2 || c.applied !== 893 || matched !== checked || checked < 735) {
        failures.push(`${n}: gaps ${c.gaps} syncs ${c.syncs} applied ${c.applied} tops ${matched}/${checked}`);
      }
    }
    expect(failures).toEqual([]);
  }, 20_000);

  test("a corrupted depth event is counted, then rebuilt through a resync", async () => {
    const run = await runCollector({
      capture: SPOT_2024,
      market: "spot",
      symbols: ["BTCUSDT"],
      venue: { corrupt: [wsIndexOfDepthEvent(SPOT_2024, 300)] },
    });
    const c = run.client.normalizer!.counters;
    expect(c.parseErrors).toBe(1);
    expect(c.gaps).toBe(1);
    expect(c.syncs).toBe(2);
    expect(c.applied).toBe(893);
    const [checked, matched] = checkTopAfterEachDelta(run.tlvs, capturedTickers(SPOT_2024));
    expect(matched).toBe(checked);
    expectFinalTopMatchesLastTicker(run, SPOT_2024);
  });

  test("a size with a 9th decimal is refused (never rounded) and the book resyncs", async () => {
    const run = await runCollector({
      capture: SPOT_2024,
      market: "spot",
      symbols: ["BTCUSDT"],
      venue: { overPrecise: [wsIndexOfDepthEvent(SPOT_2024, 500)] },
    });
    const c = run.client.normalizer!.counters;
    expect(c.precisionErrors).toBe(1);
    expect(c.gaps).toBe(1);
    expect(c.applied).toBe(893);
    expectFinalTopMatchesLastTicker(run, SPOT_2024);
  });

  test("the venue closes the connection: StateInvalidation (3), reconnect, resync, correct book", async () => {
    const run = await runCollector({
      capture: SPOT_2024,
      market: "spot",
      symbols: ["BTCUSDT"],
      venue: { closeAfter: [4000] },
    });
    const c = run.client.normalizer!.counters;
    expect(run.client.socket!.counters.reconnects).toBe(1);
    expect(run.venue.stats.closes).toBe(1);
    expect(c.gaps).toBe(0);
    expect(c.resyncs).toBe(1);
    expect(c.syncs).toBe(2);
    expect(run.tlvs.filter((t) => t.type === T.StateInvalidation).map((t) => t.value.reason)).toEqual([3]);
    const [checked, matched] = checkTopAfterEachDelta(run.tlvs, capturedTickers(SPOT_2024));
    expect(matched).toBe(checked);
    expectFinalTopMatchesLastTicker(run, SPOT_2024);
  });

  test("USD-M: a dropped event breaks pu continuity and the book resyncs", async () => {
    const run = await runCollector({
      capture: USDM_2024,
      market: "usdm",
      symbols: ["BTCUSDT"],
      venue: { drop: [wsIndexOfDepthEvent(USDM_2024, 200)] },
    });
    const c = run.client.normalizer!.counters;
    expect(c.gaps).toBe(1);
    expect(c.syncs).toBe(2);
    expect(c.applied).toBeGreaterThanOrEqual(569);
    expect(c.staleSnapshots).toBe(0);
    expectFinalTopMatchesLastTicker(run, USDM_2024);
  });

  test("a rate-limited REST answer (429 + Retry-After) is waited out, then the book syncs", async () => {
    const run = await runCollector({
      capture: SPOT_2024,
      market: "spot",
      symbols: ["BTCUSDT"],
      venue: { restFailures: 1, restFailureStatus: 429 },
    });
    expect(run.client.rest.rateLimited).toBe(1);
    expect(run.client.budget.waits).toBeGreaterThan(0);
    expect(run.client.normalizer!.counters.applied).toBe(895);
  });
});
