import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createConsola } from "consola";
import { Relay, type RelayStats } from "../../../src/behavior/relay/relay.ts";
import { RELAY_CONFIGS } from "../../../src/behavior/relay/relay-configs.ts";
import { backoffDelay } from "../../../src/behavior/transport/backoff.ts";
import { BusClient, type ConnectionState, Role } from "../../../src/behavior/transport/bus-client.ts";
import { buildSubscribedFrame } from "../../../src/behavior/transport/bus-control.ts";
import { listenUnix } from "../../../src/behavior/transport/listen-unix.ts";
import { SequenceCheck, tempDir, tradeBuilder, Until } from "../relay/helpers.ts";

const quiet = createConsola({ level: 0 });
const relayAt = (socketPath: string) =>
  new Relay({ ...RELAY_CONFIGS["market-data"], socketPath, logger: quiet.withTag("relay:test") });

describe("backoffDelay", () => {
  test("grows by the factor from the initial delay up to the ceiling, less up to the jitter fraction", () => {
    const o = { initialMs: 25, maxMs: 2000, factor: 2, jitter: 0.5 };
    expect([0, 1, 2, 3, 6, 7, 20].map((a) => backoffDelay(a, o, () => 0))).toEqual([
      25, 50, 100, 200, 1600, 2000, 2000,
    ]);
    expect(backoffDelay(0, o, () => 1)).toBe(12.5);
    expect(backoffDelay(7, o, () => 0.5)).toBe(1500);
  });
});

describe("BusClient", () => {
  test("frames sent in the same tick leave in one write", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "b.sock");
    let handshaken = false;
    let chunks = 0;
    let bytes = 0;
    const got = new Until();
    // A bare listener that acknowledges the handshake like a relay, then counts the reads.
    using server = await listenUnix<undefined>({
      path: socketPath,
      socket: {
        binaryType: "uint8array",
        data(s, chunk) {
          if (!handshaken) {
            handshaken = true;
            s.write(buildSubscribedFrame(1, 80, 1, Role.Publisher));
            return;
          }
          chunks++;
          bytes += chunk.length;
          got.check();
        },
      },
    });
    const pub = new BusClient({ socketPath, domain: 1, source: 2, role: Role.Publisher });
    await pub.ready();
    const { next } = tradeBuilder();
    for (let i = 0; i < 100; i++) pub.send(next());
    expect(pub.queuedBytes).toBe(9800); // nothing written yet: the flush is one microtask later
    await got.until(() => bytes === 9800);
    expect(chunks).toBe(1);
    pub.close();
    server.stop(true);
  });

  test("reconnects by itself with backoff after the relay goes away, and re-sends its subscription", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "b.sock");
    let relay = relayAt(socketPath);
    await relay.start();
    const events = new Until();
    const states: ConnectionState[] = [];
    const check = new SequenceCheck();
    const sub = new BusClient({
      socketPath,
      domain: 1,
      source: 91,
      role: Role.Subscriber,
      types: [1],
      name: "sub",
      onFrame: check.onFrame,
      backoff: { initialMs: 5, maxMs: 50 },
      onState: (s) => {
        states.push(s);
        events.check();
      },
    });
    const pub = new BusClient({
      socketPath,
      domain: 1,
      source: 2,
      role: Role.Publisher,
      backoff: { initialMs: 5, maxMs: 50 },
    });
    await Promise.all([sub.ready(), pub.ready()]);
    const { next } = tradeBuilder();
    pub.send(next());
    await check.reach(1);

    relay.stop(); // socket file removed: reconnect attempts fail with ENOENT until a relay is back
    await events.until(() => sub.counters.connectFailures >= 3);
    expect(sub.state === "backoff" || sub.state === "connecting").toBe(true);
    relay = relayAt(socketPath);
    await relay.start();
    await Promise.all([sub.ready(), pub.ready()]);
    pub.send(next());
    await check.reach(2);

    expect(check.errors).toEqual([]);
    expect(sub.counters).toMatchObject({ connects: 2, reconnects: 1, disconnects: 1 });
    expect(states.slice(0, 5)).toEqual(["handshaking", "ready", "backoff", "connecting", "backoff"]);
    const stats: RelayStats = relay.stats();
    expect(stats.perConnection.find((c) => c.name === "sub")).toMatchObject({ role: "subscriber", framesOut: 1 });
    sub.close();
    pub.close();
    expect(sub.state).toBe("closed");
    relay.stop();
  });

  test("a stats request nobody answers rejects with StatsTimeout", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "none.sock"); // no relay: the client keeps retrying
    const client = new BusClient({ socketPath, domain: 1, source: 91, role: Role.None, backoff: { initialMs: 5 } });
    await expect(client.requestStats(50)).rejects.toThrow(`no stats from ${socketPath} within 50 ms`);
    client.close();
  });

  test("queues frames while the relay is away and sends them once reconnected", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "b.sock");
    let relay = relayAt(socketPath);
    await relay.start();
    const events = new Until();
    const pub = new BusClient({
      socketPath,
      domain: 1,
      source: 2,
      role: Role.Publisher,
      backoff: { initialMs: 5, maxMs: 20 },
      onState: events.check,
    });
    await pub.ready();
    relay.stop();
    await events.until(() => pub.state !== "ready");
    const { next } = tradeBuilder();
    for (let i = 0; i < 10; i++) expect(pub.send(next())).toBe(true);
    relay = relayAt(socketPath);
    await relay.start();
    // Counted at the relay: whether a new subscriber is in before the publisher's queue arrives is a race.
    const sub = new BusClient({ socketPath, domain: 1, source: 91, role: Role.None });
    await Promise.all([sub.ready(), pub.ready()]);
    await pub.drained(0);
    const stats = await sub.requestStats<RelayStats>();
    expect(stats.framesIn).toBe(10);
    pub.close();
    sub.close();
    relay.stop();
  });
});
