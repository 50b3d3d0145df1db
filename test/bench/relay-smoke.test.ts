import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchRelay } from "../../bench/relay.ts";

// A smoke run of the relay benchmark: real relay (and nats-server, when installed) processes, short rounds. It
// asserts the run is sound — every frame arrived, in order, and the JSON was written — never on timings.
describe("benchRelay", () => {
  test("a quick run delivers every frame in both scenarios and writes its JSON", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "ap-bench-relay-test-"));
    try {
      const r = await benchRelay({ quick: true, outDir, quiet: true });
      const systems = r.nats.available ? ["ap", "nats"] : ["ap"];
      expect(r.measurements.length).toBe(systems.length * 4); // 2 scenarios x (throughput, latency)
      for (const m of r.measurements) {
        expect({
          what: `${m.system} ${m.scenario} ${m.mode}`,
          sequenceErrors: m.sequenceErrors,
          bad: m.badFrames,
        }).toEqual({ what: `${m.system} ${m.scenario} ${m.mode}`, sequenceErrors: 0, bad: 0 });
        expect(m.received).toEqual(new Array(m.scenario === "fanout" ? 3 : 1).fill(m.frames));
        expect(m.msgPerSec).toBeGreaterThan(0);
        if (m.mode === "latency") {
          expect(m.latencyUs?.samples).toBeGreaterThan(0);
          expect(m.latencyUs!.p50).toBeGreaterThan(0); // one clock across processes: never negative
          expect(m.latencyUs!.p99).toBeGreaterThanOrEqual(m.latencyUs!.p50);
        }
      }
      for (const scenario of ["fanout", "chain"] as const) {
        for (const system of systems as ("ap" | "nats")[]) {
          expect(r.results[scenario][system]?.allFramesReceived).toBe(true);
        }
      }
      for (const label of ["relay", "relay 1", "relay 2"]) expect(r.rssMB[label].peakUnderLoad).toBeGreaterThan(0);

      expect(r.files.map((f) => f.slice(outDir.length + 1))).toEqual([
        expect.stringMatching(/^relay-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.json$/),
        "relay-latest.json",
      ]);
      for (const f of r.files) expect(existsSync(f)).toBe(true);
      const written = JSON.parse(readFileSync(join(outDir, "relay-latest.json"), "utf8"));
      expect(written.benchmark).toBe("relay");
      expect(written.measurements.length).toBe(r.measurements.length);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 30_000);
});
