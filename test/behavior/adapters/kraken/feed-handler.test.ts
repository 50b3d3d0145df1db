import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { KrakenFeedHandler } from "../../../../src/behavior/adapters/kraken/feed-handler.ts";
import { checkedPublisher, fixture } from "./harness.ts";

function handler(api: "v1" | "v2") {
  const out: Record<string, unknown>[] = [];
  const publisher = checkedPublisher((type, value) => out.push({ type, ...value }));
  return { h: new KrakenFeedHandler({ api, depth: 10, publisher }), out };
}

describe("KrakenFeedHandler", () => {
  test("v2 trade (documentation sample, JSON numbers): exact prices from the literal text, taker side", () => {
    const doc = JSON.parse(readFileSync(fixture("v2-trade-doc-example.json"), "utf8")) as { snapshotMessage: unknown };
    // the sample's numbers print back to the same literals (0.5147, 6423.46326, 1136.19677815)
    const text = JSON.stringify(doc.snapshotMessage);
    expect(text).toContain('"qty":1136.19677815');
    const { h, out } = handler("v2");
    h.handle(text, 0n);
    expect(h.counters.trades).toBe(2);
    const trades: Record<string, unknown>[] = out.map((t) => ({ ...t, instrument: String(t.instrument) }));
    expect(trades).toEqual([
      {
        type: 1,
        instrument: "kraken:spot:MATIC/USD",
        price: 51470000n,
        size: 642346326000n,
        exchangeTsNs: 1695628116925533000n,
        side: 1,
      },
      {
        type: 1,
        instrument: "kraken:spot:MATIC/USD",
        price: 51470000n,
        size: 113619677815n,
        exchangeTsNs: 1695628176925603000n,
        side: 1,
      },
    ]);
  });

  test("a price with more than 8 decimals is refused and counted, never rounded", () => {
    const { h, out } = handler("v2");
    h.handle(
      '{"channel":"trade","type":"update","data":[{"symbol":"BTC/USD","side":"sell","price":0.123456789,"qty":1,"timestamp":"2023-09-25T07:48:36.925533Z"}]}',
      0n,
    );
    expect(h.counters.precisionErrors).toBe(1);
    expect(h.counters.trades).toBe(0);
    expect(out).toEqual([]);
  });

  test("bad input is counted and the handler carries on", () => {
    const { h } = handler("v1");
    for (const bad of ["", "nonsense", "[", "{", '[336,{"b":[["1.0"', '{"event":"heartbeat"', "[1,2,3]", "{}"])
      h.handle(bad, 0n);
    expect(h.counters.messages).toBe(8);
    expect(h.counters.parseErrors + h.counters.unknownMessages).toBe(8);
    h.handle('{"event":"heartbeat"}', 0n);
    expect(h.counters.heartbeats).toBe(1);
  });

  test("v1 updates before any snapshot are skipped, not applied", () => {
    const { h, out } = handler("v1");
    h.handle(
      '[336,{"b":[["27119.90000","13.54109952","1693415330.621700"]],"c":"3572756970"},"book-10","XBT/USD"]',
      0n,
    );
    expect(h.counters.skippedWhileStale).toBe(1);
    expect(out).toEqual([]);
  });
});

describe("KrakenFeedHandler v1 session messages read in place", () => {
  test("systemStatus and subscriptionStatus: venue status, channel id -> pair, book depth, subscription callback", () => {
    const { h } = handler("v1");
    h.handle('{"connectionID":18239578009413566319,"event":"systemStatus","status":"online","version":"1.8.3"}', 0n);
    expect(h.venueStatus).toBe("online");
    h.handle(
      '{"channelID":336,"channelName":"book-25","event":"subscriptionStatus","pair":"XBT/USD","status":"subscribed","subscription":{"depth":25,"name":"book"}}',
      0n,
    );
    expect(h.counters.subscriptions).toBe(1);
    expect(h.books.get("XBT/USD")!.depth).toBe(25);
    // the channel id now routes a snapshot to the pair whatever name closes the message
    h.handle('[336,{"as":[["5541.30000","2.50700000","1534614248.123678"]],"bs":[]},"book-25","XBT/USD"]', 0n);
    expect(h.counters.bookSnapshots).toBe(1);
    expect(h.books.get("XBT/USD")!.book.asks).toEqual([{ price: 554130000000n, size: 250700000n }]);
    // a refused subscription still takes the general path
    h.handle(
      '{"errorMessage":"Currency pair not supported","event":"subscriptionStatus","pair":"NOPE/USD","status":"error","subscription":{"name":"book"}}',
      0n,
    );
    expect(h.counters.subscribeErrors).toBe(1);
    expect(h.counters.parseErrors).toBe(0);
  });
});
