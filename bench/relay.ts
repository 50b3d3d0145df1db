/**
 * `ap bench relay`: the message bus under load, side by side with nats-server in the same run.
 *
 *   A  fan-out   publisher -> relay -> 3 subscribers
 *   B  chain     publisher -> relay 1 -> forwarding service -> relay 2 -> subscriber   (3 hops: relay, service, relay)
 *
 * For each: throughput (the publisher sends as fast as backpressure and a credit window allow; msg/s counted at the
 * subscribers) and latency percentiles at a fixed offered rate of 10k msg/s. The same traffic — the same Protocol V2
 * Trade frames as message bodies — goes through nats-server (Debian package) with the official client
 * (@nats-io/transport-node): 3 subscriber connections, and the chain through a forwarding subscriber and a second
 * server. Every relay and nats-server is a child process; publisher, subscribers and forwarder are child processes
 * of this file (`--worker`), so each measured party has its own event loop. bench/README.md explains the method.
 *
 *   node_modules/.bin/bun bench/relay.ts            # 3 rounds (~1.5 min), table + bench/results/relay-*.json
 *   node_modules/.bin/bun bench/relay.ts --quick    # 1 short round, rough numbers, writes nothing
 *   node_modules/.bin/bun bench/relay.ts --json     # the result object on stdout instead of the table
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Subprocess } from "bun";
import { BusClient, Role } from "../src/behavior/transport/bus-client.ts";
import { InstrumentId } from "../src/data/instrument-id.ts";
import type { Trade } from "../src/data/tlv-layouts.ts";
import { SourceType } from "../src/data/venues.ts";
import { FrameBuilder } from "../src/rules/builder.ts";
import { frameChecksum } from "../src/rules/crc32.ts";
import { ErrorCode } from "../src/rules/error-codes.ts";
import { HEADER_SIZE } from "../src/rules/header.ts";
import { FrameParser } from "../src/rules/parser.ts";
import { calibrateClock, monoNs, preciseTimerSlack, sleepUntil } from "./lib/clock.ts";
import {
  BenchError,
  cpuMsPerMillion,
  type Endpoint,
  type FromWorker,
  type FwdDone,
  type FwdSpec,
  median,
  medianLatency,
  type Percentiles,
  type PubSpec,
  procStatusKb,
  type RunResult,
  round2,
  runToDone,
  type SubSpec,
  startPublisher,
  type ToWorker,
  RelayWorker as Worker,
  type WorkerSpec,
} from "./lib/relay-workers.ts";
import { machine } from "./lib/results.ts";

export interface BenchRelayOptions {
  /** One short round: a smoke run, numbers are rough. Writes JSON only when `outDir` is given. */
  quick?: boolean;
  /** Print the result as JSON on stdout instead of the table. */
  json?: boolean;
  /** Where to write relay-<date>.json and relay-latest.json (default bench/results; quick runs: only if given). */
  outDir?: string;
  /** Skip the nats-server side even when it is installed. */
  noNats?: boolean;
  /** Print nothing (the smoke test): the result is returned, and written when outDir is given. */
  quiet?: boolean;
}

// ---- what flows --------------------------------------------------------------------------------------------------

const DOMAIN = 1; // market data
const TRADE: Trade = {
  instrument: InstrumentId.spot(101, "BTC", "USD"),
  price: 4500012345678n,
  size: 12_345_678n,
  exchangeTsNs: 0n,
  side: 1,
};
/** Offset of Trade.exchange_ts_ns in a one-Trade frame: 32 header + 2 TLV header + 48 (PROTOCOL.md Trade layout). */
const TS_OFFSET = 82;
/** Frames between progress reports of a subscriber (the publisher's credits). */
const PROGRESS_EVERY = 4096;
/** Chain hops: relay 1, the forwarding service, relay 2 (the issue's "3-hop chain"). */
const CHAIN_HOPS = 3;

// ---- a clock shared by processes: bench/lib/clock.ts ------------------------------------------------------------

// ---- workers (child processes of this file) ----------------------------------------------------------------------

type System = "ap" | "nats";
function send(message: FromWorker): void {
  process.send?.(message);
}

async function loadNats(): Promise<typeof import("@nats-io/transport-node")> {
  return await import("@nats-io/transport-node");
}

/** The sending side of a publisher or forwarder, over either system. */
interface Sender {
  send(frame: Uint8Array): boolean;
  readonly backpressured: boolean;
  drained(): Promise<void>;
  /** Resolves when everything sent has left this process (ap) or reached the server (nats: a PING/PONG). */
  flushed(): Promise<void>;
  close(): Promise<void>;
}

async function openSender(to: Endpoint, name: string): Promise<Sender> {
  if (to.system === "ap") {
    const client = new BusClient({
      socketPath: to.socket!,
      domain: DOMAIN,
      source: SourceType.KrakenCollector,
      role: Role.Publisher,
      name,
    });
    await client.ready();
    return {
      send: (frame) => client.send(frame),
      get backpressured() {
        return client.backpressured;
      },
      drained: () => client.drained(),
      flushed: () => client.drained(0),
      close: async () => client.close(),
    };
  }
  const { connect } = await loadNats();
  const nc = await connect({ servers: to.url!, name, noEcho: true });
  const subject = to.subject!;
  return {
    // nats.js keeps a reference to the payload until its microtask flush: a reused builder view must be copied.
    send: (frame) => {
      nc.publish(subject, frame);
      return true;
    },
    backpressured: false,
    drained: () => Promise.resolve(),
    flushed: () => nc.flush(),
    close: () => nc.close(),
  };
}

const immediate = (resolve: () => void) => setImmediate(resolve);

/**
 * Writes the send time into the built frame's Trade.exchange_ts_ns and re-seals its CRC, right before the send. Nothing
 * is allocated between the clock read and the send: an allocation there (a BigInt for the timestamp, as this bench
 * once made) can start a GC pause of the publisher that the latency would then blame on the bus (measured with the
 * relays' transit traces: publisher -> relay 1 p99.9 6.3 ms with the BigInt, 1.0-2.5 ms without).
 */
function stampSendTime(frame: Uint8Array): void {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const t = Math.round(monoNs());
  const lo = t % 4294967296;
  dv.setUint32(TS_OFFSET, lo, true);
  dv.setUint32(TS_OFFSET + 4, (t - lo) / 4294967296, true);
  dv.setUint32(28, frameChecksum(frame, 0, frame.length - HEADER_SIZE, dv), true);
}

async function runPublisher(spec: PubSpec): Promise<void> {
  preciseTimerSlack();
  calibrateClock();
  const builder = new FrameBuilder({ domain: DOMAIN, source: SourceType.KrakenCollector });
  const trade: Trade = { ...TRADE };
  let acked = 0;
  let ackWaiter: (() => void) | undefined;
  let go: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    go = resolve;
  });
  process.on("message", (m: ToWorker) => {
    if (m.cmd === "go") go();
    else if (m.cmd === "ack") {
      acked = m.n;
      const w = ackWaiter;
      ackWaiter = undefined;
      w?.();
    }
  });
  const sender = await openSender(spec.to, "bench-pub");
  const copy = spec.to.system === "nats";
  send({ ev: "ready" });
  await started;

  const paced = spec.rate > 0;
  const periodNs = paced ? 1e9 / spec.rate : 0;
  let refused = 0;
  const t0 = monoNs();
  for (let i = 0; i < spec.frames; i++) {
    while (i - acked >= spec.window) {
      await new Promise<void>((resolve) => {
        ackWaiter = resolve;
      });
    }
    if (paced) sleepUntil(t0 + i * periodNs);
    const built = builder.begin().add("Trade", trade).finish();
    const frame = copy ? built.slice() : built;
    if (paced) stampSendTime(frame);
    if (!sender.send(frame)) refused++;
    if (sender.backpressured) await sender.drained();
    // Paced: let the event loop write now (both clients flush in a microtask; a macrotask also runs socket events).
    if (paced) await new Promise<void>(immediate);
  }
  await sender.flushed();
  const t1 = monoNs();
  send({ ev: "done", t0, t1, sent: spec.frames, refused });
  await sender.close();
}

async function runSubscriber(spec: SubSpec): Promise<void> {
  calibrateClock();
  const k = spec.connections;
  const frames = spec.frames;
  const counts = new Array<number>(k).fill(0);
  const nextSeq = new Array<number>(k).fill(1);
  const lat = spec.latency ? new Float64Array(Math.max(0, frames - spec.warmup) * k) : undefined;
  let latN = 0;
  let sequenceErrors = 0;
  let badFrames = 0;
  let finished = 0;
  let reported = 0;
  let allDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });

  /** Per frame: clock first, then the sequence, the latency, the counts. */
  function onFrame(i: number, frame: Uint8Array, seq: number): void {
    const now = lat === undefined ? 0 : monoNs();
    if (seq !== nextSeq[i]) sequenceErrors++;
    nextSeq[i] = seq + 1;
    if (lat !== undefined && seq > spec.warmup && latN < lat.length) {
      const lo = (frame[TS_OFFSET] | (frame[83] << 8) | (frame[84] << 16) | (frame[85] << 24)) >>> 0;
      const hi = (frame[86] | (frame[87] << 8) | (frame[88] << 16) | (frame[89] << 24)) >>> 0;
      lat[latN++] = now - (lo + hi * 4294967296);
    }
    const c = ++counts[i];
    if (c === frames) {
      if (++finished === k) allDone();
    } else if ((c & (PROGRESS_EVERY - 1)) === 0) {
      let min = c;
      for (let j = 0; j < k; j++) if (counts[j] < min) min = counts[j];
      if (min > reported) {
        reported = min;
        send({ ev: "progress", n: min });
      }
    }
  }

  const closers: (() => unknown)[] = [];
  if (spec.from.system === "ap") {
    const clients: BusClient[] = [];
    for (let i = 0; i < k; i++) {
      clients.push(
        new BusClient({
          socketPath: spec.from.socket!,
          domain: DOMAIN,
          source: SourceType.OperatorCli,
          role: Role.Subscriber,
          name: `bench-sub${i}`,
          onFrame: (frame, parser) => onFrame(i, frame, parser.sequenceNumber),
          onSkip: () => badFrames++,
        }),
      );
    }
    await Promise.all(clients.map((c) => c.ready()));
    for (const c of clients) closers.push(() => c.close());
  } else {
    const { connect } = await loadNats();
    const subject = spec.from.subject!;
    for (let i = 0; i < k; i++) {
      const nc: NatsConnection = await connect({ servers: spec.from.url!, name: `bench-sub${i}` });
      // The same consumer work as a BusClient subscriber, whose framer checks every frame: magic, sizes, CRC-32.
      const parser = new FrameParser();
      nc.subscribe(subject, {
        callback: (_error, msg) => {
          const data = msg.data;
          if (parser.check(data) !== ErrorCode.Ok) badFrames++;
          onFrame(i, data, parser.sequenceNumber);
        },
      });
      await nc.flush(); // the server has the SUB
      closers.push(() => nc.close());
    }
  }
  send({ ev: "ready" });
  await done;
  const tDone = monoNs();
  if (lat !== undefined && process.env.BENCH_RELAY_DUMP) {
    writeFileSync(`${process.env.BENCH_RELAY_DUMP}-${spec.from.system}-${process.pid}.f64`, lat.subarray(0, latN));
  }
  send({
    ev: "done",
    tDone,
    received: counts,
    sequenceErrors,
    badFrames,
    latencyNs: lat === undefined ? null : percentiles(lat.subarray(0, latN)),
  });
  await Promise.all(closers.map((c) => c()));
}

async function runForwarder(spec: FwdSpec): Promise<void> {
  const out = await openSender(spec.to, "bench-fwd");
  let forwarded = 0;
  let refused = 0;
  let close: () => unknown;
  if (spec.from.system === "ap") {
    // Frames forwarded unchanged: the very bytes the relay delivered (the publisher's sequence and timestamp).
    const client = new BusClient({
      socketPath: spec.from.socket!,
      domain: DOMAIN,
      source: SourceType.OperatorCli,
      role: Role.Subscriber,
      name: "bench-fwd",
      onFrame: (frame) => {
        if (out.send(frame)) forwarded++;
        else refused++;
      },
    });
    await client.ready();
    close = () => client.close();
  } else {
    const { connect } = await loadNats();
    const nc = await connect({ servers: spec.from.url!, name: "bench-fwd" });
    const parser = new FrameParser(); // the check a BusClient's framer makes on the way in
    nc.subscribe(spec.from.subject!, {
      callback: (_error, msg) => {
        const data = msg.data; // a view of a fresh read chunk: safe to hand to publish() without a copy
        if (parser.check(data) !== ErrorCode.Ok) refused++;
        else if (out.send(data)) forwarded++;
      },
    });
    await nc.flush();
    close = () => nc.close();
  }
  send({ ev: "ready" });
  await stopRequested;
  await out.flushed();
  send({ ev: "done", forwarded, refused });
  await close();
  await out.close();
}

/** The parent's "stop": a worker exits only then, so its last IPC message is never lost to process.exit(). */
let stopRequested: Promise<void> = Promise.resolve();

async function runWorker(spec: WorkerSpec): Promise<void> {
  stopRequested = new Promise<void>((resolve) => {
    process.on("message", (m: ToWorker) => {
      if (m.cmd === "stop") resolve();
    });
  });
  try {
    if (spec.worker === "pub") await runPublisher(spec);
    else if (spec.worker === "sub") await runSubscriber(spec);
    else await runForwarder(spec);
  } catch (e) {
    send({ ev: "error", message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
  await stopRequested;
  process.exit(0);
}

// ---- the orchestrating process -----------------------------------------------------------------------------------

function percentiles(xs: Float64Array): Percentiles | null {
  if (xs.length === 0) return null;
  const s = Float64Array.from(xs).sort();
  const at = (q: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: s[s.length - 1], samples: s.length };
}

/** A relay or nats-server child, kept for the whole run. */
interface Broker {
  label: string;
  system: System;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  endpoint: Endpoint;
  /** Highest VmRSS seen while traffic flowed (kB). */
  rssPeakKb: number;
  /** Highest RssAnon (private memory: heap, queues; VmRSS less the mapped executable and libraries) (kB). */
  anonPeakKb: number;
  /** Last lines of its output, for a failure report. */
  tail: string[];
}

/** Reads lines of a child's stream until `match` returns a value, then keeps draining it (a full pipe blocks it). */
async function untilLine<T>(
  stream: ReadableStream<Uint8Array>,
  tail: string[],
  match: (line: string) => T | undefined,
  label: string,
  withinMs: number,
): Promise<T> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  let found: T | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    reader.cancel().catch(() => {});
  }, withinMs);
  while (found === undefined) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += decoder.decode(value, { stream: true });
    let nl = buffered.indexOf("\n");
    while (nl >= 0 && found === undefined) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      tail.push(line);
      if (tail.length > 20) tail.shift();
      found = match(line);
      nl = buffered.indexOf("\n");
    }
  }
  clearTimeout(timer);
  if (found === undefined) {
    throw new BenchError(
      `${label} did not become ready${timedOut ? ` within ${withinMs} ms` : " (stream closed)"}:\n  ${tail.join("\n  ")}`,
    );
  }
  void drain(reader, tail);
  return found;
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, tail: string[]): Promise<void> {
  const decoder = new TextDecoder();
  for (;;) {
    const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
    if (done) return;
    for (const line of decoder.decode(value).split("\n")) {
      if (line === "") continue;
      tail.push(line);
      if (tail.length > 20) tail.shift();
    }
  }
}

const REPO = join(import.meta.dir, "..");

async function startRelay(label: string, socket: string): Promise<Broker> {
  const proc = Bun.spawn({
    // BENCH_RELAY_BUN_FLAGS (e.g. "--smol") tries runtime flags on the relay processes only.
    cmd: [
      process.execPath,
      ...(process.env.BENCH_RELAY_BUN_FLAGS?.split(" ").filter(Boolean) ?? []),
      join(REPO, "src/behavior/relay/main.ts"),
      ...["--domain", "market-data", "--socket", socket],
      ...(process.env.BENCH_RELAY_TRACE_DIR
        ? ["--trace", join(process.env.BENCH_RELAY_TRACE_DIR, `${label.replace(/ /g, "-")}.trace`)]
        : []),
    ],
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, AP_LOG_LEVEL: "2" }, // warnings and errors: per-connection lines would be noise here
  });
  const tail: string[] = [];
  void drain(proc.stderr.getReader(), tail);
  await untilLine(proc.stdout, tail, (l) => (l.startsWith("ready ") ? true : undefined), `relay ${label}`, 10_000);
  return { label, system: "ap", proc, endpoint: { system: "ap", socket }, rssPeakKb: 0, anonPeakKb: 0, tail };
}

async function startNats(label: string, bin: string, subject: string): Promise<Broker> {
  // -p -1: a free port chosen by the server itself, read back from its log (no race with another process).
  const proc = Bun.spawn({
    cmd: [bin, "-a", "127.0.0.1", "-p", "-1"],
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const tail: string[] = [];
  void drain(proc.stdout.getReader(), tail);
  let port = 0;
  await untilLine(
    proc.stderr,
    tail,
    (l) => {
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(l);
      if (m) port = Number(m[1]);
      return l.includes("Server is ready") ? true : undefined;
    },
    `nats-server ${label}`,
    10_000,
  );
  if (port === 0) throw new BenchError(`nats-server ${label}: no port in its log:\n  ${tail.join("\n  ")}`);
  const url = `127.0.0.1:${port}`;
  return { label, system: "nats", proc, endpoint: { system: "nats", url, subject }, rssPeakKb: 0, anonPeakKb: 0, tail };
}

async function stopBroker(b: Broker): Promise<void> {
  b.proc.kill("SIGTERM");
  const bound = setTimeout(() => b.proc.kill("SIGKILL"), 5000);
  await b.proc.exited;
  clearTimeout(bound);
}

export function findNatsServer(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(":")) {
    if (dir && existsSync(join(dir, "nats-server"))) return join(dir, "nats-server");
  }
  return existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : undefined;
}

type Scenario = "fanout" | "chain";
type Mode = "throughput" | "latency";

/** A run of bench/lib/relay-workers.ts: `received` per subscriber connection. */
interface Measurement extends RunResult {
  system: System;
  scenario: Scenario;
  mode: Mode;
  frames: number;
}

interface Plan {
  rounds: number;
  throughputFrames: number;
  latencyFrames: number;
  warmup: number;
  rate: number;
  window: number;
}

async function measure(
  plan: Plan,
  system: System,
  scenario: Scenario,
  mode: Mode,
  brokers: Broker[],
): Promise<Measurement> {
  const frames = mode === "throughput" ? plan.throughputFrames : plan.latencyFrames;
  const k = scenario === "fanout" ? 3 : 1;
  const [first, last] = scenario === "fanout" ? [brokers[0], brokers[0]] : [brokers[0], brokers[1]];
  const workers: Worker[] = [];
  const ended = async () => Promise.all(workers.map((w) => w.end()));
  try {
    const sub = new Worker(
      {
        worker: "sub",
        from: last.endpoint,
        connections: k,
        frames,
        warmup: mode === "latency" ? plan.warmup : frames,
        latency: mode === "latency",
      },
      `${system} ${scenario} sub`,
    );
    workers.push(sub);
    let fwd: Worker | undefined;
    if (scenario === "chain") {
      const [from, to] = [first.endpoint, last.endpoint];
      fwd = new Worker({ worker: "fwd", from, to }, `${system} forwarder`);
      workers.push(fwd);
    }
    await Promise.all(workers.map((w) => w.next("ready", 15_000)));
    const to = first.endpoint; // a nats endpoint carries its subject: bench.fanout, or bench.hop1 -> bench.hop2
    const rate = mode === "latency" ? plan.rate : 0;
    const pub = await startPublisher(
      { to, frames, rate, window: plan.window },
      `${system} ${scenario} pub`,
      sub,
      workers,
    );

    const used = scenario === "fanout" ? [first] : [first, last];
    const pids: Record<string, number> = { pub: pub.proc.pid, sub: sub.proc.pid };
    if (fwd) pids.forwarder = fwd.proc.pid;
    for (const b of used) pids[b.label] = b.proc.pid;
    const sample = () => {
      for (const b of used) {
        b.rssPeakKb = Math.max(b.rssPeakKb, procStatusKb(b.proc.pid, "VmRSS"));
        b.anonPeakKb = Math.max(b.anonPeakKb, procStatusKb(b.proc.pid, "RssAnon"));
      }
    };
    const final = () => {
      for (const b of used) b.rssPeakKb = Math.max(b.rssPeakKb, procStatusKb(b.proc.pid, "VmRSS"));
    };
    const run = await runToDone(pub, sub, { frames, rate }, pids, sample, final);
    if (fwd) {
      fwd.tell({ cmd: "stop" });
      await fwd.next<FwdDone>("done", 10_000);
    }
    return { system, scenario, mode, frames, ...run };
  } finally {
    await ended();
  }
}

interface SideResult {
  throughputMsgPerSec: number | null;
  throughputRounds: number[];
  latencyUs: { p50: number; p99: number; p999: number } | null;
  latencyRounds: (Percentiles | null)[];
  /** Chain only: latency divided by the hops. */
  perHopLatencyUs?: { p50: number; p99: number; p999: number } | null;
  allFramesReceived: boolean;
  cpuMsPerMillionMsg: Record<string, number>;
}

function summarise(ms: Measurement[], scenario: Scenario): SideResult | null {
  if (ms.length === 0) return null;
  const tput = ms.filter((m) => m.mode === "throughput");
  const lats = ms.filter((m) => m.mode === "latency");
  const latencyRounds = lats.map((m) => m.latencyUs);
  const latencyUs = medianLatency(latencyRounds);
  const out: SideResult = {
    throughputMsgPerSec: tput.length ? median(tput.map((m) => m.msgPerSec)) : null,
    throughputRounds: tput.map((m) => m.msgPerSec),
    latencyUs,
    latencyRounds,
    allFramesReceived: ms.every(
      (m) => m.sequenceErrors === 0 && m.badFrames === 0 && m.received.every((n) => n === m.frames),
    ),
    cpuMsPerMillionMsg: cpuMsPerMillion(tput),
  };
  if (scenario === "chain") {
    out.perHopLatencyUs = latencyUs && {
      p50: round2(latencyUs.p50 / CHAIN_HOPS),
      p99: round2(latencyUs.p99 / CHAIN_HOPS),
      p999: round2(latencyUs.p999 / CHAIN_HOPS),
    };
  }
  return out;
}

interface Target {
  what: string;
  value: number;
  target: string;
  met: boolean;
}

export interface RelayBenchResult {
  benchmark: "relay";
  date: string;
  quick: boolean;
  machine: Record<string, unknown>;
  method: Record<string, unknown>;
  nats: { available: boolean; server?: string; version?: string; client?: string; note?: string };
  results: Record<Scenario, { ap: SideResult | null; nats: SideResult | null }>;
  rssMB: Record<string, { peakUnderLoad: number; highWater: number; anonPeakUnderLoad: number }>;
  targets: Target[];
  measurements: Measurement[];
  files: string[];
}

/** Runs both scenarios on ap (and nats-server when installed) and returns the result (also written as JSON). */
export async function benchRelay(options: BenchRelayOptions = {}): Promise<RelayBenchResult> {
  const quick = options.quick ?? false;
  const plan: Plan = quick
    ? { rounds: 1, throughputFrames: 20_000, latencyFrames: 3_000, warmup: 500, rate: 10_000, window: 8192 }
    : { rounds: 3, throughputFrames: 200_000, latencyFrames: 50_000, warmup: 20_000, rate: 10_000, window: 16_384 };
  const log = (line: string) => {
    if (!options.json && !options.quiet) process.stderr.write(`${line}\n`);
  };

  const natsInfo: RelayBenchResult["nats"] = { available: false };
  let natsBin: string | undefined;
  if (!options.noNats) {
    natsBin = findNatsServer();
    if (natsBin === undefined) {
      natsInfo.note = "nats-server not found on PATH or at /usr/sbin/nats-server";
      log(
        "nats-server is not installed: measuring ap only. To compare, install it (Debian package, as root):\n" +
          "  apt-get update && apt-get install -y nats-server      (or: sh scripts/install-bench-tools.sh)",
      );
    } else {
      try {
        await loadNats();
        natsInfo.available = true;
        natsInfo.server = natsBin;
        natsInfo.version = new TextDecoder()
          .decode(Bun.spawnSync({ cmd: [natsBin, "--version"] }).stdout)
          .trim()
          .replace(/^nats-server: /, "");
        const clientPkg = JSON.parse(
          readFileSync(join(REPO, "node_modules/@nats-io/transport-node/package.json"), "utf8"),
        );
        natsInfo.client = `@nats-io/transport-node ${clientPkg.version}`;
      } catch (e) {
        natsBin = undefined;
        natsInfo.note = `the nats client did not load: ${e instanceof Error ? e.message : e}`;
        log(`the nats client (@nats-io/transport-node) did not load; run \`npm install\`. Measuring ap only.`);
      }
    }
  }

  const tmp = mkdtempSync(join(tmpdir(), "ap-bench-relay-"));
  const brokers: Broker[] = [];
  const measurements: Measurement[] = [];
  try {
    const ap = {
      fanout: [await startRelay("relay", join(tmp, "market-data.sock"))],
      chain: [
        await startRelay("relay 1", join(tmp, "hop1", "market-data.sock")),
        await startRelay("relay 2", join(tmp, "hop2", "market-data.sock")),
      ],
    };
    brokers.push(...ap.fanout, ...ap.chain);
    let nats: typeof ap | undefined;
    if (natsBin) {
      nats = {
        fanout: [await startNats("nats-server", natsBin, "bench.fanout")],
        chain: [
          await startNats("nats-server 1", natsBin, "bench.hop1"),
          await startNats("nats-server 2", natsBin, "bench.hop2"),
        ],
      };
      brokers.push(...nats.fanout, ...nats.chain);
    }

    for (let round = 0; round < plan.rounds; round++) {
      // Alternate which system goes first, so a burst of load from another process does not always hit one.
      const systems: System[] = nats ? (round % 2 === 0 ? ["ap", "nats"] : ["nats", "ap"]) : ["ap"];
      for (const scenario of ["fanout", "chain"] as const) {
        for (const mode of ["throughput", "latency"] as const) {
          for (const system of systems) {
            const set = system === "ap" ? ap : nats!;
            const m = await measure(plan, system, scenario, mode, set[scenario]);
            measurements.push(m);
            log(
              `round ${round + 1}/${plan.rounds} ${system.padEnd(4)} ${scenario.padEnd(6)} ${mode.padEnd(10)} ` +
                (mode === "throughput"
                  ? `${m.msgPerSec.toLocaleString("en-US")} msg/s`
                  : `p50 ${m.latencyUs?.p50} us  p99 ${m.latencyUs?.p99} us  p99.9 ${m.latencyUs?.p999} us`),
            );
          }
        }
      }
    }
  } finally {
    const hwm = brokers.map((b) => procStatusKb(b.proc.pid, "VmHWM"));
    await Promise.all(brokers.map(stopBroker));
    brokers.forEach((b, i) => {
      (b as Broker & { hwmKb: number }).hwmKb = hwm[i];
    });
    rmSync(tmp, { recursive: true, force: true });
  }

  const pick = (system: System, scenario: Scenario) =>
    summarise(
      measurements.filter((m) => m.system === system && m.scenario === scenario),
      scenario,
    );
  const results: RelayBenchResult["results"] = {
    fanout: { ap: pick("ap", "fanout"), nats: pick("nats", "fanout") },
    chain: { ap: pick("ap", "chain"), nats: pick("nats", "chain") },
  };
  const rssMB: RelayBenchResult["rssMB"] = {};
  for (const b of brokers) {
    rssMB[b.label] = {
      peakUnderLoad: round2(b.rssPeakKb / 1024),
      highWater: round2((b as Broker & { hwmKb: number }).hwmKb / 1024),
      anonPeakUnderLoad: round2(b.anonPeakKb / 1024),
    };
  }

  const out: RelayBenchResult = {
    benchmark: "relay",
    date: new Date().toISOString(),
    quick,
    machine: machine(),
    method: {
      ...plan,
      frame: "one Trade TLV, 98 bytes (Protocol V2), the same bytes as the NATS message body",
      clock: "CLOCK_MONOTONIC shared by all processes (bun:ffi, offset to Bun.nanoseconds() calibrated per process)",
      timestamp:
        "Trade.exchange_ts_ns = publisher's monotonic ns written into the built frame (CRC re-sealed) right before the send",
      placement:
        "one process each: relay / nats-server, publisher, subscriber (its 3 connections in one process), " +
        "forwarder; not pinned: the kernel schedules them over the cores",
      throughput:
        "publisher sends as fast as its client's backpressure and a credit window (frames not yet received by " +
        "the slowest subscriber) allow; msg/s = frames / (last subscriber complete - first send)",
      latency: `paced at ${plan.rate} msg/s (clock_nanosleep to absolute send times); first ${plan.warmup} frames not recorded`,
      perHop: `chain latency / ${CHAIN_HOPS} (relay 1, forwarder, relay 2)`,
      statistic: "median of rounds; rounds alternate which system goes first",
      natsWork:
        "nats subscribers and forwarder check each frame (FrameParser.check, CRC-32) as a BusClient's framer does",
    },
    nats: natsInfo,
    results,
    rssMB,
    targets: [],
    measurements,
    files: [],
  };
  out.targets = targets(out);

  const outDir = options.outDir ?? (quick ? undefined : join(import.meta.dir, "results"));
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true });
    const text = `${JSON.stringify(out, null, 2)}\n`;
    const files = [
      join(outDir, `relay-${out.date.slice(0, 19).replace(/:/g, "-")}.json`),
      join(outDir, "relay-latest.json"),
    ];
    out.files = files;
    for (const f of files) writeFileSync(f, `${JSON.stringify(out, null, 2)}\n`);
    void text;
  }
  if (options.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else if (!options.quiet) process.stdout.write(table(out));
  return out;
}

function targets(r: RelayBenchResult): Target[] {
  const list: Target[] = [];
  const add = (what: string, value: number | null | undefined, target: string, met: (v: number) => boolean) => {
    if (value !== null && value !== undefined && !Number.isNaN(value))
      list.push({ what, value, target, met: met(value) });
  };
  for (const scenario of ["fanout", "chain"] as const) {
    const { ap, nats } = r.results[scenario];
    if (ap?.throughputMsgPerSec && nats?.throughputMsgPerSec) {
      add(
        `${scenario} throughput ap / nats`,
        round2(ap.throughputMsgPerSec / nats.throughputMsgPerSec),
        ">= 1",
        (v) => v >= 1,
      );
    }
  }
  const hop = r.results.chain.ap?.perHopLatencyUs;
  add("per-hop latency p50 (us, chain / 3)", hop?.p50, "<= 40", (v) => v <= 40);
  add("per-hop latency p99 (us, chain / 3)", hop?.p99, "<= 150", (v) => v <= 150);
  for (const [label, rss] of Object.entries(r.rssMB)) {
    if (label.startsWith("relay")) add(`${label} RSS under load (MB)`, rss.peakUnderLoad, "< 50", (v) => v < 50);
  }
  return list;
}

function table(r: RelayBenchResult): string {
  const fmtN = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toLocaleString("en-US"));
  const fmtUs = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toFixed(1));
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a === null || a === undefined || !b ? "-" : (a / b).toFixed(2);
  const rows: string[][] = [];
  for (const scenario of ["fanout", "chain"] as const) {
    const { ap, nats } = r.results[scenario];
    const name = scenario === "fanout" ? "fan-out 1->3" : "chain 3-hop";
    rows.push([
      name,
      "throughput msg/s",
      fmtN(ap?.throughputMsgPerSec),
      fmtN(nats?.throughputMsgPerSec),
      ratio(ap?.throughputMsgPerSec, nats?.throughputMsgPerSec),
    ]);
    for (const q of ["p50", "p99", "p999"] as const) {
      const label = `latency ${q === "p999" ? "p99.9" : q} us`;
      rows.push([
        name,
        label,
        fmtUs(ap?.latencyUs?.[q]),
        fmtUs(nats?.latencyUs?.[q]),
        ratio(ap?.latencyUs?.[q], nats?.latencyUs?.[q]),
      ]);
    }
    if (scenario === "chain") {
      for (const q of ["p50", "p99", "p999"] as const) {
        const label = `per hop ${q === "p999" ? "p99.9" : q} us`;
        rows.push([
          name,
          label,
          fmtUs(ap?.perHopLatencyUs?.[q]),
          fmtUs(nats?.perHopLatencyUs?.[q]),
          ratio(ap?.perHopLatencyUs?.[q], nats?.perHopLatencyUs?.[q]),
        ]);
      }
    }
  }
  const rss = r.rssMB;
  const pairs: [string, string, string][] = [
    ["fan-out relay", "relay", "nats-server"],
    ["chain relay 1", "relay 1", "nats-server 1"],
    ["chain relay 2", "relay 2", "nats-server 2"],
  ];
  for (const [what, a, n] of pairs) {
    const x = rss[a]?.peakUnderLoad;
    const y = rss[n]?.peakUnderLoad;
    rows.push(["RSS under load", `${what} MB`, fmtUs(x), fmtUs(y), ratio(x, y)]);
    const xa = rss[a]?.anonPeakUnderLoad;
    const ya = rss[n]?.anonPeakUnderLoad;
    rows.push(["RSS under load", `  of it RssAnon MB`, fmtUs(xa), fmtUs(ya), ratio(xa, ya)]);
  }
  const head = ["scenario", "metric", "ap", "nats", "ap/nats"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const m = r.machine;
  let s = `relay benchmark - ${m.cpuModel}, ${m.cores} cores, Bun ${m.bun}; nats-server ${r.nats.version ?? "(not installed)"}, ${r.nats.client ?? ""}${r.quick ? " (quick: rough numbers)" : ""}\n`;
  s += `${line(head)}\n${line(widths.map((w) => "-".repeat(w)))}\n`;
  let prev = "";
  for (const row of rows) {
    if (prev && row[0] !== prev) s += "\n";
    prev = row[0];
    s += `${line(row)}\n`;
  }
  s +=
    "ap/nats: throughput > 1 = ap faster; latency and RSS < 1 = ap lower. Medians of rounds; 98-byte Trade frames.\n";
  s += `latency at ${r.method.rate} msg/s offered, publisher send -> subscriber receive (all 3 subscribers' samples);`;
  s += ` per hop = chain / ${CHAIN_HOPS}.\n`;
  const cpuLine = (label: string, x: SideResult | null) =>
    x
      ? `  ${label}: ${Object.entries(x.cpuMsPerMillionMsg)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}\n`
      : "";
  s += "CPU ms per million frames at max rate (from /proc, 10 ms ticks):\n";
  s += cpuLine("ap fan-out", r.results.fanout.ap) + cpuLine("nats fan-out", r.results.fanout.nats);
  s += cpuLine("ap chain", r.results.chain.ap) + cpuLine("nats chain", r.results.chain.nats);
  const lost = (["fanout", "chain"] as const).flatMap((sc) =>
    (["ap", "nats"] as const)
      .filter((sy) => r.results[sc][sy] && !r.results[sc][sy]!.allFramesReceived)
      .map((sy) => `${sy} ${sc}`),
  );
  s += lost.length
    ? `NOT ALL FRAMES RECEIVED in order: ${lost.join(", ")}\n`
    : "every subscriber received every frame, in order.\n";
  s += "targets (issue 4):\n";
  for (const x of r.targets)
    s += `  ${x.met ? "ok    " : "MISSED"}  ${x.what}: ${x.value.toLocaleString("en-US")} (${x.target})\n`;
  if (r.files.length) s += `wrote ${r.files.join(", ")}\n`;
  return s;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const w = args.indexOf("--worker");
  if (w >= 0) await runWorker(JSON.parse(args[w + 1]) as WorkerSpec);
  else
    await benchRelay({
      quick: args.includes("--quick"),
      json: args.includes("--json"),
      noNats: args.includes("--no-nats"),
    });
}
