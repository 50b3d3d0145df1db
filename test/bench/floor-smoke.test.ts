import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchFloor } from "../../bench/floor.ts";

// A smoke run of the floor benchmark (raw socket chain in 5 processes, write cost, clock reads, idle RSS). It asserts
// the run is sound — every record came through the raw chain, one clock across processes, JSON written — never on
// timings.
describe("benchFloor", () => {
  test("a quick run measures every part and writes its JSON", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "ap-bench-floor-test-"));
    try {
      const r = await benchFloor({ quick: true, outDir, quiet: true });
      expect(r.results.rawChainUs.at10k.samples).toBe(4000); // 6000 records, 2000 warm-up
      expect(r.results.rawChainUs.at1k.samples).toBe(1200);
      expect(r.results.rawChainUs.at10k.p50).toBeGreaterThan(0); // send before receive across processes
      expect(r.results.writeCostUs.samples).toBe(400);
      for (const ns of Object.values(r.results.clockReadNs)) expect(ns).toBeGreaterThan(0);
      for (const v of Object.values(r.results.idleRssMB)) {
        expect(v.rssMB).toBeGreaterThan(0);
        expect(v.fileMB + v.anonMB).toBeLessThanOrEqual(v.rssMB + 0.2);
      }
      const written = JSON.parse(readFileSync(join(outDir, "floor-latest.json"), "utf8"));
      expect(written.results.rawChainUs.at10k.samples).toBe(4000);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 60_000);
});
