import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { SourceType } from "../../../src/data/venues.ts";
import { tradeBuilder, Until } from "../relay/helpers.ts";
import { Instance, NatsServer, tempStore } from "./helpers.ts";

/** A subscriber on an instance's market data relay that keeps a copy of every frame, in order. */
function collector(socketPath: string) {
  const frames: Uint8Array[] = [];
  const events = new Until();
  const client = new BusClient({
    socketPath,
    domain: 1,
    source: SourceType.OperatorCli,
    role: Role.Subscriber,
    name: "test-sub",
    onFrame: (frame) => {
      frames.push(frame.slice());
      events.check();
    },
  });
  return { client, frames, reach: (n: number) => events.until(() => frames.length >= n) };
}

function publisher(socketPath: string): BusClient {
  return new BusClient({
    socketPath,
    domain: 1,
    source: SourceType.KrakenCollector,
    role: Role.Publisher,
    name: "test-pub",
  });
}

const both = (instance: string, url: string) =>
  `instance = "${instance}"\nservers = ["${url}"]\npublish = ["market-data"]\nsubscribe = ["market-data"]`;

describe("Bridge (core NATS)", () => {
  const store = tempStore();
  const nats = new NatsServer(store, false);
  const a = new Instance("a");
  const b = new Instance("b");

  beforeAll(async () => {
    await nats.start();
    await Promise.all([a.startRelays(), b.startRelays()]);
    await Promise.all([a.startBridge(both("host-a", nats.url)), b.startBridge(both("host-b", nats.url))]);
  });
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await nats.stop();
    rmSync(store, { recursive: true, force: true });
  });

  test("frames published into A's market data relay arrive in B's byte-identical and in order, and never echo back", async () => {
    const subB = collector(b.sock());
    const subA = collector(a.sock());
    const pubA = publisher(a.sock());
    const pubB = publisher(b.sock());
    await Promise.all([subA.client.ready(), subB.client.ready(), pubA.ready(), pubB.ready()]);
    const { next } = tradeBuilder();
    const n = 5000;
    const sent: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const f = next().slice();
      sent.push(f);
      pubA.send(f);
      if (pubA.backpressured) await pubA.drained();
    }
    await subB.reach(n);
    expect(subB.frames.length).toBe(n);
    for (let i = 0; i < n; i++) if (!Buffer.from(subB.frames[i]).equals(Buffer.from(sent[i]))) expect(i).toBe(-1);

    // One frame the other way: when it reaches A, B's bridge has published exactly that one frame, so it forwarded
    // none of A's 5000 back (the relay's no-echo on its Role.Both connection), and A saw its own frames once.
    const marker = tradeBuilder().next().slice();
    pubB.send(marker);
    await subA.reach(n + 1);
    expect(Buffer.from(subA.frames[n]).equals(Buffer.from(marker))).toBe(true);
    const sb = await b.bridgeStats((s) => (s.published as number) >= 1);
    expect(sb.published).toBe(1);
    const sa = await a.bridgeStats((s) => (s.msgs_in ?? 0) >= 1);
    expect(sa.published).toBe(n);
    expect(sa.ownOrigin).toBe(0);
    expect(sb.msgs_in).toBe(n);
    expect(sb.gaps).toBe(0);
    expect(subA.frames.length).toBe(n + 1);
    for (const c of [subA.client, subB.client, pubA, pubB]) c.close();
  });
});
