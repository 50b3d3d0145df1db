/**
 * Drives the publisher and subscriber workers of bench/relay.ts from another benchmark, so every bench measures
 * with the very same code: `bun bench/relay.ts --worker <spec>` children talking over Bun IPC, the shared
 * CLOCK_MONOTONIC (bun:ffi, offset calibrated per process), the paced publisher (clock_nanosleep to absolute send
 * times), Trade.exchange_ts_ns as the send time, the subscriber's sequence check and percentiles. bench/relay.ts
 * exports none of those; its `--worker` entry point is the interface, and the spec / message shapes below mirror
 * its WorkerSpec / ToWorker / FromWorker (bench/relay.ts, "workers").
 *
 * Also: one measured run (startPublisher, runToDone) and what is made of it (latency in us, medians over rounds,
 * CPU per million), child processes with a ready line (relays, bridges, nats-server), /proc readers (RSS, CPU),
 * machine info.
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { machine as baseMachine, median, type Percentiles, round2 } from "./results.ts";

export const REPO = join(import.meta.dir, "../..");
const RELAY_BENCH = join(REPO, "bench/relay.ts");

// ---- bench/relay.ts's worker protocol ----------------------------------------------------------------------------

/** A relay socket, or a nats server (`127.0.0.1:port`) and subject. */
export interface Endpoint {
  system: "ap" | "nats";
  socket?: string;
  url?: string;
  subject?: string;
}
export interface PubSpec {
  worker: "pub";
  to: Endpoint;
  frames: number;
  /** 0: as fast as backpressure and the window allow; else frames per second, paced. */
  rate: number;
  /** Most frames sent and not yet acknowledged by the subscriber (its progress reports, every 4096 frames). */
  window: number;
}
export interface SubSpec {
  worker: "sub";
  from: Endpoint;
  connections: number;
  frames: number;
  /** Latency recorded for frames with a sequence above this. */
  warmup: number;
  latency: boolean;
}
/** Forwards everything from one endpoint to another (the chain's middle hop). */
export interface FwdSpec {
  worker: "fwd";
  from: Endpoint;
  to: Endpoint;
}
export type WorkerSpec = PubSpec | SubSpec | FwdSpec;
export type ToWorker = { cmd: "go" } | { cmd: "ack"; n: number } | { cmd: "stop" };
export type { Percentiles } from "./results.ts";
export interface PubDone {
  ev: "done";
  /** CLOCK_MONOTONIC ns: first send, and everything flushed. */
  t0: number;
  t1: number;
  sent: number;
  refused: number;
}
export interface SubDone {
  ev: "done";
  tDone: number;
  received: number[];
  sequenceErrors: number;
  badFrames: number;
  /** ns, publisher send to subscriber receive. */
  latencyNs: Percentiles | null;
}
export interface FwdDone {
  ev: "done";
  forwarded: number;
  refused: number;
}
export type FromWorker =
  | { ev: "ready" }
  | { ev: "progress"; n: number }
  | { ev: "error"; message: string }
  | PubDone
  | SubDone
  | FwdDone;

/** Fails a wait that should have been met long before: a bound, never a way to wait for something. */
export class BenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BenchError";
  }
}

/** A `bench/relay.ts --worker` child. */
export class RelayWorker {
  readonly proc: Subprocess;
  readonly label: string;
  onProgress: ((n: number) => void) | undefined;
  private readonly queued: FromWorker[] = [];
  private waiter: { ev: string; resolve: (m: FromWorker) => void; reject: (e: Error) => void } | undefined;
  private failure: Error | undefined;
  private exiting = false;

  constructor(spec: WorkerSpec, label: string) {
    this.label = label;
    this.proc = Bun.spawn({
      cmd: [process.execPath, RELAY_BENCH, "--worker", JSON.stringify(spec)],
      stdin: "ignore",
      stdout: "ignore",
      stderr: "inherit",
      serialization: "json",
      ipc: (message: FromWorker) => this.onMessage(message),
    });
    this.proc.exited.then((code) => {
      if (!this.exiting) this.fail(new BenchError(`worker ${label} exited (code ${code}) before it was done`));
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.ev === "progress") this.onProgress?.(m.n);
    else if (m.ev === "error") this.fail(new BenchError(`worker ${this.label} failed: ${m.message}`));
    else if (this.waiter?.ev === m.ev) {
      const w = this.waiter;
      this.waiter = undefined;
      w.resolve(m);
    } else this.queued.push(m);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(e);
  }

  /** The next message `ev`; rejects if the worker fails, exits, or takes longer than `withinMs`. */
  next<T extends FromWorker>(ev: T["ev"], withinMs: number): Promise<T> {
    const i = this.queued.findIndex((m) => m.ev === ev);
    if (i >= 0) return Promise.resolve(this.queued.splice(i, 1)[0] as T);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new BenchError(`worker ${this.label}: no "${ev}" within ${withinMs} ms`));
      }, withinMs);
      this.waiter = {
        ev,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  tell(m: ToWorker): void {
    this.proc.send(m);
  }

  /** Asks the worker to exit (after its last message); SIGKILL if it has not within 5 s. */
  async end(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.exiting = true;
    try {
      this.proc.send({ cmd: "stop" } satisfies ToWorker);
    } catch {
      // the channel is already closed: it is exiting
    }
    const bound = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await this.proc.exited;
    clearTimeout(bound);
  }
}

// ---- long-lived children with a ready line -----------------------------------------------------------------------

/**
 * A child process whose output is read line by line for its whole life (a full pipe would block it): the last lines
 * are kept for a failure report, and `waitLine` resolves at the first line (from now on, or already seen) a
 * predicate accepts.
 */
export class LineChild {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  readonly tail: string[] = [];
  private readonly seen: string[] = [];
  private readonly waiters: { test: (line: string) => boolean; resolve: (line: string) => void }[] = [];

  constructor(
    readonly label: string,
    cmd: string[],
    env: Record<string, string | undefined>,
  ) {
    this.proc = Bun.spawn({ cmd, stdin: "ignore", stdout: "pipe", stderr: "pipe", env });
    void this.pump(this.proc.stdout);
    void this.pump(this.proc.stderr);
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of stream) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl = buffered.indexOf("\n");
      while (nl >= 0) {
        this.line(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
        nl = buffered.indexOf("\n");
      }
    }
    if (buffered) this.line(buffered);
  }

  private line(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 20) this.tail.shift();
    this.seen.push(line);
    if (this.seen.length > 200) this.seen.shift();
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i];
      if (w.test(line)) {
        this.waiters.splice(i, 1);
        w.resolve(line);
      }
    }
  }

  /** The first line from now on that `test` accepts (or one of the last 200 seen when `past`); bounded. */
  waitLine(test: (line: string) => boolean, withinMs: number, past = true): Promise<string> {
    if (past) {
      const found = this.seen.find(test);
      if (found !== undefined) return Promise.resolve(found);
    }
    return new Promise<string>((resolve, reject) => {
      const fail = (why: string) =>
        reject(new BenchError(`${this.label}: ${why}; last output:\n  ${this.tail.join("\n  ")}`));
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        fail(`no expected line within ${withinMs} ms`);
      }, withinMs);
      const waiter = {
        test,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      this.waiters.push(waiter);
      this.proc.exited.then((code) => {
        if (this.waiters.includes(waiter)) {
          clearTimeout(timer);
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          fail(`exited (${code})`);
        }
      });
    });
  }

  /** SIGTERM, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.proc.kill("SIGTERM");
    const bound = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await this.proc.exited;
    clearTimeout(bound);
  }
}

// ---- /proc and machine -------------------------------------------------------------------------------------------

export function procStatusKb(pid: number, field: "VmRSS" | "VmHWM" | "RssAnon"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // the process is gone, or this is not Linux
  }
}

/** utime + stime of a process in ms (clock ticks of 10 ms: rough, good over a second or more). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

/** results.ts's machine() and the load average when the run started. */
export function machine(): Record<string, unknown> {
  let loadavg = "";
  try {
    loadavg = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  } catch {
    // not Linux
  }
  return { ...baseMachine(), loadavgAtStart: loadavg };
}

export { median, round2 };

// ---- one measured run --------------------------------------------------------------------------------------------

/** A publisher to `to` for the ready subscriber `sub`, added to `workers` (to be ended), ready, fed sub's credits. */
export async function startPublisher(
  spec: Omit<PubSpec, "worker">,
  label: string,
  sub: RelayWorker,
  workers: RelayWorker[],
): Promise<RelayWorker> {
  const pub = new RelayWorker({ worker: "pub", ...spec }, label);
  workers.push(pub);
  await pub.next("ready", 15_000);
  sub.onProgress = (n) => pub.tell({ cmd: "ack", n });
  return pub;
}

export interface RunResult {
  /** Frames per second that every subscriber received: frames / (last subscriber done - first send). */
  msgPerSec: number;
  /** Microseconds, publisher send to subscriber receive (latency mode). */
  latencyUs: Percentiles | null;
  sequenceErrors: number;
  badFrames: number;
  /** Frames received per subscriber connection. */
  received: number[];
  /** CPU ms used during the measurement, per process. */
  cpuMs: Record<string, number>;
}

/**
 * Lets `pub` go and waits until it and `sub` are done, calling `sample` every 20 ms meanwhile and `last` after;
 * returns what a measurement records of it, with the CPU ms each process of `pids` used.
 */
export async function runToDone(
  pub: RelayWorker,
  sub: RelayWorker,
  spec: { frames: number; rate: number },
  pids: Record<string, number>,
  sample: () => void,
  last: () => void,
): Promise<RunResult> {
  const cpu0 = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid)]));
  const sampler = setInterval(sample, 20);
  pub.tell({ cmd: "go" });
  // Generous bounds, never reached on a sane machine: paced runs take frames / rate; max rate is > 20k msg/s.
  const { frames, rate } = spec;
  const within = rate > 0 ? (frames / rate) * 1000 + 30_000 : 60_000 + frames / 10;
  const [subDone, pubDone] = await Promise.all([sub.next<SubDone>("done", within), pub.next<PubDone>("done", within)]);
  clearInterval(sampler);
  last();
  const cpu = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuMs(pid) - cpu0[name]]));
  return {
    msgPerSec: Math.round(frames / ((subDone.tDone - pubDone.t0) / 1e9)),
    latencyUs: toLatencyUs(subDone.latencyNs),
    sequenceErrors: subDone.sequenceErrors,
    badFrames: subDone.badFrames + pubDone.refused,
    received: subDone.received,
    cpuMs: cpu,
  };
}

// ---- what the orchestrators make of the workers' reports ---------------------------------------------------------

/** A subscriber's latency percentiles (ns) in microseconds rounded to 0.01. */
export function toLatencyUs(lat: Percentiles | null): Percentiles | null {
  return (
    lat && {
      p50: round2(lat.p50 / 1000),
      p99: round2(lat.p99 / 1000),
      p999: round2(lat.p999 / 1000),
      max: round2(lat.max / 1000),
      samples: lat.samples,
    }
  );
}

/** The median over rounds of p50, p99 and p999; null when no round measured latency. */
export function medianLatency(rounds: (Percentiles | null)[]): { p50: number; p99: number; p999: number } | null {
  const got = rounds.filter((x): x is Percentiles => x !== null);
  return got.length
    ? {
        p50: median(got.map((x) => x.p50)),
        p99: median(got.map((x) => x.p99)),
        p999: median(got.map((x) => x.p999)),
      }
    : null;
}

/** CPU ms per million messages by process: the median over the throughput rounds. */
export function cpuMsPerMillion(tput: { frames: number; cpuMs: Record<string, number> }[]): Record<string, number> {
  const cpu: Record<string, number[]> = {};
  for (const m of tput) for (const [k, v] of Object.entries(m.cpuMs)) (cpu[k] ??= []).push((v / m.frames) * 1e6);
  return Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(median(v))]));
}
