import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { RelayStats } from "../../../src/behavior/relay/relay.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import {
  publishWindowed,
  SequenceCheck,
  startRelay,
  stopRelay,
  TEST_FRAMES,
  tempDir,
  tradeBuilder,
} from "./helpers.ts";

describe("relay fan-out (market-data relay process)", () => {
  test(
    `delivers ${TEST_FRAMES} frames to 3 subscribers, each receives all in order`,
    async () => {
      using tmp = tempDir();
      const socketPath = join(tmp.dir, "md.sock");
      const relay = await startRelay("market-data", socketPath);
      const checks = [new SequenceCheck(), new SequenceCheck(), new SequenceCheck()];
      const subs = checks.map(
        (c, i) =>
          new BusClient({
            socketPath,
            domain: 1,
            source: 91,
            role: Role.Subscriber,
            name: `sub${i}`,
            onFrame: c.onFrame,
          }),
      );
      const pub = new BusClient({ socketPath, domain: 1, source: 2, role: Role.Publisher, name: "pub" });
      await Promise.all([...subs, pub].map((c) => c.ready()));

      const idle = await pub.requestStats<RelayStats>();
      console.log(`relay RSS idle: ${(idle.rssBytes / 2 ** 20).toFixed(1)} MiB`);
      const started = performance.now();
      const { next } = tradeBuilder();
      await publishWindowed(pub, next, TEST_FRAMES, checks);
      await Promise.all(checks.map((c) => c.reach(TEST_FRAMES)));
      const ms = performance.now() - started;
      console.log(
        `${TEST_FRAMES} frames x 3 subscribers in ${ms.toFixed(0)} ms (${((TEST_FRAMES / ms) * 1000).toFixed(0)} frames/s in)`,
      );

      for (const c of checks) {
        expect(c.errors).toEqual([]);
        expect(c.received).toBe(TEST_FRAMES);
      }
      const stats = await pub.requestStats<RelayStats>();
      console.log(`relay RSS after the run: ${(stats.rssBytes / 2 ** 20).toFixed(1)} MiB`);
      expect(stats).toMatchObject({ framesIn: TEST_FRAMES, framesOut: 3 * TEST_FRAMES, gaps: 0, subscribers: 3 });
      expect(await stopRelay(relay, [...subs, pub])).toBe(0);
    },
    60_000 + TEST_FRAMES / 10,
  ); // 1M frames by hand: up to 160 s
});
