import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { RelayStats } from "../../../src/behavior/relay/relay.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { frameChecksum } from "../../../src/rules/crc32.ts";
import {
  Child,
  FIXTURES,
  publishWindowed,
  SequenceCheck,
  startChildSubscriber,
  startRelay,
  stopRelay,
  TEST_FRAMES,
  tempDir,
  tradeBuilder,
} from "./helpers.ts";

/** Two in-process subscribers (`${prefix}0`, `${prefix}1`) with their sequence checks, and a publisher; all ready. */
async function subscribersAndPublisher(socketPath: string, prefix: string) {
  const checks = [new SequenceCheck(), new SequenceCheck()];
  const subs = checks.map(
    (check, i) =>
      new BusClient({
        socketPath,
        domain: 1,
        source: 91,
        role: Role.Subscriber,
        name: `${prefix}${i}`,
        onFrame: check.onFrame,
      }),
  );
  const pub = new BusClient({ socketPath, domain: 1, source: 2, role: Role.Publisher, name: "pub" });
  await Promise.all([...subs, pub].map((c) => c.ready()));
  return { checks, subs, pub };
}

async function publish(pub: BusClient, next: () => Uint8Array, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    pub.send(next());
    if (pub.backpressured) await pub.drained();
  }
}

describe("relay under failures (market-data relay process)", () => {
  test("kill -9 of one subscriber under load: the others lose nothing, the relay counts the disconnect", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    const relay = await startRelay("market-data", socketPath);
    const victim = await startChildSubscriber(socketPath, "victim");
    const { checks, subs, pub } = await subscribersAndPublisher(socketPath, "survivor");

    const total = Math.min(TEST_FRAMES, 50_000);
    const { next } = tradeBuilder();
    await publishWindowed(pub, next, total / 2, checks);
    await checks[0].reach(total / 4); // under load: half published, a quarter delivered
    victim.kill("SIGKILL");
    await publishWindowed(pub, next, total / 2, checks);
    await Promise.all(checks.map((c) => c.reach(total)));
    await relay.waitStderr(/connection #\d+ victim closed/);

    for (const c of checks) {
      expect(c.errors).toEqual([]);
      expect(c.received).toBe(total);
    }
    const stats = await pub.requestStats<RelayStats>();
    expect(stats).toMatchObject({ framesIn: total, subscribers: 2, disconnects: 1, gaps: 0 });
    await stopRelay(relay, [...subs, pub]);
  }, 60_000);

  test("a publisher that dies mid-frame: the partial frame is discarded, nothing corrupt is forwarded", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    const relay = await startRelay("market-data", socketPath);
    const check = new SequenceCheck();
    let skipped = 0;
    const sub = new BusClient({
      socketPath,
      domain: 1,
      source: 91,
      role: Role.Subscriber,
      onFrame: check.onFrame,
      onSkip: (n) => (skipped += n),
    });
    await sub.ready();
    const publisher = new Child([join(FIXTURES, "publisher.ts"), socketPath, "1000", "--partial"]);
    await publisher.waitStdout(/^sent$/m);
    await check.reach(1000);
    publisher.kill("SIGKILL");
    await relay.waitStderr(/closed mid-frame: \d+ bytes discarded/);

    // A new publisher starting at sequence 1001: had the half frame been kept, it would corrupt this one.
    const pub = new BusClient({ socketPath, domain: 1, source: 2, role: Role.Publisher });
    const { builder, next } = tradeBuilder();
    for (let i = 0; i < 1000; i++) builder.build("Heartbeat", { sentNs: 1n, status: 0 });
    await publish(pub, next, 10);
    await check.reach(1010);
    expect(check.errors).toEqual([]);
    expect(skipped).toBe(0);
    const stats = await sub.requestStats<RelayStats>();
    expect(stats.framesIn).toBe(1010);
    expect(stats.drops).toEqual({ PartialFrame: 1 });
    await stopRelay(relay, [sub, pub]);
  }, 30_000);

  test("corrupted and out-of-domain frames are rejected with diagnostics and counted; the stream after them is intact", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    const relay = await startRelay("market-data", socketPath);
    const received: Uint8Array[] = [];
    const until = new SequenceCheck();
    const sub = new BusClient({
      socketPath,
      domain: 1,
      source: 91,
      role: Role.Subscriber,
      onFrame: (frame, parser) => {
        received.push(frame.slice());
        until.onFrame(frame, parser);
      },
    });
    await sub.ready();

    const { next } = tradeBuilder();
    const good = [next().slice(), next().slice(), next().slice()];
    const bitflip = next().slice(); // sequence 4 never arrives: the relay counts one gap
    bitflip[60] ^= 0x01;
    good.push(next().slice());
    const signal = new FrameBuilder({ domain: 2, source: 20 })
      .build("SignalIdentity", { signalId: 1n, strategyId: 1, strategyVersion: 1, confidence: 90 })
      .slice();
    // Header says market data, TLV is an execution OrderCancel (43): checksum valid, domain wrong.
    const smuggled = new FrameBuilder({ domain: 3, source: 42 })
      .build("OrderCancel", { orderId: 7n, reason: 0, timestampNs: 1n })
      .slice();
    smuggled[4] = 1;
    new DataView(smuggled.buffer).setUint32(28, frameChecksum(smuggled, 0, smuggled.length - 32), true);
    const garbage = new Uint8Array([1, 2, 3, 0xef, 0xbe, 9, 9]);

    const stream = [good[0], bitflip, good[1], signal, good[2], smuggled, garbage, good[3]];
    const raw = await Bun.connect({ unix: socketPath, socket: { data() {} } });
    for (const part of stream) raw.write(part); // no handshake: an implicit publisher
    await until.reach(4);

    expect(received).toEqual(good); // byte for byte as sent, in order
    const stats = await sub.requestStats<RelayStats>();
    expect(stats.drops).toEqual({ ChecksumMismatch: 1, RelayDomainMismatch: 1, DomainMismatch: 1, BadMagic: 1 });
    expect(stats).toMatchObject({ framesIn: 4, framesOut: 4, gaps: 1, missingFrames: 1, duplicates: 0 });
    await relay.waitStderr(/BadMagic/);
    expect(relay.stderr).toContain("ChecksumMismatch: checksum 0x");
    expect(relay.stderr).toContain("likely cause: data corrupted in transit");
    expect(relay.stderr).toContain("RelayDomainMismatch: frame of domain 2 (signal) sent to the market-data relay");
    expect(relay.stderr).toContain("DomainMismatch: TLV type 43 belongs to domain 3, the frame is domain 1");
    raw.end();
    await stopRelay(relay, [sub]);
  }, 30_000);

  test("a stuck subscriber is disconnected past its queue limit while the others keep receiving", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    const relay = await startRelay("market-data", socketPath, ["--max-queue-bytes", "262144"]);
    const stuck = await startChildSubscriber(socketPath, "stuck");
    stuck.kill("SIGSTOP"); // never reads again
    const { checks, subs, pub } = await subscribersAndPublisher(socketPath, "healthy");

    // 2.9 MB of frames: past the 256 KiB queue plus the kernel's socket buffer. Published in batches that the
    // healthy subscribers (in this same process) take in before the next, so only the stuck one falls behind.
    const total = 30_000;
    const { next } = tradeBuilder();
    for (let sent = 0; sent < total; sent += 1000) {
      await publish(pub, next, 1000);
      await Promise.all(checks.map((c) => c.reach(sent + 1000)));
    }
    await relay.waitStderr(/slow consumer #\d+ stuck disconnected/);
    for (const c of checks) expect(c.errors).toEqual([]);
    const stats = await pub.requestStats<RelayStats>();
    expect(stats).toMatchObject({ framesIn: total, subscribers: 2, slowConsumerDisconnects: 1 });
    stuck.kill("SIGKILL");
    await stuck.proc.exited;
    await stopRelay(relay, [...subs, pub]);
  }, 30_000);

  test("a relay killed with kill -9 and restarted: clients reconnect by themselves and traffic resumes", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "md.sock");
    let relay = await startRelay("market-data", socketPath);
    const check = new SequenceCheck();
    const backoff = { initialMs: 10, maxMs: 200 };
    const states: string[] = [];
    const sub = new BusClient({
      socketPath,
      domain: 1,
      source: 91,
      role: Role.Subscriber,
      onFrame: check.onFrame,
      backoff,
      onState: (s) => {
        states.push(s);
        check.events.check();
      },
    });
    const pub = new BusClient({
      socketPath,
      domain: 1,
      source: 2,
      role: Role.Publisher,
      backoff,
      onState: check.events.check,
    });
    await Promise.all([sub.ready(), pub.ready()]);
    const { next } = tradeBuilder();
    await publish(pub, next, 1000);
    await check.reach(1000);

    relay.kill("SIGKILL");
    await relay.proc.exited;
    await check.events.until(() => sub.state !== "ready" && pub.state !== "ready");
    relay = await startRelay("market-data", socketPath); // the stale socket file is replaced
    await Promise.all([sub.ready(), pub.ready()]);
    await publish(pub, next, 1000);
    await check.reach(2000);

    expect(check.errors).toEqual([]);
    expect(sub.counters.reconnects).toBe(1);
    expect(pub.counters.reconnects).toBe(1);
    expect(states.slice(0, 4)).toEqual(["handshaking", "ready", "backoff", "connecting"]);
    const stats = await sub.requestStats<RelayStats>();
    expect(stats).toMatchObject({ framesIn: 1000, subscribers: 1, publishers: 1 });
    await stopRelay(relay, [sub, pub]);
  }, 30_000);
});
