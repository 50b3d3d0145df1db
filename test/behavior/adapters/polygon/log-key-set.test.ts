import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { LogKeySet } from "../../../../src/behavior/adapters/polygon/log-key-set.ts";

/**
 * The collector's de-duplication table against a reference: a Set of "block:index" strings with an arrival-order
 * list, evicted by the same rule (oldest first while the block is below the bound). Random adds (blocks rising, as
 * logs arrive), deletes (reorgs), lookups and evictions, with the default hash, with every key forced onto one slot,
 * and with two slots for all, from a 4-slot table (so it grows under the operations).
 */

type Op =
  | { op: "add"; block: number; index: number }
  | { op: "delete"; back: number; index: number }
  | { op: "has"; back: number; index: number }
  | { op: "evict"; window: number };

const ops = fc.array(
  fc.oneof(
    { arbitrary: fc.record({ op: fc.constant("add" as const), block: fc.nat(3), index: fc.nat(40) }), weight: 6 },
    { arbitrary: fc.record({ op: fc.constant("delete" as const), back: fc.nat(6), index: fc.nat(40) }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant("has" as const), back: fc.nat(6), index: fc.nat(40) }), weight: 2 },
    { arbitrary: fc.record({ op: fc.constant("evict" as const), window: fc.nat(8) }), weight: 1 },
  ),
  { maxLength: 400 },
);

function run(list: Op[], make: () => LogKeySet): void {
  const set = make();
  const ref = new Set<string>();
  const order: [number, number][] = [];
  // blocks rise by the generated step from a base near 2^32 (the top of the supported range)
  let block = 0xffffff00;
  for (const o of list) {
    if (o.op === "add") {
      block = Math.min(0xffffffff, block + o.block);
      const k = `${block}:${o.index}`;
      const fresh = !ref.has(k);
      if (fresh) {
        ref.add(k);
        order.push([block, o.index]);
      }
      expect(set.add(block, o.index)).toBe(fresh);
    } else if (o.op === "delete") {
      const b = block - o.back;
      expect(set.delete(b, o.index)).toBe(ref.delete(`${b}:${o.index}`));
    } else if (o.op === "has") {
      const b = block - o.back;
      expect(set.has(b, o.index)).toBe(ref.has(`${b}:${o.index}`));
    } else {
      const below = block - o.window;
      while (order.length > 0 && order[0][0] < below) {
        const [b, i] = order.shift()!;
        ref.delete(`${b}:${i}`);
      }
      set.evictBelow(below);
    }
    expect(set.size).toBe(ref.size);
  }
  for (const k of ref) {
    const [b, i] = k.split(":").map(Number);
    expect(set.has(b, i)).toBe(true);
  }
}

describe("LogKeySet (the de-duplication window)", () => {
  const runs = Number(process.env.AP_FUZZ_RUNS ?? 300);
  test("random adds, deletes, lookups and evictions: the same answers as a reference Set (default hash)", () => {
    fc.assert(
      fc.property(ops, (list) => run(list, () => new LogKeySet(2))),
      { numRuns: runs },
    );
  });

  test("every key on one slot (all hashes collide): still exact", () => {
    fc.assert(
      fc.property(ops, (list) => run(list, () => new LogKeySet(2, () => 0))),
      { numRuns: runs },
    );
  });

  test("two slots for all keys, by parity of block + index: probe runs that wrap and interleave", () => {
    fc.assert(
      fc.property(ops, (list) => run(list, () => new LogKeySet(2, (b, i) => (b + i) & 1))),
      { numRuns: runs },
    );
  });

  test("a day of keys: 200k adds over 40k blocks, a 1000-block window: size stays the window's", () => {
    const set = new LogKeySet();
    let peak = 0;
    for (let b = 0; b < 40_000; b++) {
      for (let i = 0; i < 5; i++) expect(set.add(50_000_000 + b, i * 7)).toBe(true);
      expect(set.add(50_000_000 + b, 0)).toBe(false);
      if ((b & 255) === 0) set.evictBelow(50_000_000 + b - 1000);
      peak = Math.max(peak, set.size);
    }
    expect(peak).toBeLessThanOrEqual(5 * (1000 + 256 + 1));
    expect(set.has(50_000_000 + 39_999, 28)).toBe(true);
    expect(set.has(50_000_000, 0)).toBe(false);
  });
});
