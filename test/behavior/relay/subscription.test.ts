import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RelayStats } from "../../../src/behavior/relay/relay.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import type { FrameParser } from "../../../src/rules/parser.ts";
import { Child, RELAY_MAIN, startRelay, stopRelay, tempDir, Until } from "./helpers.ts";

/** Collects the TLV types of each received frame, e.g. "1", "2", "1+2", "100". */
function typeRecorder() {
  const frames: string[] = [];
  const events = new Until();
  const onFrame = (_f: Uint8Array, p: FrameParser) => {
    const types: number[] = [];
    for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) types.push(p.tlvType);
    frames.push(types.join("+"));
    events.check();
  };
  return { frames, onFrame, reach: (n: number) => events.until(() => frames.length >= n) };
}

describe("relay subscriptions", () => {
  test("a subscriber to a subset of TLV types receives only frames carrying one of them", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    const relay = await startRelay("market-data", socketPath);
    const all = typeRecorder();
    const quotes = typeRecorder();
    const tradesAndHeartbeats = typeRecorder();
    const clients = [
      new BusClient({ socketPath, domain: 1, source: 91, role: Role.Subscriber, onFrame: all.onFrame }),
      new BusClient({ socketPath, domain: 1, source: 91, role: Role.Subscriber, types: [2], onFrame: quotes.onFrame }),
      new BusClient({
        socketPath,
        domain: 1,
        source: 91,
        role: Role.Subscriber,
        types: [1, 100],
        onFrame: tradesAndHeartbeats.onFrame,
      }),
    ];
    const pub = new BusClient({ socketPath, domain: 1, source: 2, role: Role.Publisher });
    await Promise.all([...clients, pub].map((c) => c.ready()));

    const b = new FrameBuilder({ domain: 1, source: 2 });
    const instrument = InstrumentId.spot(VenueId.Kraken, "ETH", "USD");
    const trade = { instrument, price: 1n, size: 1n, exchangeTsNs: 1n, side: 1 };
    const quote = { instrument, bidPrice: 1n, bidSize: 1n, askPrice: 2n, askSize: 1n, exchangeTsNs: 1n };
    pub.send(b.build("Trade", trade));
    pub.send(b.build("Quote", quote));
    pub.send(b.build("Heartbeat", { sentNs: 1n, status: 0 }));
    pub.send(b.begin().add("Trade", trade).add("Quote", quote).finish());
    pub.send(b.build("Quote", quote));
    await all.reach(5);
    await quotes.reach(3);
    await tradesAndHeartbeats.reach(3);

    expect(all.frames).toEqual(["1", "2", "100", "1+2", "2"]);
    expect(quotes.frames).toEqual(["2", "1+2", "2"]);
    expect(tradesAndHeartbeats.frames).toEqual(["1", "100", "1+2"]);
    const stats = await pub.requestStats<RelayStats>();
    expect(stats).toMatchObject({ framesIn: 5, framesOut: 11, subscribers: 3, publishers: 1 });
    await stopRelay(relay, [...clients, pub]);
  });

  test("a connection that is both publisher and subscriber gets the others' frames, not its own", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "sig.sock");
    const relay = await startRelay("signal", socketPath);
    const a = typeRecorder();
    const b = typeRecorder();
    const ca = new BusClient({ socketPath, domain: 2, source: 20, role: Role.Both, onFrame: a.onFrame });
    const cb = new BusClient({ socketPath, domain: 2, source: 21, role: Role.Both, onFrame: b.onFrame });
    await Promise.all([ca.ready(), cb.ready()]);
    const signal = { signalId: 1n, strategyId: 1, strategyVersion: 1, confidence: 50 };
    ca.send(new FrameBuilder({ domain: 2, source: 20 }).build("SignalIdentity", signal));
    cb.send(new FrameBuilder({ domain: 2, source: 21 }).build("Heartbeat", { sentNs: 1n, status: 0 }));
    await a.reach(1);
    await b.reach(1);
    expect(a.frames).toEqual(["100"]);
    expect(b.frames).toEqual(["20"]);
    await stopRelay(relay, [ca, cb]);
  });

  test("the execution relay rejects market-data frames and passes control TLVs", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "ex.sock");
    const relay = await startRelay("execution", socketPath);
    const rec = typeRecorder();
    const sub = new BusClient({ socketPath, domain: 3, source: 91, role: Role.Subscriber, onFrame: rec.onFrame });
    const pub = new BusClient({ socketPath, domain: 3, source: 42, role: Role.Publisher });
    await Promise.all([sub.ready(), pub.ready()]);
    const md = new FrameBuilder({ domain: 1, source: 2 });
    const ex = new FrameBuilder({ domain: 3, source: 42 });
    pub.send(md.build("Heartbeat", { sentNs: 1n, status: 0 })); // header domain 1 on the execution relay
    pub.send(ex.build("OrderCancel", { orderId: 1n, reason: 0, timestampNs: 1n }));
    pub.send(ex.build("Heartbeat", { sentNs: 1n, status: 0 }));
    await rec.reach(2);
    expect(rec.frames).toEqual(["43", "100"]);
    const stats = await sub.requestStats<RelayStats>();
    expect(stats.drops).toEqual({ RelayDomainMismatch: 1 });
    expect(stats).toMatchObject({ relay: "execution", domain: 3, framesIn: 2 });
    await stopRelay(relay, [sub, pub]);
  });
});

describe("relay sequence tracking", () => {
  test("counts gaps, missing frames and duplicates per publisher connection, and still forwards them", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    const relay = await startRelay("market-data", socketPath);
    const rec = typeRecorder();
    const sub = new BusClient({ socketPath, domain: 1, source: 91, role: Role.Subscriber, onFrame: rec.onFrame });
    await sub.ready();
    const b = new FrameBuilder({ domain: 1, source: 2 });
    const bySeq = new Map<number, Uint8Array>();
    for (let seq = 1; seq <= 5; seq++) bySeq.set(seq, b.build("Heartbeat", { sentNs: 1n, status: 0 }).slice());
    const order = [1, 2, 2, 5, 3];
    const raw = await Bun.connect({ unix: socketPath, socket: { data() {} } });
    raw.write(Buffer.concat(order.map((s) => bySeq.get(s)!)));
    await rec.reach(order.length);
    const stats = await sub.requestStats<RelayStats>();
    expect(stats).toMatchObject({ framesIn: 5, framesOut: 5, gaps: 1, missingFrames: 2, duplicates: 2 });
    expect(stats.perConnection.find((c) => c.role === "publisher")).toMatchObject({
      framesIn: 5,
      gaps: 1,
      missingFrames: 2,
      duplicates: 2,
      lastSequence: 5,
    });
    raw.end();
    await stopRelay(relay, [sub]);
  });
});

describe("relay process lifecycle and permissions", () => {
  test("creates its run directory 0700 and its socket 0600; SIGTERM exits 0 and removes the socket", async () => {
    using tmp = tempDir();
    const runDir = join(tmp.dir, "run");
    const socketPath = join(runDir, "market-data.sock");
    const relay = await startRelay("market-data", socketPath);
    expect(relay.stdout).toBe(`ready ${socketPath}\n`);
    expect(statSync(runDir).mode & 0o777).toBe(0o700);
    expect(statSync(socketPath).mode & 0o777).toBe(0o600);
    expect(statSync(socketPath).isSocket()).toBe(true);
    expect(await stopRelay(relay)).toBe(0);
    expect(existsSync(socketPath)).toBe(false);
    expect(relay.stderr).toContain("SIGTERM: stopped");
  });

  test("refuses a run directory that others can enter, with one line naming it", async () => {
    using tmp = tempDir();
    const open = join(tmp.dir, "open");
    mkdirSync(open, { mode: 0o755 });
    const relay = new Child([RELAY_MAIN, "--domain", "signal", "--socket", join(open, "s.sock")]);
    expect(await relay.proc.exited).toBe(1);
    await relay.waitStderr(/RunDirNotPrivate/);
    expect(relay.stderr).toContain(`run directory ${open} has mode 0755`);
    expect(relay.stdout).toBe("");
  });

  test("a second relay on the same socket refuses to start; the first keeps serving", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    const first = await startRelay("market-data", socketPath);
    const second = new Child([RELAY_MAIN, "--domain", "market-data", "--socket", socketPath]);
    expect(await second.proc.exited).toBe(1);
    await second.waitStderr(/SocketInUse/);
    const client = new BusClient({ socketPath, domain: 1, source: 91, role: Role.Subscriber });
    await client.ready();
    client.close();
    first.kill("SIGTERM");
    expect(await first.proc.exited).toBe(0);
  });

  test("an unknown --domain is one line on stderr and exit 1", async () => {
    const relay = new Child([RELAY_MAIN, "--domain", "system"]);
    expect(await relay.proc.exited).toBe(1);
    await relay.waitStderr(/--domain must be one of market-data, signal, execution/);
  });
});
