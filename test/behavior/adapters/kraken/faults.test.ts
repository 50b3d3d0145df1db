import { describe, expect, test } from "bun:test";
import { krakenBookChecksum } from "../../../../src/behavior/adapters/kraken/checksum.ts";
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

type Run = Awaited<ReturnType<typeof startRun>>;

/** Kraken's checksum of the last recorded update of `pair` (v1 "c", v2 "checksum"). */
function lastRecordedChecksum(records: readonly { raw: string }[], pair: string): number {
  for (let i = records.length - 1; i >= 0; i--) {
    const raw = records[i].raw;
    if (!raw.includes(`"${pair}"`)) continue;
    const m = /"c":"(\d+)"|"checksum":(\d+)/.exec(raw);
    if (m) return Number(m[1] ?? m[2]);
  }
  throw new Error(`no checksum for ${pair}`);
}

/** Resolves once the venue has played the whole capture, every book is synced and the client has read it all. */
async function drained(run: Run): Promise<void> {
  const h = run.client.handler;
  await run.client.until(
    () =>
      run.venue.stats.completed >= 1 &&
      [...h.books.values()].every((b) => b.synced) &&
      h.counters.messages === run.venue.stats.sent,
  );
}

/**
 * A rebuild by resubscription: one mismatch, one resync, one unsubscribe/subscribe, one venue snapshot, no
 * reconnect; every recorded checksummed message is accounted for (verified, the mismatch, skipped while the book
 * waited for its snapshot, muted by the venue while unsubscribed, or lost to the fault); the final book is Kraken's.
 */
async function expectRebuild(
  run: Run,
  opts: { checksummed: number; lost: number; symbol: string; records: readonly { raw: string }[] },
): Promise<void> {
  await drained(run);
  const c = run.client.handler.counters;
  expect(c.checksumMismatches).toBe(1);
  expect(c.resyncs).toBe(1);
  expect(run.client.extra.resubscribes).toBe(1);
  expect(run.client.extra.forcedReconnects).toBe(0);
  expect(run.client.socket!.counters.reconnects).toBe(0);
  expect(run.venue.stats.snapshots).toBe(1);
  expect(c.checksumsVerified + 1 + c.skippedWhileStale + run.venue.stats.muted + opts.lost).toBe(opts.checksummed);
  const b = run.client.handler.books.get(opts.symbol)!;
  expect(krakenBookChecksum(b.book, b.priceDecimals, b.qtyDecimals)).toBe(
    lastRecordedChecksum(opts.records, opts.symbol),
  );
}

/** The consumer's book (from frames) equals the collector's. */
function expectConsumerBookCorrect(run: Run, symbol: string, id: string): void {
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
    await expectRebuild(run, { checksummed: 979, lost: 0, symbol: "XBT/USD", records: v1Records });
    expect(run.client.handler.books.get("XBT/USD")!.checksumMismatches).toBe(1);
    expect(run.venue.stats.corrupted).toBe(1);
    // update 100 (update id 101: the snapshot is 1) carried the corrupted checksum
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
    await expectRebuild(run, { checksummed: 979, lost: 1, symbol: "XBT/USD", records: v1Records });
    expect(run.venue.stats.dropped).toBe(1);
    // updates 0..200 verify (ids 2..202; the snapshot is 1); 201 is lost; 202, received as id 203, no longer agrees
    expect(invalidations(run.frames)).toEqual([{ id: BTC, reason: 1, seq: 203n }]);
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
    await expectRebuild(run, { checksummed: 979, lost: 1, symbol: "XBT/USD", records: v1Records });
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
    await expectRebuild(run, { checksummed: 510, lost: 0, symbol: "BTC/USD", records });
    expect(invalidations(run.frames)).toEqual([{ id: BTC, reason: 1, seq: 52n }]);
    expectConsumerBookCorrect(run, "BTC/USD", BTC);
  });

  test("v1 10 pairs: one pair's mismatch resubscribes that pair alone; the other nine never stop", async () => {
    const records = loadCaptureRecords(V1_BOOK1000).filter((r) => r.kind === "ws");
    const at = nthRecord(records, (raw) => isV1BookUpdate(raw) && raw.endsWith('"ETH/CHF"]'), 10);
    await using run = await startRun(
      { capture: V1_BOOK1000, faults: { corruptChecksum: [at] } },
      { symbols: PAIRS_2021, depth: 1000, trades: false },
    );
    await expectRebuild(run, { checksummed: 4269, lost: 0, symbol: "ETH/CHF", records });
    expect(invalidations(run.frames).map((i) => [i.id, i.reason])).toEqual([["kraken:spot:ETH/CHF", 1]]);
    expect(run.client.handler.counters.bookSnapshots).toBe(11);
    for (const b of run.client.handler.books.values()) {
      expect(b.synced).toBe(true);
      expect(krakenBookChecksum(b.book, b.priceDecimals, b.qtyDecimals)).toBe(lastRecordedChecksum(records, b.symbol));
      if (b.symbol !== "ETH/CHF") expect(b.checksumMismatches).toBe(0);
    }
  });

  test("no snapshot after the resubscription: the collector falls back to reconnecting the session", async () => {
    const at = nthRecord(v1Records, isV1BookUpdate, 99);
    await using run = await startRun(
      { capture: V1_BOOK10, faults: { corruptChecksum: [at], noResubscribeSnapshot: true } },
      { symbols: ["XBT/USD"], trades: false, staleAfterMs: 100 },
    );
    const h = run.client.handler;
    await run.client.until(() => run.client.extra.forcedReconnects === 1 && h.counters.checksumsVerified >= 99 + 979);
    expect(h.counters.checksumsVerified).toBe(99 + 979); // the new session replays the capture from its snapshot
    expect(h.counters.checksumMismatches).toBe(1);
    expect(run.client.extra.resubscribes).toBe(1);
    expect(run.client.socket!.counters.reconnects).toBe(1);
    expect(run.venue.stats.snapshots).toBe(0);
    expectConsumerBookCorrect(run, "XBT/USD", BTC);
  });
});
