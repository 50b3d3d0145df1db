import { describe, expect, test } from "bun:test";
import { loadCaptureRecords } from "../../../../src/behavior/venues/capture-records.ts";
import type { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { TlvType } from "../../../../src/data/tlv-layouts.ts";
import {
  consumerBooks,
  isV1BookUpdate,
  isV2BookUpdate,
  nthRecord,
  PAIRS_2021,
  type Published,
  startRun,
  V1_BOOK10,
  V1_BOOK1000,
  V2_BOOK10,
  V2_INSTRUMENTS,
} from "./harness.ts";

const invalidations = (frames: Published[]) =>
  frames
    .filter((f) => f.type === TlvType.StateInvalidation)
    .map((f) => ({
      id: (f.value.instrument as InstrumentId).toString(),
      reason: f.value.reason,
      seq: f.value.venueSequence,
    }));

const v1Records = loadCaptureRecords(V1_BOOK10).filter((r) => r.kind === "ws");
const BTC = "kraken:spot:BTC/USD";

/** Waits for the first mismatch, then for every update of the next session to verify; returns the count before. */
async function expectRebuild(run: Awaited<ReturnType<typeof startRun>>, updates: number): Promise<number> {
  const h = run.client.handler;
  await run.client.until(() => h.counters.checksumMismatches >= 1);
  const before = h.counters.checksumsVerified;
  await run.client.until(() => h.counters.checksumsVerified >= before + updates);
  expect(h.counters.checksumsVerified).toBe(before + updates);
  expect(h.counters.checksumMismatches).toBe(1);
  expect(h.counters.resyncs).toBe(1);
  expect(run.client.socket!.counters.reconnects).toBe(1);
  return before;
}

/** The consumer's book (from frames) equals the collector's, which agrees with Kraken's last checksum. */
function expectConsumerBookCorrect(run: Awaited<ReturnType<typeof startRun>>, symbol: string, id: string): void {
  const b = run.client.handler.books.get(symbol)!;
  expect(b.synced).toBe(true);
  const theirs = consumerBooks(run.frames).get(id)!;
  expect(theirs.bids).toEqual(b.book.bids);
  expect(theirs.asks).toEqual(b.book.asks);
}

describe("Kraken collector faults (replay venue fault injection, real WebSocket)", () => {
  test("a corrupted checksum: StateInvalidation reason 1, resubscribe, rebuild from a fresh snapshot", async () => {
    const at = nthRecord(v1Records, isV1BookUpdate, 99);
    await using run = await startRun(
      { capture: V1_BOOK10, faults: { corruptChecksum: [at] } },
      { symbols: ["XBT/USD"], trades: false },
    );
    const before = await expectRebuild(run, 979);
    expect(before).toBe(99); // updates 0..98 verified, the 100th carried the corrupted checksum
    expect(run.venue.stats.corrupted).toBe(1);
    expect(invalidations(run.frames)).toEqual([{ id: BTC, reason: 1, seq: 101n }]);
    expect(run.frames.filter((f) => f.type === TlvType.OrderBook).length).toBe(2);
    expectConsumerBookCorrect(run, "XBT/USD", BTC);
  });

  test("a dropped update (a gap Kraken does not number): the next checksum fails, the book is rebuilt", async () => {
    const at = nthRecord(v1Records, isV1BookUpdate, 201);
    await using run = await startRun(
      { capture: V1_BOOK10, faults: { drop: [at] } },
      { symbols: ["XBT/USD"], trades: false },
    );
    const before = await expectRebuild(run, 979);
    expect(before).toBe(201); // the update after the dropped one is the first that no longer agrees
    expect(run.venue.stats.dropped).toBe(1);
    expect(invalidations(run.frames).map((i) => i.reason)).toEqual([1]);
    expectConsumerBookCorrect(run, "XBT/USD", BTC);
  });

  test("a dropped update that the next one overwrites (absolute sizes) heals: every later checksum verifies", async () => {
    // update 200 sets bid 27119.9 to 22.57337657; update 201 sets the same level again
    const at = nthRecord(v1Records, isV1BookUpdate, 200);
    await using run = await startRun(
      { capture: V1_BOOK10, faults: { drop: [at] } },
      { symbols: ["XBT/USD"], trades: false },
    );
    const h = run.client.handler;
    await run.client.until(() => h.counters.checksumsVerified + h.counters.checksumMismatches >= 978);
    expect(h.counters.checksumsVerified).toBe(978);
    expect(h.counters.checksumMismatches).toBe(0);
    expect(run.client.socket!.counters.reconnects).toBe(0);
    expectConsumerBookCorrect(run, "XBT/USD", BTC);
  });

  test("garbled input never crashes the collector: a garbled heartbeat is counted, a garbled update rebuilds", async () => {
    const heartbeat = v1Records.findIndex((r) => r.raw === '{"event":"heartbeat"}');
    const update = nthRecord(v1Records, isV1BookUpdate, 300);
    await using run = await startRun(
      { capture: V1_BOOK10, faults: { garble: [heartbeat, update] } },
      { symbols: ["XBT/USD"], trades: false },
    );
    await expectRebuild(run, 979);
    expect(run.client.handler.counters.parseErrors).toBe(2);
    expectConsumerBookCorrect(run, "XBT/USD", BTC);
  });

  test("the venue closes the connection: books invalidated (reason 3), reconnect, resubscribe, correct book", async () => {
    const at = nthRecord(v1Records, isV1BookUpdate, 500);
    await using run = await startRun(
      { capture: V1_BOOK10, faults: { closeAfter: at } },
      { symbols: ["XBT/USD"], trades: false },
    );
    const h = run.client.handler;
    await run.client.until(() => h.counters.checksumsVerified >= 501 + 979);
    expect(h.counters.checksumsVerified).toBe(501 + 979);
    expect(h.counters.checksumMismatches).toBe(0);
    expect(run.venue.stats.closes).toBe(1);
    expect(run.client.socket!.counters.reconnects).toBe(1);
    expect(invalidations(run.frames)).toEqual([{ id: BTC, reason: 3, seq: 502n }]);
    expectConsumerBookCorrect(run, "XBT/USD", BTC);
    // the rebuilt book is the one of a clean run: its checksum is Kraken's last one
    const last = v1Records.filter((r) => isV1BookUpdate(r.raw)).at(-1)!.raw;
    expect(h.books.get("XBT/USD")!.lastChecksum).toBe(Number(/"c":"(\d+)"/.exec(last)![1]));
  });

  test("a dead link (silent, no pongs, never closed) is detected by the stale timer and reconnected", async () => {
    const at = nthRecord(v1Records, isV1BookUpdate, 300);
    await using run = await startRun(
      { capture: V1_BOOK10, faults: { stallAfter: at } },
      { symbols: ["XBT/USD"], trades: false, staleAfterMs: 150, pingIntervalMs: 50 },
    );
    const h = run.client.handler;
    await run.client.until(() => h.counters.checksumsVerified >= 301 + 979);
    expect(h.counters.checksumsVerified).toBe(301 + 979);
    expect(run.client.socket!.counters.staleTimeouts).toBe(1);
    expect(invalidations(run.frames).map((i) => i.reason)).toEqual([3]);
    expectConsumerBookCorrect(run, "XBT/USD", BTC);
  });

  test("v2: a corrupted checksum rebuilds the BTC/USD book from a new snapshot", async () => {
    const records = loadCaptureRecords(V2_BOOK10);
    const at = nthRecord(records, isV2BookUpdate, 50);
    await using run = await startRun(
      { capture: V2_BOOK10, instrumentSnapshot: V2_INSTRUMENTS, faults: { corruptChecksum: [at] } },
      { symbols: ["BTC/USD"], trades: false },
    );
    const before = await expectRebuild(run, 510);
    expect(before).toBe(51); // the snapshot and 50 updates
    expect(invalidations(run.frames).map((i) => i.reason)).toEqual([1]);
    expectConsumerBookCorrect(run, "BTC/USD", BTC);
  });

  test("v1 10 pairs: one pair's mismatch resubscribes the session; every pair is rebuilt and verifies", async () => {
    const records = loadCaptureRecords(V1_BOOK1000).filter((r) => r.kind === "ws");
    const at = nthRecord(records, (raw) => isV1BookUpdate(raw) && raw.endsWith('"ETH/CHF"]'), 10);
    await using run = await startRun(
      { capture: V1_BOOK1000, faults: { corruptChecksum: [at] } },
      { symbols: PAIRS_2021, depth: 1000, trades: false },
    );
    await expectRebuild(run, 4269);
    const inv = invalidations(run.frames);
    expect(inv.filter((i) => i.reason === 1).map((i) => i.id)).toEqual(["kraken:spot:ETH/CHF"]);
    expect(inv.filter((i) => i.reason === 3).length).toBe(9); // the others, when the session was dropped
    expect(run.client.handler.counters.bookSnapshots).toBe(20);
    for (const b of run.client.handler.books.values()) expect(b.synced).toBe(true);
  });
});
