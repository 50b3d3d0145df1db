import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { parseServiceLine } from "../../../../src/behavior/supervisor/service-report.ts";
import { BusClient, Role } from "../../../../src/behavior/transport/bus-client.ts";
import { startPolygonVenue } from "../../../../src/behavior/venues/polygon-venue.ts";
import { TlvType } from "../../../../src/data/tlv-layouts.ts";
import { Child, startRelay, tempDir, Until } from "../../relay/helpers.ts";
import { V3_DAY, V3_POOL } from "./helpers.ts";

const MAIN = join(import.meta.dir, "../../../../src/behavior/adapters/polygon/main.ts");

describe("collector-polygon service (main.ts)", () => {
  test("ready after subscribe, 3098 PoolSwap frames through the market-data relay, counters in stats, SIGTERM exits 0", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    const relay = await startRelay("market-data", socketPath);
    const venue = await startPolygonVenue({ logs: V3_DAY, speed: Number.POSITIVE_INFINITY });
    const until = new Until();
    let swaps = 0;
    let states = 0;
    const sub = new BusClient({
      socketPath,
      domain: 1,
      source: 91,
      role: Role.Subscriber,
      name: "test",
      onFrame: (_frame, parser) => {
        for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
          if (parser.tlvType === TlvType.PoolSwap) swaps++;
          if (parser.tlvType === TlvType.PoolState) states++;
        }
        until.check();
      },
    });
    await sub.ready();
    const collector = new Child(
      [MAIN, "--url", venue.url, "--relay", socketPath, "--pools", V3_POOL, "--max-rps", "1000"],
      { AP_STATS_INTERVAL_MS: "50" },
    );
    try {
      const [ready] = await collector.waitStdout(/^ready .+$/m);
      expect(ready).toMatch(/^ready polygon: 1 pools, head 50351874, subscription 0x/);
      await until.until(() => swaps === 3098 && states === 1);
      await collector.waitStdout(/"swaps":3098/);
      const stats = collector.stdout
        .split("\n")
        .map(parseServiceLine)
        .filter((l) => l.kind === "stats")
        .at(-1)!;
      expect(stats.kind).toBe("stats");
      if (stats.kind === "stats") {
        expect(stats.stats).toMatchObject({
          state: "open",
          pools: 1,
          mints: 107,
          burns: 141,
          gaps: 0,
          decodeErrors: 0,
        });
      }
      collector.kill("SIGTERM");
      expect(await collector.proc.exited).toBe(0);
    } finally {
      collector.kill();
      sub.close();
      venue.stop();
      relay.kill("SIGTERM");
      await relay.proc.exited;
    }
  });

  test("refuses a bad --url with one line and exit 1", async () => {
    const c = new Child([MAIN, "--url", "http://x", "--relay", "/tmp/none.sock"]);
    expect(await c.proc.exited).toBe(1);
    await c.waitStderr(/--url must be a ws:\/\/ or wss:\/\/ URL/);
  });
});
