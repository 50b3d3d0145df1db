/**
 * `ap bench bridge`: what the NATS bridge (src/behavior/bridge) costs, against two baselines in the same run.
 *
 *   local   publisher -> relay L -> subscriber                                                  (ap's own hop)
 *   nats    publisher -> nats-server -> subscriber, official client @nats-io/transport-node     (NATS's own hop)
 *   bridge  publisher -> relay A -> bridge A -> nats-server -> bridge B -> relay B -> subscriber  (two ap instances)
 *
 * Each path: throughput (the publisher as fast as backpressure and a credit window allow) and latency percentiles at a
 * fixed offered rate of 10k msg/s. "Added" latency = bridge - local: what going through NATS instead of staying on one
 * relay costs. Target (issue 10): added < 2x nats-server's own round trip (the nats path), at p50 and p99.
 *
 * One nats-server (/usr/sbin/nats-server, `-p -1`: a free port on 127.0.0.1 chosen by the server) serves both the
 * bridges and the nats path (subject bench.direct, outside the bridges' ap.>). Relays and bridges are the real
 * services (src/behavior/relay/main.ts, src/behavior/bridge/main.ts with their own run directories and ap.toml); the
 * publisher and subscriber are bench/relay.ts's own workers (bench/lib/relay-workers.ts), so the clock, pacing and
 * checks are the relay benchmark's. bench/README.md ("Bridge") explains the method.
 *
 *   node_modules/.bin/bun bench/bridge.ts            # 3 rounds (~1 min), table + bench/results/bridge-*.json
 *   node_modules/.bin/bun bench/bridge.ts --quick    # 1 short round, rough numbers, writes nothing
 *   node_modules/.bin/bun bench/bridge.ts --json     # the result object on stdout instead of the table
 *   node_modules/.bin/bun bench/bridge.ts --quick --halves   # also the two halves of the bridge path (full: default)
 *   BENCH_BRIDGE_BUN_FLAGS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" ...   # runtime flags for the two bridges only
 */

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  BenchError,
  cpuMsPerMillion,
  type Endpoint,
  LineChild,
  machine,
  median,
  medianLatency,
  type Percentiles,
  procStatusKb,
  REPO,
  RelayWorker,
  type RunResult,
  round2,
  runToDone,
  startPublisher,
} from "./lib/relay-workers.ts";
import { findNatsServer } from "./relay.ts";

export interface BenchBridgeOptions {
  /** One short round: a smoke run, numbers are rough. Writes JSON only when `outDir` is given. */
  quick?: boolean;
  /** Print the result as JSON on stdout instead of the table. */
  json?: boolean;
  /** Where to write bridge-<date>.json and bridge-latest.json (default bench/results; quick runs: only if given). */
  outDir?: string;
  /** Print nothing (the smoke test). */
  quiet?: boolean;
  /** Also measure the two halves of the bridge path (default: full runs yes, quick runs no). */
  halves?: boolean;
}

/**
 * The three compared paths, and two halves of the bridge path that say where its time goes (full runs only):
 * halfA = publisher -> relay A -> bridge A -> nats-server -> subscriber (official client, on ap.market-data.>);
 * halfB = publisher (official client, on a bridge subject, no Ap-* headers) -> nats-server -> bridge B -> relay B ->
 * subscriber. Each half less the nats path is one relay hop plus one bridge.
 */
type Path = "local" | "nats" | "bridge" | "halfA" | "halfB";
type Mode = "throughput" | "latency";
const PATHS: Path[] = ["local", "nats", "bridge"];
const HALVES: Path[] = ["halfA", "halfB"];
const NATS_SUBJECT = "bench.direct";
/** What bridge A publishes a Trade of the bench frames under, and what bridge B subscribes to (ap.market-data.>). */
const BRIDGE_SUBJECTS = "ap.market-data.>";
const BRIDGE_SUBJECT_B = "ap.market-data.trade.bench";

interface Plan {
  rounds: number;
  throughputFrames: number;
  latencyFrames: number;
  warmup: number;
  rate: number;
  window: number;
}

/** A run of bench/lib/relay-workers.ts (one subscriber connection: `received` is its count). */
interface Measurement extends Omit<RunResult, "received"> {
  path: Path;
  mode: Mode;
  round: number;
  frames: number;
  received: number;
}

interface Side {
  throughputMsgPerSec: number | null;
  throughputRounds: number[];
  latencyUs: { p50: number; p99: number; p999: number } | null;
  latencyRounds: (Percentiles | null)[];
  allFramesReceived: boolean;
  /** Max-rate runs: CPU ms per million frames, per process (median of rounds). */
  cpuMsPerMillionMsg: Record<string, number>;
}

interface Target {
  what: string;
  value: number;
  target: string;
  met: boolean;
}

interface Rss {
  idleMB: number;
  peakUnderLoadMB: number;
  anonPeakUnderLoadMB: number;
  highWaterMB: number;
}

export interface BridgeBenchResult {
  benchmark: "bridge";
  date: string;
  quick: boolean;
  machine: Record<string, unknown>;
  method: Record<string, unknown>;
  nats: { server: string; version: string; client: string };
  /** local, nats, bridge; halfA and halfB when measured. */
  results: Partial<Record<Path, Side>> & Record<"local" | "nats" | "bridge", Side>;
  /** bridge - local, in us (medians of rounds). */
  addedLatencyUs: { p50: number; p99: number; p999: number } | null;
  /** Processes of the bridge path (and the local relay). */
  rss: Record<string, Rss>;
  /** The bridges' last stats lines (counters since start). */
  bridgeStats: { a: Record<string, unknown>; b: Record<string, unknown> };
  allFramesArrived: boolean;
  targets: Target[];
  measurements: Measurement[];
  files: string[];
}

// ---- the services ------------------------------------------------------------------------------------------------

const RELAY_MAIN = join(REPO, "src/behavior/relay/main.ts");
const BRIDGE_MAIN = join(REPO, "src/behavior/bridge/main.ts");
const START_MS = 15_000;

/** The environment of the services: no AP_NATS_* of the caller (AP_NATS_URL would replace the servers). */
function serviceEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AP_NATS_")) env[k] = v;
  return { ...env, AP_LOG_LEVEL: "2", ...extra };
}

async function startNats(bin: string): Promise<{ child: LineChild; url: string }> {
  const child = new LineChild("nats-server", [bin, "-a", "127.0.0.1", "-p", "-1"], serviceEnv({}));
  await child.waitLine((l) => l.includes("Server is ready"), START_MS);
  const listening = await child.waitLine((l) => /Listening for client connections on/.test(l), 1000);
  const port = Number(/Listening for client connections on [\d.]+:(\d+)/.exec(listening)?.[1] ?? 0);
  if (!port) throw new BenchError(`nats-server: no port in ${listening}`);
  return { child, url: `127.0.0.1:${port}` };
}

async function startRelay(label: string, socket: string): Promise<LineChild> {
  const child = new LineChild(
    label,
    [process.execPath, RELAY_MAIN, "--domain", "market-data", "--socket", socket],
    serviceEnv({}),
  );
  await child.waitLine((l) => l.startsWith("ready "), START_MS);
  return child;
}

/** A bridge on `runDir` (whose market-data.sock is its relay), its own ap.toml; resolves at its ready line. */
async function startBridge(label: string, runDir: string, bridgeToml: string): Promise<LineChild> {
  const config = join(runDir, "ap.toml");
  writeFileSync(config, `[bridge]\n${bridgeToml}\n`);
  const flags = process.env.BENCH_BRIDGE_BUN_FLAGS?.split(" ").filter(Boolean) ?? [];
  const child = new LineChild(
    label,
    [process.execPath, ...flags, BRIDGE_MAIN, "--run-dir", runDir, "--config", config],
    serviceEnv({ AP_STATS_INTERVAL_MS: "200" }),
  );
  await child.waitLine((l) => l.startsWith("ready "), START_MS);
  return child;
}

const statsOf = (line: string) => JSON.parse(line.slice("stats ".length)) as Record<string, unknown>;

/** The next stats line of a bridge for which `ok` holds (they come every 200 ms); bounded. */
async function bridgeStats(
  bridge: LineChild,
  ok: (s: Record<string, unknown>) => boolean,
  withinMs: number,
): Promise<Record<string, unknown>> {
  const line = await bridge.waitLine((l) => l.startsWith("stats {") && ok(statsOf(l)), withinMs, false);
  return statsOf(line);
}

// ---- one measurement ---------------------------------------------------------------------------------------------

interface Setup {
  endpoints: Record<Path, { to: Endpoint; from: Endpoint }>;
  /** Processes whose CPU and RSS are read, per path. */
  processes: Record<Path, Record<string, LineChild>>;
  rss: Record<string, { peakKb: number; anonKb: number }>;
}

async function measure(plan: Plan, setup: Setup, path: Path, mode: Mode, round: number): Promise<Measurement> {
  const frames = mode === "throughput" ? plan.throughputFrames : plan.latencyFrames;
  const { to, from } = setup.endpoints[path];
  const workers: RelayWorker[] = [];
  try {
    const sub = new RelayWorker(
      {
        worker: "sub",
        from,
        connections: 1,
        frames,
        warmup: mode === "latency" ? plan.warmup : frames,
        latency: mode === "latency",
      },
      `${path} sub`,
    );
    workers.push(sub);
    await sub.next("ready", 15_000);
    const rate = mode === "latency" ? plan.rate : 0;
    const pub = await startPublisher({ to, frames, rate, window: plan.window }, `${path} pub`, sub, workers);

    const procs = setup.processes[path];
    const pids: Record<string, number> = { pub: pub.proc.pid, sub: sub.proc.pid };
    for (const [name, c] of Object.entries(procs)) pids[name] = c.proc.pid;
    const sample = () => {
      for (const [name, c] of Object.entries(procs)) {
        const r = (setup.rss[name] ??= { peakKb: 0, anonKb: 0 });
        r.peakKb = Math.max(r.peakKb, procStatusKb(c.proc.pid, "VmRSS"));
        r.anonKb = Math.max(r.anonKb, procStatusKb(c.proc.pid, "RssAnon"));
      }
    };
    const run = await runToDone(pub, sub, { frames, rate }, pids, sample, sample);
    return { path, mode, round, frames, ...run, received: run.received[0] };
  } finally {
    await Promise.all(workers.map((w) => w.end()));
  }
}

function summarise(ms: Measurement[]): Side {
  const tput = ms.filter((m) => m.mode === "throughput");
  const latencyRounds = ms.filter((m) => m.mode === "latency").map((m) => m.latencyUs);
  return {
    throughputMsgPerSec: tput.length ? median(tput.map((m) => m.msgPerSec)) : null,
    throughputRounds: tput.map((m) => m.msgPerSec),
    latencyUs: medianLatency(latencyRounds),
    latencyRounds,
    allFramesReceived: ms.every((m) => m.sequenceErrors === 0 && m.badFrames === 0 && m.received === m.frames),
    cpuMsPerMillionMsg: cpuMsPerMillion(tput),
  };
}

// ---- the run -----------------------------------------------------------------------------------------------------

/** Runs the three paths (rounds alternate their order) and returns the result (also written as JSON). */
export async function benchBridge(options: BenchBridgeOptions = {}): Promise<BridgeBenchResult> {
  const quick = options.quick ?? false;
  const plan: Plan = quick
    ? { rounds: 1, throughputFrames: 20_000, latencyFrames: 3_000, warmup: 500, rate: 10_000, window: 8192 }
    : { rounds: 3, throughputFrames: 200_000, latencyFrames: 30_000, warmup: 5_000, rate: 10_000, window: 16_384 };
  const log = (line: string) => {
    if (!options.json && !options.quiet) process.stderr.write(`${line}\n`);
  };
  const natsBin = existsSync("/usr/sbin/nats-server") ? "/usr/sbin/nats-server" : findNatsServer();
  if (natsBin === undefined) {
    throw new BenchError(
      "the bridge benchmark needs nats-server (Debian package): apt-get install -y nats-server " +
        "(or sh scripts/install-bench-tools.sh)",
    );
  }
  const natsVersion = new TextDecoder()
    .decode(Bun.spawnSync({ cmd: [natsBin, "--version"] }).stdout)
    .trim()
    .replace(/^nats-server: /, "");
  const clientVersion = JSON.parse(
    readFileSync(join(REPO, "node_modules/@nats-io/transport-node/package.json"), "utf8"),
  ).version as string;
  const machineInfo = machine();

  const tmp = mkdtempSync(join(tmpdir(), "ap-bench-bridge-"));
  const children: LineChild[] = [];
  const measurements: Measurement[] = [];
  const rss: BridgeBenchResult["rss"] = {};
  let statsA: Record<string, unknown> = {};
  let statsB: Record<string, unknown> = {};
  try {
    const dirs = { a: join(tmp, "a"), b: join(tmp, "b"), local: join(tmp, "local") };
    for (const d of Object.values(dirs)) mkdirSync(d, { mode: 0o700 });
    const sock = (d: string) => join(d, "market-data.sock");
    const nats = await startNats(natsBin);
    children.push(nats.child);
    const [relayA, relayB, relayL] = await Promise.all([
      startRelay("relay A", sock(dirs.a)),
      startRelay("relay B", sock(dirs.b)),
      startRelay("relay local", sock(dirs.local)),
    ]);
    children.push(relayA, relayB, relayL);
    const server = `nats://${nats.url}`;
    const [bridgeA, bridgeB] = await Promise.all([
      startBridge(
        "bridge A",
        dirs.a,
        `instance = "bench-a"\nservers = ["${server}"]\npublish = ["market-data"]\nsubscribe = []`,
      ),
      startBridge(
        "bridge B",
        dirs.b,
        `instance = "bench-b"\nservers = ["${server}"]\npublish = []\nsubscribe = ["market-data"]`,
      ),
    ]);
    children.push(bridgeA, bridgeB);

    const setup: Setup = {
      endpoints: {
        local: { to: { system: "ap", socket: sock(dirs.local) }, from: { system: "ap", socket: sock(dirs.local) } },
        nats: {
          to: { system: "nats", url: nats.url, subject: NATS_SUBJECT },
          from: { system: "nats", url: nats.url, subject: NATS_SUBJECT },
        },
        bridge: { to: { system: "ap", socket: sock(dirs.a) }, from: { system: "ap", socket: sock(dirs.b) } },
        halfA: {
          to: { system: "ap", socket: sock(dirs.a) },
          from: { system: "nats", url: nats.url, subject: BRIDGE_SUBJECTS },
        },
        halfB: {
          to: { system: "nats", url: nats.url, subject: BRIDGE_SUBJECT_B },
          from: { system: "ap", socket: sock(dirs.b) },
        },
      },
      processes: {
        local: { "relay local": relayL },
        nats: { "nats-server": nats.child },
        bridge: {
          "relay A": relayA,
          "bridge A": bridgeA,
          "nats-server": nats.child,
          "bridge B": bridgeB,
          "relay B": relayB,
        },
        halfA: { "relay A": relayA, "bridge A": bridgeA, "nats-server": nats.child },
        halfB: { "nats-server": nats.child, "bridge B": bridgeB, "relay B": relayB },
      },
      rss: {},
    };
    const idleKb: Record<string, number> = {};
    for (const [name, c] of Object.entries({ ...setup.processes.local, ...setup.processes.bridge }))
      idleKb[name] = procStatusKb(c.proc.pid, "VmRSS");

    let viaA = 0;
    let viaB = 0;
    const paths = (options.halves ?? !quick) ? [...PATHS, ...HALVES] : PATHS;
    for (let round = 0; round < plan.rounds; round++) {
      // Rotate which path goes first, so a burst of load from another process does not always hit the same one.
      const order = paths.map((_, i) => paths[(i + round) % paths.length]);
      for (const mode of ["throughput", "latency"] as const) {
        for (const path of order) {
          const m = await measure(plan, setup, path, mode, round);
          measurements.push(m);
          if (path === "bridge" || path === "halfA") viaA += m.frames;
          viaB += m.frames * Number(path === "bridge" || path === "halfA" || path === "halfB"); // B takes ap.market-data.>
          if (path !== "local" && path !== "nats") {
            // Bridge B can still be republishing what the subscriber of halfA already got from NATS: the next
            // measurement starts when both bridges have handled every frame, so none leaks into it.
            await Promise.all([
              bridgeStats(bridgeA, (s) => (s.published as number) >= viaA, 30_000),
              bridgeStats(bridgeB, (s) => (s.republished as number) >= viaB, 30_000),
            ]);
          }
          log(
            `round ${round + 1}/${plan.rounds} ${path.padEnd(6)} ${mode.padEnd(10)} ` +
              (mode === "throughput"
                ? `${m.msgPerSec.toLocaleString("en-US")} msg/s`
                : `p50 ${m.latencyUs?.p50} us  p99 ${m.latencyUs?.p99} us  p99.9 ${m.latencyUs?.p999} us`),
          );
        }
      }
    }
    // The bridges' own account: A published every bridged frame, B republished them all, nothing missing.
    [statsA, statsB] = await Promise.all([
      bridgeStats(bridgeA, (s) => (s.published as number) >= viaA, 5000),
      bridgeStats(bridgeB, (s) => (s.republished as number) >= viaB, 5000),
    ]);
    for (const [name, c] of Object.entries({ ...setup.processes.local, ...setup.processes.bridge })) {
      const r = setup.rss[name] ?? { peakKb: 0, anonKb: 0 };
      rss[name] = {
        idleMB: round2(idleKb[name] / 1024),
        peakUnderLoadMB: round2(r.peakKb / 1024),
        anonPeakUnderLoadMB: round2(r.anonKb / 1024),
        highWaterMB: round2(procStatusKb(c.proc.pid, "VmHWM") / 1024),
      };
    }
  } finally {
    await Promise.all(children.map((c) => c.stop()));
    rmSync(tmp, { recursive: true, force: true });
  }

  const measured = [...PATHS, ...HALVES].filter((p) => measurements.some((m) => m.path === p));
  const results = Object.fromEntries(
    measured.map((p) => [p, summarise(measurements.filter((m) => m.path === p))]),
  ) as BridgeBenchResult["results"];
  const [l, b] = [results.local.latencyUs, results.bridge.latencyUs];
  const addedLatencyUs =
    l && b ? { p50: round2(b.p50 - l.p50), p99: round2(b.p99 - l.p99), p999: round2(b.p999 - l.p999) } : null;
  const framesOn = (...ps: Path[]) => measurements.filter((m) => ps.includes(m.path)).reduce((n, m) => n + m.frames, 0);
  const out: BridgeBenchResult = {
    benchmark: "bridge",
    date: new Date().toISOString(),
    quick,
    machine: machineInfo,
    method: {
      ...plan,
      frame: "one Trade TLV, 98 bytes (Protocol V2); the same bytes as the NATS body on both NATS paths",
      local: "publisher -> relay -> subscriber (a relay of its own, nothing else connected)",
      nats: `publisher -> nats-server -> subscriber, ${NATS_SUBJECT}, @nats-io/transport-node; the subscriber checks CRC-32`,
      bridge:
        "publisher -> relay A -> bridge A -> nats-server -> bridge B -> relay B -> subscriber; core NATS, " +
        "subject ap.market-data.trade.<venue>, headers Ap-Origin/Ap-Seq",
      halfA: "publisher -> relay A -> bridge A -> nats-server -> subscriber (official client, ap.market-data.>)",
      halfB: `publisher (official client, ${BRIDGE_SUBJECT_B}, no Ap-* headers) -> nats-server -> bridge B -> relay B -> subscriber`,
      workers: "bench/relay.ts --worker publisher and subscriber (bench/lib/relay-workers.ts)",
      clock: "CLOCK_MONOTONIC shared by all processes (bun:ffi); Trade.exchange_ts_ns = send time",
      throughput: "max rate under a credit window; msg/s = frames / (subscriber complete - first send)",
      latency: `paced at ${plan.rate} msg/s; first ${plan.warmup} frames not recorded`,
      added: "bridge - local per percentile, medians of rounds (a difference of percentiles, not a percentile)",
      statistic: "median of rounds; each round rotates the order of the paths",
      placement: "one process each, not pinned; one nats-server serves the bridges and the nats path",
    },
    nats: { server: natsBin, version: natsVersion, client: `@nats-io/transport-node ${clientVersion}` },
    results,
    addedLatencyUs,
    rss,
    bridgeStats: { a: statsA, b: statsB },
    allFramesArrived:
      measured.every((p) => results[p]?.allFramesReceived) &&
      statsA.published === framesOn("bridge", "halfA") &&
      statsB.republished === framesOn("bridge", "halfA", "halfB") &&
      statsB.missing === 0,
    targets: [],
    measurements,
    files: [],
  };
  out.targets = targets(out);

  const outDir = options.outDir ?? (quick ? undefined : join(import.meta.dir, "results"));
  if (outDir !== undefined) {
    mkdirSync(outDir, { recursive: true });
    const files = [
      join(outDir, `bridge-${out.date.slice(0, 19).replace(/:/g, "-")}.json`),
      join(outDir, "bridge-latest.json"),
    ];
    out.files = files;
    const text = `${JSON.stringify(out, null, 2)}\n`;
    for (const f of files) writeFileSync(f, text);
  }
  if (options.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  else if (!options.quiet) process.stdout.write(table(out));
  return out;
}

function targets(r: BridgeBenchResult): Target[] {
  const list: Target[] = [];
  const nats = r.results.nats.latencyUs;
  const added = r.addedLatencyUs;
  if (nats && added) {
    for (const q of ["p50", "p99"] as const) {
      const v = round2(added[q] / nats[q]);
      list.push({
        what: `bridge added latency ${q} / nats-server round trip ${q}`,
        value: v,
        target: "< 2",
        met: v < 2,
      });
    }
  }
  return list;
}

function table(r: BridgeBenchResult): string {
  const n = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toLocaleString("en-US"));
  const us = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toFixed(1));
  const ratio = (a: number | null | undefined, b: number | null | undefined) =>
    a === null || a === undefined || !b ? "-" : (a / b).toFixed(2);
  const { local, nats, bridge } = r.results;
  const rows: string[][] = [
    [
      "throughput msg/s",
      n(local.throughputMsgPerSec),
      n(nats.throughputMsgPerSec),
      n(bridge.throughputMsgPerSec),
      ratio(bridge.throughputMsgPerSec, local.throughputMsgPerSec),
      ratio(bridge.throughputMsgPerSec, nats.throughputMsgPerSec),
      "-",
      "-",
    ],
  ];
  for (const q of ["p50", "p99", "p999"] as const) {
    const added = r.addedLatencyUs?.[q];
    rows.push([
      `latency ${q === "p999" ? "p99.9" : q} us`,
      us(local.latencyUs?.[q]),
      us(nats.latencyUs?.[q]),
      us(bridge.latencyUs?.[q]),
      ratio(bridge.latencyUs?.[q], local.latencyUs?.[q]),
      ratio(bridge.latencyUs?.[q], nats.latencyUs?.[q]),
      us(added),
      ratio(added, nats.latencyUs?.[q]),
    ]);
  }
  const head = ["metric", "local relay", "nats-server", "bridge", "bridge/local", "bridge/nats", "added", "added/nats"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
  const m = r.machine;
  let s = `bridge benchmark - ${m.cpuModel}, ${m.cores} cores, Bun ${m.bun}, load ${m.loadavgAtStart}; nats-server ${r.nats.version}, ${r.nats.client}${r.quick ? " (quick: rough numbers)" : ""}\n`;
  s += "local: pub -> relay -> sub; nats: pub -> nats-server -> sub (official client);\n";
  s += "bridge: pub -> relay A -> bridge A -> nats-server -> bridge B -> relay B -> sub; added = bridge - local\n";
  s += `${line(head)}\n${line(widths.map((w) => "-".repeat(w)))}\n`;
  for (const row of rows) s += `${line(row)}\n`;
  s += `medians of ${r.method.rounds} round(s); latency at ${r.method.rate} msg/s offered, 98-byte Trade frames.\n`;
  const { halfA, halfB } = r.results;
  if (halfA && halfB) {
    const np50 = nats.latencyUs?.p50;
    const minus = (x: number | undefined, y: number | undefined) =>
      x === undefined || y === undefined ? "-" : (x - y).toFixed(1);
    const hh = ["half of the bridge path", "msg/s", "p50 us", "p99 us", "p50 - nats p50"];
    const hr = [
      ["A: pub -> relay A -> bridge A -> nats -> sub", halfA],
      ["B: pub -> nats -> bridge B -> relay B -> sub", halfB],
    ].map(([label, x]) => {
      const side = x as Side;
      return [
        label as string,
        n(side.throughputMsgPerSec),
        us(side.latencyUs?.p50),
        us(side.latencyUs?.p99),
        minus(side.latencyUs?.p50, np50),
      ];
    });
    const hw = hh.map((h, i) => Math.max(h.length, ...hr.map((x) => x[i].length)));
    const hl = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(hw[i]) : c.padStart(hw[i]))).join("  ");
    s += `\nwhere the bridge path's time goes (each half less the nats path = one relay hop + one bridge):\n`;
    s += `${hl(hh)}\n${hl(hw.map((w) => "-".repeat(w)))}\n`;
    for (const row of hr) s += `${hl(row)}\n`;
  }
  const rh = ["process", "idle MB", "peak MB", "RssAnon peak MB", "VmHWM MB"];
  const rr = Object.entries(r.rss).map(([name, x]) => [
    name,
    us(x.idleMB),
    us(x.peakUnderLoadMB),
    us(x.anonPeakUnderLoadMB),
    us(x.highWaterMB),
  ]);
  const rw = rh.map((h, i) => Math.max(h.length, ...rr.map((x) => x[i].length)));
  const rl = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(rw[i]) : c.padStart(rw[i]))).join("  ");
  s += `\nRSS (VmRSS sampled every 20 ms while traffic flows):\n${rl(rh)}\n${rl(rw.map((w) => "-".repeat(w)))}\n`;
  for (const row of rr) s += `${rl(row)}\n`;
  s += "\nCPU ms per million frames at max rate (from /proc, 10 ms ticks):\n";
  for (const p of [...PATHS, ...HALVES].filter((x) => r.results[x])) {
    s += `  ${p}: ${Object.entries(r.results[p]!.cpuMsPerMillionMsg)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}\n`;
  }
  const { a, b } = r.bridgeStats;
  s += `bridge A published ${a.published}, bridge B received ${b.received}, republished ${b.republished}, missing ${b.missing}, relayRefused ${b.relayRefused}\n`;
  s += r.allFramesArrived
    ? "every subscriber received every frame, in order.\n"
    : "NOT ALL FRAMES ARRIVED (see measurements and bridgeStats in the JSON)\n";
  s += "targets (issue 10):\n";
  for (const x of r.targets) s += `  ${x.met ? "ok    " : "MISSED"}  ${x.what}: ${x.value} (${x.target})\n`;
  if (r.files.length) s += `wrote ${r.files.join(", ")}\n`;
  return s;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  await benchBridge({
    quick: args.includes("--quick"),
    json: args.includes("--json"),
    halves: args.includes("--halves") ? true : args.includes("--no-halves") ? false : undefined,
  });
}
