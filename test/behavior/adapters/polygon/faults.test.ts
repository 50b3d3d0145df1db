import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PolygonCollectorError } from "../../../../src/behavior/adapters/polygon/errors.ts";
import { expectedV3Swap, FIXTURES, Harness, pick, readLogs, SWAP_KEYS, SWAP_V3, V3_DAY, V3_POOL } from "./helpers.ts";

const day = readLogs(V3_DAY);
const daySwaps = day.filter((l) => l.topics[0] === SWAP_V3);
const key = (t: Record<string, unknown>) => `${t.blockNumber}:${t.logIndex}`;

describe("PolygonDataClient faults", () => {
  test("a reorg's removed log becomes a correction (removed flag), a StateInvalidation and a fresh PoolState", async () => {
    const victim = daySwaps[10];
    using h = await Harness.start({ logs: V3_DAY, faults: { reorgLogs: [day.indexOf(victim)] } }, { pools: [V3_POOL] });
    await h.until(() => h.client.counters.corrections === 1 && h.of("PoolSwap").length === 3100);
    await h.until(() => h.of("PoolState").length === 2);
    const swaps = h.of("PoolSwap");
    const removed = swaps.filter((s) => ((s.flags as number) & 1) === 1);
    expect(removed.length).toBe(1);
    // the correction repeats the event exactly, with flags bit 0 (removed) besides bit 1 (V3)
    expect(removed[0].flags).toBe(3);
    expect(pick(removed[0], SWAP_KEYS)).toEqual(expectedV3Swap(victim));
    const at = h.tlvs.indexOf(removed[0]);
    expect(h.tlvs[at - 1].type).toBe("PoolSwap"); // the original
    expect(pick(h.tlvs[at + 1], ["type", "reason", "venueSequence"])).toEqual({
      type: "StateInvalidation",
      reason: 4,
      venueSequence: BigInt(victim.blockNumber),
    });
    // net effect per (block, logIndex): every swap exactly once, the re-included one too
    const net = new Map<string, number>();
    for (const s of swaps) net.set(key(s), (net.get(key(s)) ?? 0) + (((s.flags as number) & 1) === 1 ? -1 : 1));
    expect(net.size).toBe(3098);
    expect([...net.values()].every((n) => n === 1)).toBe(true);
    const c = h.client.stats();
    expect([c.corrections, c.removedUnseen, c.duplicates, c.swaps]).toEqual([1, 0, 0, 3099]);
  });

  test("a server that closes: reconnect, resubscribe, backfill the missed blocks; no swap lost or doubled", async () => {
    using h = await Harness.start({ logs: V3_DAY, faults: { closeAfterMessages: 1000 } }, { pools: [V3_POOL] });
    await h.client.ready();
    await h.until(
      () => h.client.counters.gaps === 1 && h.of("PoolSwap").length >= 3098 && h.client.counters.state === "open",
    );
    await h.venue.done;
    // whatever the race between playback and reconnect, the published swaps are the day's, once each, in order
    await h.until(
      () => h.of("PoolSwap").length === 3098 && h.of("PoolMint").length === 107 && h.of("PoolBurn").length === 141,
    );
    const swaps = h.of("PoolSwap");
    expect(new Set(swaps.map(key)).size).toBe(3098);
    expect(swaps.map((s) => pick(s, SWAP_KEYS))).toEqual(daySwaps.map(expectedV3Swap));
    const c = h.client.stats();
    expect(h.venue.stats.closedByFault).toBe(1);
    expect(h.venue.stats.connections).toBe(2);
    expect(c.reconnects).toBe(1);
    expect(c.sessions).toBe(2);
    expect(c.backfills).toBe(1);
    expect(c.backfilledLogs).toBeGreaterThan(0);
    expect(c.snapshots).toBe(1); // metadata and snapshot are not read again after a reconnect
  });

  test("a dead connection (open but silent) is detected by the stale timeout, then reconnect and backfill", async () => {
    using h = await Harness.start(
      { logs: V3_DAY, faults: { silentAfterMessages: 500 } },
      { pools: [V3_POOL], staleAfterMs: 300 },
    );
    await h.client.ready();
    await h.until(() => h.client.counters.gaps === 1 && h.client.counters.state === "open");
    await h.venue.done;
    await h.until(() => h.of("PoolSwap").length === 3098 && h.of("PoolBurn").length === 141);
    expect(h.of("PoolSwap").map((s) => pick(s, SWAP_KEYS))).toEqual(daySwaps.map(expectedV3Swap));
    const c = h.client.stats();
    expect([c.staleTimeouts, c.reconnects, c.backfills]).toEqual([1, 1, 1]);
  });

  test("a corrupted log is counted as a decode error and skipped; the collector carries on", async () => {
    const victim = daySwaps[100];
    using h = await Harness.start(
      { logs: V3_DAY, faults: { corruptLogs: [day.indexOf(victim)] } },
      { pools: [V3_POOL] },
    );
    await h.until(() => h.of("PoolSwap").length === 3097 && h.of("PoolBurn").length === 141);
    await h.venue.done;
    expect(h.client.counters.decodeErrors).toBe(1);
    const err = h.problems.find((p) => p instanceof PolygonCollectorError) as PolygonCollectorError;
    expect(err.code).toBe("BadLog");
    expect(err.facts.log_index).toBe(victim.logIndex);
    expect(err.message).toMatchInlineSnapshot(`"cannot decode pool log: data is not 0x and whole 32-byte words"`);
    expect(h.of("PoolSwap").map((s) => pick(s, SWAP_KEYS))).toEqual(
      daySwaps.filter((s) => s !== victim).map(expectedV3Swap),
    );
  });

  test("pools that fail the CREATE2 check or come from an unknown factory are refused; the others are followed", async () => {
    const dir = mkdtempSync("/tmp/ap-polygon-");
    try {
      const table = JSON.parse(readFileSync(join(FIXTURES, "pools.json"), "utf8"));
      const qs = table.pools.find(
        (p: { address: string }) => p.address === "0x4a35582a710e1f4b2030a3f826da20bfb6703c09",
      );
      table.pools.push({ ...qs, address: "0x1111111111111111111111111111111111111111" }); // right factory, wrong address
      table.pools.push({
        ...qs,
        address: "0x2222222222222222222222222222222222222222",
        factory: "0x000000000000000000000000000000000000dead",
      });
      const poolsFile = join(dir, "pools.json");
      writeFileSync(poolsFile, JSON.stringify(table));
      using h = await Harness.start(
        { logs: V3_DAY, poolsFile },
        {
          pools: [V3_POOL, "0x1111111111111111111111111111111111111111", "0x2222222222222222222222222222222222222222"],
        },
      );
      await h.client.ready();
      const codes = h.problems.map((p) => (p instanceof PolygonCollectorError ? p.code : String(p))).sort();
      expect(codes).toEqual(["PoolAddressMismatch", "UnknownFactory"]);
      expect([h.client.counters.pools, h.client.counters.poolsRefused]).toEqual([1, 2]);
      await h.until(() => h.of("PoolSwap").length === 3098);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
