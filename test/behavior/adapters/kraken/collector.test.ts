import { describe, expect, test } from "bun:test";
import { krakenBookChecksum } from "../../../../src/behavior/adapters/kraken/checksum.ts";
import { KRAKEN_DEMO_PAIRS, krakenDemoVenueOptions } from "../../../../src/behavior/venues/kraken-venue.ts";
import type { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { TlvType } from "../../../../src/data/tlv-layouts.ts";
import {
  consumerBooks,
  FIXTURES,
  PAIRS_2021,
  type Published,
  startRun,
  V1_ASSET_PAIRS,
  V1_BOOK10,
  V1_BOOK1000,
  V1_TRADES,
  V2_BOOK10,
  V2_INSTRUMENTS,
} from "./harness.ts";

const ofType = (frames: Published[], type: number): Published[] => frames.filter((f) => f.type === type);

describe("Kraken collector against the replay venue (real WebSocket)", () => {
  test("v1 book-1000, 10 pairs: 4269/4269 update checksums verify", async () => {
    await using run = await startRun({ capture: V1_BOOK1000 }, { symbols: PAIRS_2021, depth: 1000, trades: false });
    const h = run.client.handler;
    await run.client.ready;
    await run.client.until(() => h.counters.checksumsVerified + h.counters.checksumMismatches >= 4269);
    expect(h.counters.checksumsVerified).toBe(4269);
    expect(h.counters.checksumMismatches).toBe(0);
    expect(h.counters.bookSnapshots).toBe(10);
    expect(h.counters.bookUpdates).toBe(4269);
    expect(h.counters.parseErrors + h.counters.precisionErrors + h.counters.resyncs).toBe(0);
    expect([...h.books.values()].filter((b) => b.synced).length).toBe(10);
    // depth 1000 is deeper than one OrderBook TLV (ALPHAPULSE_MAX_ORDER_LEVELS 50): consumers hold the top 50
    // levels per side, from one OrderBook per snapshot and a BookDelta per message that changes that view
    expect(ofType(run.frames, TlvType.OrderBook).length).toBe(10);
    // 35 of the 4269 updates change only levels below the top 50: no frame (the next delta's ids cover them)
    expect(ofType(run.frames, TlvType.BookDelta).length).toBe(4269 - 35);
    expect(run.frameErrors).toBe(0);
    const consumer = consumerBooks(run.frames);
    for (const b of h.books.values()) {
      const mine = b.book;
      const theirs = consumer.get(b.id.toString())!;
      expect(theirs.bids).toEqual(mine.bids.slice(0, 50));
      expect(theirs.asks).toEqual(mine.asks.slice(0, 50));
    }
    const ids = new Set(run.frames.map((f) => (f.value.instrument as InstrumentId).toString()));
    expect(ids.has("kraken:spot:BTC/CHF")).toBe(true); // XBT normalised
    expect(ids.has("kraken:spot:ADA/BTC")).toBe(true);
  });

  test("v1 book-10 XBT/USD: 979/979 checksums verify and a consumer of the frames holds the same book", async () => {
    await using run = await startRun({ capture: V1_BOOK10 }, { symbols: ["XBT/USD"], depth: 10, trades: false });
    const h = run.client.handler;
    await run.client.until(() => h.counters.checksumsVerified + h.counters.checksumMismatches >= 979);
    expect(h.counters.checksumsVerified).toBe(979);
    expect(h.counters.checksumMismatches).toBe(0);
    expect(h.counters.heartbeats).toBe(152);
    expect(ofType(run.frames, TlvType.OrderBook).length).toBe(1);
    const deltas = ofType(run.frames, TlvType.BookDelta);
    expect(deltas.length).toBe(979);
    // update ids: the per-book message counter (Kraken has no book sequence), 1 = the snapshot
    expect(deltas[0].value.firstUpdateId).toBe(2n);
    expect(deltas.at(-1)!.value.lastUpdateId).toBe(980n);
    const mine = h.books.get("XBT/USD")!;
    const theirs = consumerBooks(run.frames).get("kraken:spot:BTC/USD")!;
    expect(theirs.bids).toEqual(mine.book.bids);
    expect(theirs.asks).toEqual(mine.book.asks);
    expect(krakenBookChecksum(theirs, 5, 8)).toBe(mine.lastChecksum);
  });

  test("v2 book-10 BTC/USD with the instrument channel: 510/510 checksums verify (snapshot included)", async () => {
    await using run = await startRun(
      { capture: V2_BOOK10, instrumentSnapshot: V2_INSTRUMENTS },
      { symbols: ["BTC/USD"], depth: 10 },
    );
    expect(run.client.api).toBe("v2");
    const h = run.client.handler;
    await run.client.ready;
    await run.client.until(() => h.counters.checksumsVerified + h.counters.checksumMismatches >= 510);
    expect(h.counters.checksumsVerified).toBe(510);
    expect(h.counters.checksumMismatches).toBe(0);
    const meta = ofType(run.frames, TlvType.InstrumentMeta);
    expect(meta.length).toBe(1);
    expect(meta[0].value).toMatchObject({
      priceDecimals: 1,
      sizeDecimals: 8,
      status: 1,
      tickSize: 10000000n,
      minSize: 10000n,
    });
    expect(ofType(run.frames, TlvType.BookDelta).length).toBe(509);
    const snap = ofType(run.frames, TlvType.OrderBook)[0].value;
    expect(snap.flags).toBe(1);
    expect((snap.bids as { price: bigint; size: bigint }[])[2]).toMatchObject({ price: 2942740000000n, size: 100000n }); // 29427.4 / "0.001"
    const theirs = consumerBooks(run.frames).get("kraken:spot:BTC/USD")!;
    expect(theirs.bids).toEqual(h.books.get("BTC/USD")!.book.bids);
    expect(theirs.asks).toEqual(h.books.get("BTC/USD")!.book.asks);
  });

  test("v1 trades: the 8 trade messages become 10 Trade frames with exact prices, sizes, times and taker sides", async () => {
    await using run = await startRun(
      { capture: V1_TRADES, assetPairs: V1_ASSET_PAIRS },
      { symbols: PAIRS_2021, depth: 10 },
    );
    const h = run.client.handler;
    await run.client.until(() => h.counters.trades >= 10);
    const trades: Record<string, unknown>[] = ofType(run.frames, TlvType.Trade).map((f) => ({
      ...f.value,
      instrument: (f.value.instrument as InstrumentId).toString(),
    }));
    expect(trades.length).toBe(10);
    expect(trades[0]).toEqual({
      instrument: "kraken:spot:XMR/USD",
      price: 35411000000n,
      size: 89594024n,
      exchangeTsNs: 1618678142557535000n,
      side: 2, // "s": the seller was the taker
    });
    expect(trades[1]).toMatchObject({ price: 35455000000n, size: 125690315n, side: 1 });
    expect(trades.at(-1)).toEqual({
      instrument: "kraken:spot:SC/EUR",
      price: 4304000n,
      size: 2000000000000n,
      exchangeTsNs: 1618678158135041000n,
      side: 1,
    });
    // AssetPairs (REST) -> InstrumentMeta for the 10 pairs, published before the socket opened
    const meta = ofType(run.frames, TlvType.InstrumentMeta);
    expect(meta.length).toBe(10);
    const xbtChf = meta.find((m) => (m.value.instrument as InstrumentId).toString() === "kraken:spot:BTC/CHF")!;
    expect(xbtChf.value).toMatchObject({ priceDecimals: 1, sizeDecimals: 8, tickSize: 10000000n, minSize: 20000n });
  });

  test("a refused subscription (unknown pair) still lets the collector become ready; the others work", async () => {
    await using run = await startRun(
      { capture: V1_BOOK10, refuse: ["FOO/BAR"] },
      { symbols: ["XBT/USD", "FOO/BAR"], trades: false },
    );
    await run.client.ready;
    expect([...run.client.refused]).toEqual(["book FOO/BAR"]);
    expect(run.client.handler.counters.subscribeErrors).toBe(1);
    const h = run.client.handler;
    await run.client.until(() => h.counters.checksumsVerified >= 979);
    expect(h.counters.checksumsVerified).toBe(979);
    expect(run.client.stats().refused_subscriptions).toEqual(["book FOO/BAR"]);
  });

  test("v2: a refused symbol is reported and does not block readiness", async () => {
    await using run = await startRun(
      { capture: V2_BOOK10, instrumentSnapshot: V2_INSTRUMENTS, refuse: ["FOO/BAR"] },
      { symbols: ["BTC/USD", "FOO/BAR"], trades: false },
    );
    await run.client.ready;
    expect(run.client.refused.has("book FOO/BAR")).toBe(true);
    const h = run.client.handler;
    await run.client.until(() => h.counters.checksumsVerified >= 510);
    expect(h.counters.checksumsVerified).toBe(510);
  });

  test("the demo venue: book-1000 and trades of the 2021 session merged, with AssetPairs", async () => {
    await using run = await startRun(
      krakenDemoVenueOptions(FIXTURES, { speed: Number.POSITIVE_INFINITY, loop: false }),
      {
        symbols: [...KRAKEN_DEMO_PAIRS],
        depth: 1000,
      },
    );
    const h = run.client.handler;
    await run.client.ready;
    await run.client.until(() => h.counters.checksumsVerified >= 4269 && h.counters.trades >= 10);
    expect(h.counters.checksumsVerified).toBe(4269);
    expect(h.counters.checksumMismatches).toBe(0);
    expect(h.counters.trades).toBe(10);
    expect(h.counters.subscriptions).toBe(20);
    expect(ofType(run.frames, TlvType.InstrumentMeta).length).toBe(10);
  });
});
