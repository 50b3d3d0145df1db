import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { benchPipeline } from "../../bench/pipeline.ts";

// A smoke run of the pipeline benchmark: real relays (with --trace) and the real flash-arbitrage process. It asserts
// the run is sound — every book update made its signal, the relay traces matched every signal, the parts are
// consistent — never on timings.
describe("benchPipeline", () => {
  test("a quick run matches every signal in both relays' traces and writes its JSON", async () => {
    const outDir = mkdtempSync(join(tmpdir(), "ap-bench-pipeline-test-"));
    try {
      const r = (await benchPipeline({ quick: true, outDir, quiet: true })) as {
        results: {
          rounds: {
            relayToRelay: { p50: number; samples: number };
            endToEnd: { p50: number; samples: number };
            parts: Record<string, { p50: number; samples: number }>;
            lost: number;
          }[];
        };
      };
      expect(r.results.rounds.length).toBe(1);
      const round = r.results.rounds[0];
      expect(round.lost).toBe(0);
      expect(round.relayToRelay.samples).toBe(1200); // 1500 frames, 300 warm-up
      expect(round.endToEnd.samples).toBe(1200);
      for (const part of ["marketDataRelay", "strategyLeg", "signalRelay"]) {
        expect(round.parts[part].samples).toBe(1200);
        expect(round.parts[part].p50).toBeGreaterThan(0); // one clock across processes: never negative
      }
      const written = JSON.parse(readFileSync(join(outDir, "pipeline-latest.json"), "utf8"));
      expect(written.results.tickToSignalUs.p50).toBe(round.relayToRelay.p50);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 60_000);
});
