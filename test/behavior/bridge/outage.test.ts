import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { parseBridgeConfig } from "../../../src/behavior/bridge/bridge-config.ts";
import { replayHistory } from "../../../src/behavior/bridge/replay-history.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { SourceType } from "../../../src/data/venues.ts";
import { FrameParser } from "../../../src/rules/parser.ts";
import { tradeBuilder, Until } from "../relay/helpers.ts";
import { Instance, NatsServer, tempStore } from "./helpers.ts";

/** Keeps the header sequence of every frame a relay delivers, in order. */
function sequences(socketPath: string) {
  const seqs: number[] = [];
  const frames: Uint8Array[] = [];
  const events = new Until();
  const parser = new FrameParser();
  const client = new BusClient({
    socketPath,
    domain: 1,
    source: SourceType.OperatorCli,
    role: Role.Subscriber,
    name: "test-sub",
    onFrame: (frame) => {
      parser.check(frame);
      seqs.push(parser.sequenceNumber);
      frames.push(frame.slice());
      events.check();
    },
  });
  return { client, seqs, frames, until: (p: () => boolean) => events.until(p) };
}

async function publish(pub: BusClient, next: () => Uint8Array, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    pub.send(next());
    if (pub.backpressured) await pub.drained();
  }
  await pub.drained(0);
}

const n = (v: unknown): number => v as number;
const connectedAgain = (s: Record<string, unknown>) => s.nats === "connected" && (s.natsReconnects as number) >= 1;

for (const jetstream of [false, true]) {
  describe(`Bridge across a nats-server restart (${jetstream ? "JetStream" : "core NATS"})`, () => {
    const store = tempStore();
    const nats = new NatsServer(store, jetstream);
    const a = new Instance("a");
    const b = new Instance("b");
    const toml = (id: string, dir: "publish" | "subscribe") =>
      `instance = "${id}"\nservers = ["${nats.url}"]\n${dir} = ["market-data"]\n${dir === "publish" ? "subscribe = []\nmax_buffer_bytes = 65536" : "publish = []"}\njetstream = ${jetstream}\nstream = "T"`;

    beforeAll(async () => {
      await nats.start();
      await Promise.all([a.startRelays(), b.startRelays()]);
      await a.startBridge(toml("host-a", "publish"));
      await b.startBridge(toml("host-b", "subscribe"));
    });
    afterAll(async () => {
      await Promise.all([a.stop(), b.stop()]);
      await nats.stop();
      rmSync(store, { recursive: true, force: true });
    });

    test(
      jetstream
        ? "both bridges reconnect and what was sent meanwhile is delivered from the stream, in order, none missing"
        : "both bridges reconnect and frames lost in the outage are counted as missing, never silently",
      async () => {
        const sub = sequences(b.sock());
        const pub = new BusClient({
          socketPath: a.sock(),
          domain: 1,
          source: SourceType.KrakenCollector,
          role: Role.Publisher,
          name: "test-pub",
        });
        await Promise.all([sub.client.ready(), pub.ready()]);
        const { next } = tradeBuilder();
        // JetStream: A's client holds 64 KiB (~650 frames) while away; more would be dropped and show as missing.
        const [before, during, after] = [2000, jetstream ? 500 : 2000, 2000];
        const total = before + during + after;
        await publish(pub, next, before);
        await sub.until(() => sub.seqs.length >= before);

        await nats.stop();
        await Promise.all([
          a.bridgeStats((s) => s.nats === "reconnecting"),
          b.bridgeStats((s) => s.nats === "reconnecting"),
        ]);
        await publish(pub, next, during); // under load: the relay keeps feeding A's bridge
        await a.bridgeStats((s) => n(s.published) + n(s.droppedDisconnected) + n(s.held) >= before + during);
        await nats.start(); // the same port, the same store
        await Promise.all([a.bridgeStats(connectedAgain), b.bridgeStats(connectedAgain)]);
        await publish(pub, next, after);
        await sub.until(() => sub.seqs[sub.seqs.length - 1] === total);

        for (let i = 1; i < sub.seqs.length; i++) if (sub.seqs[i] <= sub.seqs[i - 1]) expect(i).toBe(-1);
        const sa = await a.bridgeStats((s) => n(s.published) + n(s.droppedDisconnected) === total);
        const sb = await b.bridgeStats((s) => s.msgs_in! >= sub.seqs.length);
        if (jetstream) {
          expect(sub.seqs.length).toBe(total);
          expect(sb.missing).toBe(0);
        } else {
          // Every frame is either delivered or counted: by B as missing (Ap-Seq gaps), whatever A dropped included.
          expect(sub.seqs.length + (sb.missing as number)).toBe(total);
          expect(sb.missing as number).toBeGreaterThanOrEqual(sa.droppedDisconnected as number);
          expect(sa.droppedDisconnected as number).toBeGreaterThan(0);
        }
        if (jetstream) {
          // A late host: its own relay, `ap bridge replay` of the stream, byte-identical with --as-recorded.
          const c = new Instance("c");
          await c.startRelays();
          const late = sequences(c.sock());
          await late.client.ready();
          const config = parseBridgeConfig({ servers: [nats.url], stream: "T", jetstream: true }, c.runDir);
          const r = await replayHistory({ config, runDir: c.runDir, minutes: 5, asRecorded: true });
          expect(r.frames).toBe(total);
          await late.until(() => late.seqs.length >= total);
          for (let i = 0; i < total; i++) {
            if (!Buffer.from(late.frames[i]).equals(Buffer.from(sub.frames[i]))) expect(i).toBe(-1);
          }
          late.client.close();
          await c.stop();
        }
        sub.client.close();
        pub.close();
      },
    );
  });
}
