import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { TransitTrace } from "../../../src/behavior/relay/transit-trace.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { monotonicClock } from "../../../src/behavior/transport/monotonic-clock.ts";
import { startRelay, stopRelay, tempDir, tradeBuilder, Until } from "./helpers.ts";

describe("relay transit trace (--trace)", () => {
  test("records every data frame's publisher, sequence, receive and send time on the machine's monotonic clock", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    const traceFile = join(tmp.dir, "md.trace");
    const relay = await startRelay("market-data", socketPath, ["--trace", traceFile]);
    const clock = monotonicClock(); // this process's reading of the same clock
    const N = 200;
    const sentAt: number[] = [];
    const receivedAt: number[] = [];
    const arrived = new Until();
    const sub = new BusClient({
      socketPath,
      domain: 1,
      source: 91,
      role: Role.Subscriber,
      onFrame: (_f, p) => {
        receivedAt[p.sequenceNumber] = clock();
        arrived.check();
      },
    });
    const pub = new BusClient({ socketPath, domain: 1, source: 92, role: Role.Publisher });
    await Promise.all([sub.ready(), pub.ready()]);
    const { next } = tradeBuilder(); // source 2, sequences 1..N
    for (let i = 1; i <= N; i++) {
      sentAt[i] = clock();
      pub.send(next());
      // one frame at a time, so each has its own chunk and its own receive time
      await arrived.until(() => receivedAt[i] !== undefined);
    }
    expect(await stopRelay(relay, [pub, sub])).toBe(0);

    const rows = TransitTrace.read(traceFile);
    expect(rows.map((r) => r.sequence)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    for (const r of rows) {
      expect(r.source).toBe(2);
      // publisher's send <= relay in <= subscriber's receive, across three processes; relay in <= relay out (the
      // out time is read after the write returned, which can be after the woken subscriber already has the frame)
      expect(r.inNs).toBeGreaterThanOrEqual(sentAt[r.sequence]);
      expect(receivedAt[r.sequence]).toBeGreaterThanOrEqual(r.inNs);
      expect(r.outNs).toBeGreaterThanOrEqual(r.inNs);
      expect(r.outNs - r.inNs).toBeLessThan(1e9);
    }
    await relay.waitStderr(new RegExp(`trace: ${N} frames written to`));
  });
});
