import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchBridge } from "../../bench/bridge.ts";

// A smoke run of the bridge benchmark: a real nats-server, three relays, two bridges, short rounds. It asserts the run
// is sound — every frame arrived on every path, in order, the bridges account for all of them, and the JSON was
// written — never on timings.
describe("benchBridge", () => {
  test("a quick run delivers every frame on the local, nats and bridge paths and writes its JSON", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "ap-bench-bridge-test-"));
    try {
      const r = await benchBridge({ quick: true, outDir, quiet: true });
      expect(r.measurements.length).toBe(6); // 3 paths x (throughput, latency)
      for (const m of r.measurements) {
        const what = `${m.path} ${m.mode}`;
        expect({ what, received: m.received, sequenceErrors: m.sequenceErrors, bad: m.badFrames }).toEqual({
          what,
          received: m.frames,
          sequenceErrors: 0,
          bad: 0,
        });
        if (m.mode === "latency") expect(m.latencyUs?.samples).toBeGreaterThan(0);
      }
      const bridged = r.measurements.filter((m) => m.path === "bridge").reduce((n, m) => n + m.frames, 0);
      expect(r.bridgeStats.a.published).toBe(bridged);
      expect(r.bridgeStats.b.republished).toBe(bridged);
      expect(r.bridgeStats.b.missing).toBe(0);
      expect(r.allFramesArrived).toBe(true);
      for (const name of ["bridge A", "bridge B"]) expect(r.rss[name].peakUnderLoadMB).toBeGreaterThan(0);
      expect(r.targets.length).toBe(2);

      expect(r.files.map((f) => f.slice(outDir.length + 1))).toEqual([
        expect.stringMatching(/^bridge-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.json$/),
        "bridge-latest.json",
      ]);
      for (const f of r.files) expect(existsSync(f)).toBe(true);
      const written = JSON.parse(readFileSync(join(outDir, "bridge-latest.json"), "utf8"));
      expect(written.benchmark).toBe("bridge");
      expect(written.measurements.length).toBe(r.measurements.length);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 15_000);
});
