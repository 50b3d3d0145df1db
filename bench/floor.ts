/**
 * `ap bench floor`: what this machine and runtime allow, measured in one run, as the floors under ap's own figures
 * (bench/README.md "Floor"):
 *
 *   raw socket chain   publisher -> 3 forwarding processes -> subscriber over unix sockets with Bun's own socket API
 *                      and nothing else (no framing, no checks, no queues, no handshake): the latency a chain of Bun
 *                      processes pays before any work of ours. At 10k msg/s (the relay bench's chain: per hop = chain
 *                      / 3) and at 1k msg/s (the pipeline bench's rate), with the same warm-up as those benches.
 *   write() cost       one 98-byte write to a unix socket whose reader is asleep in another process: the syscall
 *                      that wakes it, paid by every hop's sender.
 *   clock reads        Bun.nanoseconds(), performance.now(), Date.now(): what stamping a frame costs.
 *   idle RSS           a bare `bun` process and an ap relay, idle: VmRSS, of it the mapped executable (RssFile)
 *                      and private memory (RssAnon).
 *
 *   node_modules/.bin/bun bench/floor.ts            # ~1 min, table + bench/results/floor-*.json
 *   node_modules/.bin/bun bench/floor.ts --quick    # short, rough numbers, writes nothing
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "bun";
import { calibrateClock, monoNs, preciseTimerSlack, sleepUntil } from "./lib/clock.ts";
import { machine } from "./lib/relay-workers.ts";
import { type Percentiles, percentilesUs, writeResults } from "./lib/results.ts";

const RECORD = 98; // the size of the Trade frame the relay bench sends
const ROOT = join(import.meta.dir, "..");

export interface BenchFloorOptions {
  quick?: boolean;
  json?: boolean;
  outDir?: string;
  quiet?: boolean;
}

export interface FloorResult {
  benchmark: "floor";
  date: string;
  quick: boolean;
  machine: Record<string, unknown>;
  method: Record<string, unknown>;
  results: {
    rawChainUs: {
      at10k: Percentiles;
      at10kPerHop: { p50: number; p99: number; p999: number };
      at1k: Percentiles;
      rounds: { at10k: Percentiles[]; at1k: Percentiles[] };
    };
    writeCostUs: Percentiles;
    clockReadNs: Record<string, number>;
    idleRssMB: Record<string, { rssMB: number; fileMB: number; anonMB: number }>;
  };
}

// ---- workers: `bun bench/floor.ts --worker <kind> ...` ---------------------------------------------------------

/** Writes everything, keeping what the kernel did not take for the next drain (a raw forwarder still must not lose bytes). */
class RawOut {
  private pending: Uint8Array[] = [];
  constructor(readonly socket: Socket<undefined>) {}
  write(bytes: Uint8Array): void {
    if (this.pending.length > 0) {
      this.pending.push(bytes.slice());
      return;
    }
    const n = this.socket.write(bytes);
    if (n < bytes.length) this.pending.push(bytes.slice(Math.max(0, n)));
  }
  drain(): void {
    while (this.pending.length > 0) {
      const head = this.pending[0];
      const n = this.socket.write(head);
      if (n < head.length) {
        this.pending[0] = head.slice(Math.max(0, n));
        return;
      }
      this.pending.shift();
    }
  }
}

async function connectWhenListening(path: string, onDrain?: () => void): Promise<Socket<undefined>> {
  return Bun.connect({ unix: path, socket: { data() {}, drain: () => onDrain?.() } });
}

/** Listens on `inPath`, forwards every chunk unchanged to `outPath`. */
async function runForwarder(inPath: string, outPath: string): Promise<void> {
  let out: RawOut | undefined;
  const socket = await connectWhenListening(outPath, () => out?.drain());
  out = new RawOut(socket);
  const o = out;
  Bun.listen({ unix: inPath, socket: { data: (_s, chunk) => o.write(chunk) } });
  console.log("ready");
}

/** Listens on `path`, cuts the stream into records, and reports percentiles of (now - the record's send time). */
function runSink(path: string, frames: number, warmup: number): void {
  calibrateClock();
  const lat = new Float64Array(frames - warmup);
  const carry = new Uint8Array(RECORD);
  let carried = 0;
  let n = 0;
  const record = (bytes: Uint8Array, at: number, now: number) => {
    if (n >= warmup && n < frames) {
      const lo = (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
      const hi = (bytes[at + 4] | (bytes[at + 5] << 8) | (bytes[at + 6] << 16) | (bytes[at + 7] << 24)) >>> 0;
      lat[n - warmup] = now - (lo + hi * 4294967296);
    }
    if (++n === frames) {
      console.log(JSON.stringify(percentilesUs(lat)));
      process.exit(0);
    }
  };
  Bun.listen({
    unix: path,
    socket: {
      data(_s, chunk) {
        const now = monoNs();
        let p = 0;
        if (carried > 0) {
          const take = Math.min(RECORD - carried, chunk.length);
          carry.set(chunk.subarray(0, take), carried);
          carried += take;
          p = take;
          if (carried < RECORD) return;
          record(carry, 0, now);
          carried = 0;
        }
        for (; p + RECORD <= chunk.length; p += RECORD) record(chunk, p, now);
        if (p < chunk.length) {
          carry.set(chunk.subarray(p), 0);
          carried = chunk.length - p;
        }
      },
    },
  });
  console.log("ready");
}

/** Sends `frames` records at `rate` per second, each stamped with its send time right before its write. */
async function runPublisher(path: string, frames: number, rate: number): Promise<void> {
  preciseTimerSlack();
  calibrateClock();
  let out: RawOut | undefined;
  const socket = await connectWhenListening(path, () => out?.drain());
  out = new RawOut(socket);
  const buf = new Uint8Array(RECORD);
  const dv = new DataView(buf.buffer);
  const period = 1e9 / rate;
  const t0 = monoNs() + 1e6;
  for (let i = 0; i < frames; i++) {
    sleepUntil(t0 + i * period);
    const t = Math.round(monoNs());
    const lo = t % 4294967296;
    dv.setUint32(0, lo, true);
    dv.setUint32(4, (t - lo) / 4294967296, true);
    out.write(buf);
    // let the event loop run (socket events) between sends, as a service would
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  console.log("done");
}

/** A reader that discards everything (the write-cost peer). */
function runNullReader(path: string): void {
  Bun.listen({ unix: path, socket: { data() {} } });
  console.log("ready");
}

// ---- the orchestrating process -----------------------------------------------------------------------------------

interface Child {
  proc: ReturnType<typeof Bun.spawn>;
  lines: AsyncIterator<string>;
}

async function* linesOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = "";
  for await (const chunk of stream) {
    buffered += decoder.decode(chunk, { stream: true });
    for (let nl = buffered.indexOf("\n"); nl >= 0; nl = buffered.indexOf("\n")) {
      yield buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
    }
  }
}

function spawnWorker(args: string[]): Child {
  const proc = Bun.spawn([process.execPath, join(import.meta.dir, "floor.ts"), "--worker", ...args], {
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  return { proc, lines: linesOf(proc.stdout as ReadableStream<Uint8Array>)[Symbol.asyncIterator]() };
}

async function nextLine(c: Child, what: string): Promise<string> {
  const r = await c.lines.next();
  if (r.done) throw new Error(`floor bench: ${what} exited (code ${await c.proc.exited}) without its line`);
  return r.value;
}

/** One run of the raw chain: sink, 3 forwarders, publisher, each its own process. Returns the sink's percentiles. */
async function rawChain(frames: number, warmup: number, rate: number): Promise<Percentiles> {
  const dir = mkdtempSync(join(tmpdir(), "ap-bench-floor-"));
  const sock = (k: number) => join(dir, `c${k}.sock`);
  const children: Child[] = [];
  try {
    const sink = spawnWorker(["sink", sock(3), String(frames), String(warmup)]);
    children.push(sink);
    await nextLine(sink, "sink");
    for (let k = 2; k >= 0; k--) {
      const fwd = spawnWorker(["fwd", sock(k), sock(k + 1)]);
      children.push(fwd);
      await nextLine(fwd, `forwarder ${k}`);
    }
    const pub = spawnWorker(["pub", sock(0), String(frames), String(rate)]);
    children.push(pub);
    const result = JSON.parse(await nextLine(sink, "sink")) as Percentiles;
    await nextLine(pub, "publisher");
    return result;
  } finally {
    for (const c of children) c.proc.kill();
    await Promise.all(children.map((c) => c.proc.exited));
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The cost of one write() to a unix socket whose reader (another process) sleeps, at one write per ms. */
async function writeCost(writes: number): Promise<Percentiles> {
  const dir = mkdtempSync(join(tmpdir(), "ap-bench-floor-"));
  const path = join(dir, "w.sock");
  const reader = spawnWorker(["null", path]);
  try {
    await nextLine(reader, "reader");
    preciseTimerSlack();
    calibrateClock();
    const socket = await connectWhenListening(path);
    const buf = new Uint8Array(RECORD);
    const ns = new Float64Array(writes);
    const t0 = monoNs() + 1e6;
    for (let i = 0; i < writes; i++) {
      sleepUntil(t0 + i * 1e6);
      const t = Bun.nanoseconds();
      socket.write(buf);
      ns[i] = Bun.nanoseconds() - t;
    }
    socket.end();
    return percentilesUs(ns.subarray(Math.floor(writes / 5)));
  } finally {
    reader.proc.kill();
    await reader.proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

function clockReads(quick: boolean): Record<string, number> {
  const n = quick ? 1_000_000 : 5_000_000;
  const clocks: Record<string, () => number> = {
    "Bun.nanoseconds()": () => Bun.nanoseconds(),
    "performance.now()": () => performance.now(),
    "Date.now()": () => Date.now(),
  };
  const out: Record<string, number> = {};
  let sink = 0;
  for (const [name, read] of Object.entries(clocks)) {
    for (let i = 0; i < n / 10; i++) sink += read();
    const t = Bun.nanoseconds();
    for (let i = 0; i < n; i++) sink += read();
    out[name] = Math.round(((Bun.nanoseconds() - t) / n) * 10) / 10;
  }
  if (sink === 0) console.log(""); // keep the loops
  return out;
}

function statusKb(pid: number): { rss: number; file: number; anon: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? 0);
  return { rss: kb("VmRSS"), file: kb("RssFile"), anon: kb("RssAnon") };
}

/** VmRSS of an idle process 500 ms after its ready line. */
async function idleRss(cmd: string[]): Promise<{ rssMB: number; fileMB: number; anonMB: number }> {
  const dir = mkdtempSync(join(tmpdir(), "ap-bench-floor-"));
  const proc = Bun.spawn(
    cmd.map((a) => a.replace("$DIR", dir)),
    {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "ignore",
      env: { ...process.env, AP_LOG_LEVEL: "1" },
    },
  );
  try {
    const lines = linesOf(proc.stdout as ReadableStream<Uint8Array>)[Symbol.asyncIterator]();
    await lines.next(); // its ready line
    await Bun.sleep(500); // let start-up settle: this measures a state, not a wait for an event
    const k = statusKb(proc.pid);
    const mb = (x: number) => Math.round((x / 1024) * 10) / 10;
    return { rssMB: mb(k.rss), fileMB: mb(k.file), anonMB: mb(k.anon) };
  } finally {
    proc.kill();
    await proc.exited;
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchFloor(options: BenchFloorOptions = {}): Promise<FloorResult> {
  const quick = options.quick ?? false;
  const fast = quick ? { frames: 6000, warmup: 2000 } : { frames: 50_000, warmup: 20_000 };
  const slow = quick ? { frames: 1500, warmup: 300 } : { frames: 6500, warmup: 2500 };
  const rounds = quick ? 1 : 3;
  const median = (xs: Percentiles[]): Percentiles => {
    const m = (k: keyof Percentiles) => {
      const v = xs.map((x) => x[k]).sort((a, b) => a - b);
      return v[Math.floor(v.length / 2)];
    };
    return { p50: m("p50"), p99: m("p99"), p999: m("p999"), max: m("max"), samples: m("samples") };
  };
  const at10k: Percentiles[] = [];
  const at1k: Percentiles[] = [];
  for (let r = 0; r < rounds; r++) {
    at10k.push(await rawChain(fast.frames, fast.warmup, 10_000));
    at1k.push(await rawChain(slow.frames, slow.warmup, 1_000));
  }
  const chain10k = median(at10k);
  const chain1k = median(at1k);
  const perHop = (x: number) => Math.round((x / 3) * 100) / 100;
  const out: FloorResult = {
    benchmark: "floor",
    date: new Date().toISOString(),
    quick,
    machine: machine(),
    method: {
      rawChain:
        "publisher -> 3 forwarders -> subscriber, each its own process, Bun.listen/Bun.connect unix sockets, chunks forwarded unchanged; 98-byte records stamped with CLOCK_MONOTONIC right before each write; paced with clock_nanosleep",
      rounds,
      at10k: fast,
      at1k: slow,
      writeCost: "one 98-byte write() to a unix socket whose reader sleeps in another process, 1 per ms",
      idleRss: "VmRSS / RssFile / RssAnon 500 ms after the ready line",
    },
    results: {
      rawChainUs: {
        at10k: chain10k,
        at10kPerHop: { p50: perHop(chain10k.p50), p99: perHop(chain10k.p99), p999: perHop(chain10k.p999) },
        at1k: chain1k,
        rounds: { at10k, at1k },
      },
      writeCostUs: await writeCost(quick ? 500 : 3000),
      clockReadNs: clockReads(quick),
      idleRssMB: {
        bun: await idleRss([process.execPath, "-e", "console.log('ready'); setInterval(() => {}, 1000)"]),
        relay: await idleRss([
          process.execPath,
          join(ROOT, "src/behavior/relay/main.ts"),
          "--domain",
          "market-data",
          "--socket",
          "$DIR/md.sock",
        ]),
      },
    },
  };
  const dir = options.outDir ?? (quick ? undefined : join(import.meta.dir, "results"));
  if (dir !== undefined) writeResults(dir, "floor", out);
  if (options.quiet) return out;
  if (options.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else process.stdout.write(table(out));
  return out;
}

function table(out: FloorResult): string {
  const r = out.results;
  const m = out.machine;
  const row = (name: string, l: Percentiles) =>
    `${name.padEnd(46)}${String(l.p50).padStart(9)}${String(l.p99).padStart(9)}${String(l.p999).padStart(10)}${String(l.samples).padStart(9)}\n`;
  let s = `floor benchmark - ${m.cpuModel}, ${m.cores} cores, Bun ${m.bun}${out.quick ? " (quick: rough numbers)" : ""}\n`;
  s += `${"case (us)".padEnd(46)}${"p50".padStart(9)}${"p99".padStart(9)}${"p99.9".padStart(10)}${"samples".padStart(9)}\n`;
  s += row("raw socket chain, 3 forwarders, 10k msg/s", r.rawChainUs.at10k);
  const h = r.rawChainUs.at10kPerHop;
  s += `${"  per hop (chain / 3)".padEnd(46)}${String(h.p50).padStart(9)}${String(h.p99).padStart(9)}${String(h.p999).padStart(10)}\n`;
  s += row("raw socket chain, 3 forwarders, 1k msg/s", r.rawChainUs.at1k);
  s += row("write() of 98 bytes, reader asleep", r.writeCostUs);
  s += `clock read (ns per call): ${Object.entries(r.clockReadNs)
    .map(([k, v]) => `${k} ${v}`)
    .join(", ")}\n`;
  for (const [name, v] of Object.entries(r.idleRssMB)) {
    s += `idle RSS, ${name}: ${v.rssMB} MB (mapped files ${v.fileMB} MB, private ${v.anonMB} MB)\n`;
  }
  return s;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  if (args[0] === "--worker") {
    const [kind, a, b, c] = args.slice(1);
    if (kind === "fwd") await runForwarder(a, b);
    else if (kind === "sink") runSink(a, Number(b), Number(c));
    else if (kind === "pub") await runPublisher(a, Number(b), Number(c));
    else if (kind === "null") runNullReader(a);
    else throw new Error(`floor bench: unknown worker ${kind}`);
  } else {
    await benchFloor({ quick: args.includes("--quick"), json: args.includes("--json") });
  }
}
