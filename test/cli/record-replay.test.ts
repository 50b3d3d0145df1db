import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CaptureReader } from "../../src/behavior/capture/capture-reader.ts";
import { CaptureWriter } from "../../src/behavior/capture/capture-writer.ts";
import { RECORD_HEADER_SIZE } from "../../src/behavior/capture/format.ts";
import { markReplayed } from "../../src/behavior/capture/mark-replayed.ts";
import { BusClient, Role } from "../../src/behavior/transport/bus-client.ts";
import { InstrumentId } from "../../src/data/instrument-id.ts";
import { VenueId } from "../../src/data/venues.ts";
import { FrameBuilder } from "../../src/rules/builder.ts";
import { ErrorCode } from "../../src/rules/error-codes.ts";
import { FrameParser } from "../../src/rules/parser.ts";
import { Child, startRelay, stopRelay, tempDir, Until } from "../behavior/relay/helpers.ts";
import { AP_BIN } from "./helpers.ts";

/** ap record / tap / replay driven as a user would: `node bin/ap.js ...` against a real relay process. */
const BTC = InstrumentId.spot(VenueId.Kraken, "BTC", "USD");

/** `node bin/ap.js <args>` with its output collected as it arrives, and waits on it (never a sleep). */
class Ap extends Child {
  constructor(runDir: string, args: string[], env: Record<string, string> = {}) {
    super([AP_BIN, ...args], { AP_RUN_DIR: runDir, AP_CONFIG: "", ...env }, ["node"]);
  }

  /** Resolves when stdout or stderr matches; rejects if the process ends first. */
  async wait(which: "stdout" | "stderr", re: RegExp): Promise<void> {
    if (which === "stdout") await this.waitStdout(re);
    else await this.waitStderr(re);
  }
}

/** Alternating Trade and Quote frames, sequence 1..n. */
function marketFrames(n: number): Uint8Array[] {
  const b = new FrameBuilder({ domain: 1, source: 2 });
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const ts = 1_700_000_000_000_000_000n + BigInt(i);
    if (i % 2 === 0) {
      b.begin(ts).add("Trade", {
        instrument: BTC,
        price: 4500000000000n + BigInt(i),
        size: 1n,
        exchangeTsNs: ts,
        side: 1,
      });
    } else {
      b.begin(ts).add("Quote", {
        instrument: BTC,
        bidPrice: 4499900000000n,
        bidSize: 2n,
        askPrice: 4500100000000n,
        askSize: 3n,
        exchangeTsNs: ts,
      });
    }
    out.push(b.finish().slice());
  }
  return out;
}

/** A subscriber in this process that keeps copies of what it receives and the monotonic time of arrival. */
function subscriber(socketPath: string, types?: number[]) {
  const got: Uint8Array[] = [];
  const at: number[] = [];
  const events = new Until();
  const client = new BusClient({
    socketPath,
    domain: 1,
    source: 91,
    role: Role.Subscriber,
    types,
    name: "test-sub",
    onFrame: (frame) => {
      got.push(frame.slice());
      at.push(performance.now());
      events.check();
    },
  });
  return { client, got, at, reach: (n: number) => events.until(() => got.length >= n) };
}

async function publisher(socketPath: string): Promise<BusClient> {
  const pub = new BusClient({ socketPath, domain: 1, source: 2, role: Role.Publisher, name: "test-pub" });
  await pub.ready();
  return pub;
}

/** A capture written directly: frame i received at base + spacing(i). */
function writeCapture(path: string, frames: Uint8Array[], recvAt: (i: number) => bigint): number[] {
  const w = new CaptureWriter({ path, relay: "market-data", domain: 1 });
  const offsets: number[] = [];
  frames.forEach((f, i) => {
    offsets.push(w.bytes);
    w.append(recvAt(i), f);
  });
  w.close();
  return offsets;
}

function expectValid(frame: Uint8Array): void {
  expect(new FrameParser().check(frame)).toBe(ErrorCode.Ok);
}

describe("ap record", () => {
  test("records exactly the published frames, byte-identical, until SIGINT, then prints a summary", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "market-data.sock");
    const relay = await startRelay("market-data", socketPath);
    const file = join(tmp.dir, "md.apcap");
    const N = 3000;
    const rec = new Ap(tmp.dir, ["record", "-o", file], { AP_RECORD_REPORT_EVERY: String(N) });
    await rec.wait("stdout", /^recording market-data .* to .*md\.apcap/m);

    const frames = marketFrames(N);
    const pub = await publisher(socketPath);
    for (const f of frames) {
      pub.send(f);
      if (pub.backpressured) await pub.drained();
    }
    await rec.wait("stdout", new RegExp(`^recorded ${N} frames$`, "m"));
    rec.proc.kill("SIGINT");
    expect(await rec.done).toBe(0);
    expect(rec.stdout).toMatch(
      new RegExp(
        `^recorded ${N} frames, ${frames.reduce((s, f) => s + f.length, 0)} frame bytes \\(file \\d+ bytes\\) from market-data in \\d+\\.\\d{3} s$`,
        "m",
      ),
    );

    const reader = new CaptureReader(file);
    expect(reader.header).toMatchObject({ relay: "market-data", domain: 1, version: 1 });
    const got: Uint8Array[] = [];
    let prev = 0n;
    for (const r of reader) {
      got.push(r.frame.slice());
      expect(r.recvNs >= prev).toBe(true);
      prev = r.recvNs;
    }
    expect(reader.damage).toEqual([]);
    expect(reader.tornTail).toBeUndefined();
    expect(got.length).toBe(N);
    expect(got).toEqual(frames);
    expect(await stopRelay(relay, [pub])).toBe(0);
  }, 30_000);

  test("a recorder killed with SIGKILL leaves a readable file holding every flushed record", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "market-data.sock");
    const relay = await startRelay("market-data", socketPath);
    const file = join(tmp.dir, "killed.apcap");
    const N = 1000;
    // the hook flushes before it prints, so each printed count is on disk (in the kernel) when seen
    const rec = new Ap(tmp.dir, ["record", "-o", file], { AP_RECORD_REPORT_EVERY: "250" });
    await rec.wait("stdout", /^recording /m);
    const frames = marketFrames(N);
    const pub = await publisher(socketPath);
    for (const f of frames) pub.send(f);
    await rec.wait("stdout", new RegExp(`^recorded ${N} frames$`, "m"));
    // node forwards signals to the Bun child, but not SIGKILL: kill the recorder process itself
    const bunPid = Number(
      (await new Response(Bun.spawn(["pgrep", "-P", String(rec.proc.pid)]).stdout).text()).trim().split("\n")[0],
    );
    process.kill(bunPid, "SIGKILL");
    await rec.done;
    const reader = new CaptureReader(file);
    const got = [...reader].map((r) => r.frame.slice());
    expect(got as Uint8Array[]).toEqual(frames);
    expect(reader.damage).toEqual([]);
    expect(await stopRelay(relay, [pub])).toBe(0);
  }, 30_000);

  test("a recording replays into the relay as the same frames (record -> replay round trip)", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "market-data.sock");
    const relay = await startRelay("market-data", socketPath);
    const file = join(tmp.dir, "rt.apcap");
    const N = 500;
    const rec = new Ap(tmp.dir, ["record", "-o", file], { AP_RECORD_REPORT_EVERY: String(N) });
    await rec.wait("stdout", /^recording /m);
    const frames = marketFrames(N);
    const pub = await publisher(socketPath);
    for (const f of frames) pub.send(f);
    await rec.wait("stdout", new RegExp(`^recorded ${N} frames$`, "m"));
    rec.proc.kill("SIGTERM");
    expect(await rec.done).toBe(0);
    pub.close();

    const sub = subscriber(socketPath);
    await sub.client.ready();
    const replay = new Ap(tmp.dir, ["replay", file, "--speed", "max", "--as-recorded"]);
    expect(await replay.done).toBe(0);
    await sub.reach(N);
    expect(sub.got).toEqual(frames);
    expect(await stopRelay(relay, [sub.client])).toBe(0);
  }, 30_000);

  test("without a relay: one line naming the socket, exit 1", async () => {
    using tmp = tempDir();
    const rec = new Ap(tmp.dir, ["record", "-o", join(tmp.dir, "x.apcap"), "--wait-ms", "300"]);
    expect(await rec.done).toBe(1);
    expect(rec.stderr).toMatch(
      /^ap: RelayUnavailable: no relay answered on .*market-data\.sock within 300 ms.*hint: start the relays with `ap up`/m,
    );
  });
});

describe("ap replay", () => {
  test("--speed max publishes every frame, replayed flag set and checksum recomputed; --as-recorded sends the bytes as is", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "market-data.sock");
    const relay = await startRelay("market-data", socketPath);
    const N = 5000;
    const frames = marketFrames(N);
    const file = join(tmp.dir, "md.apcap");
    writeCapture(file, frames, (i) => 1_800_000_000_000_000_000n + BigInt(i) * 1_000_000n); // 1 ms apart: 5 s span
    const sub = subscriber(socketPath);
    await sub.client.ready();

    const started = performance.now();
    const replay = new Ap(tmp.dir, ["replay", file, "--speed", "max"]);
    expect(await replay.done).toBe(0);
    await sub.reach(N);
    expect(performance.now() - started).toBeLessThan(5000); // max: not paced by the 5 s recorded span
    expect(replay.stdout).toMatch(
      new RegExp(
        `^replayed ${N} frames \\(\\d+ bytes\\) from .*md\\.apcap to market-data in \\d+\\.\\d{3} s: \\d+ frames/s at speed max \\(recorded span 4\\.999 s\\)$`,
        "m",
      ),
    );
    expect(replay.stdout).toContain("damaged records skipped: 0 runs, 0 bytes");
    const scratch = new Uint8Array(1 << 20);
    const view = new DataView(scratch.buffer);
    for (let i = 0; i < N; i++) {
      expect(sub.got[i][7] & 1).toBe(1);
      expectValid(sub.got[i]);
      expect(sub.got[i]).toEqual(markReplayed(frames[i], scratch, view));
      // only the flags byte and the checksum differ from the recorded frame
      expect(sub.got[i].subarray(8, 28)).toEqual(frames[i].subarray(8, 28));
      expect(sub.got[i].subarray(32)).toEqual(frames[i].subarray(32));
    }

    const raw = new Ap(tmp.dir, ["replay", file, "--speed", "max", "--as-recorded"]);
    expect(await raw.done).toBe(0);
    await sub.reach(2 * N);
    expect(sub.got.slice(N)).toEqual(frames);

    expect(await stopRelay(relay, [sub.client])).toBe(0);
  }, 30_000);

  test("--speed 10x keeps the order and the recorded spacing scaled by 10 (never faster)", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "market-data.sock");
    const relay = await startRelay("market-data", socketPath);
    const N = 40;
    const frames = marketFrames(N);
    // uneven spacing: 0, 10, 30, 60 ... ms (span 7.8 s recorded, 780 ms at 10x)
    const offsetMs = (i: number) => (i * (i + 1) * 10) / 2;
    const base = 1_800_000_000_000_000_000n;
    writeCapture(join(tmp.dir, "paced.apcap"), frames, (i) => base + BigInt(offsetMs(i)) * 1_000_000n);
    const sub = subscriber(socketPath);
    await sub.client.ready();
    const spawned = performance.now();
    const replay = new Ap(tmp.dir, ["replay", join(tmp.dir, "paced.apcap"), "--speed", "10x"]);
    expect(await replay.done).toBe(0);
    await sub.reach(N);
    expect(sub.got.map((f) => f.slice(32))).toEqual(frames.map((f) => f.slice(32))); // order kept
    const span = offsetMs(N - 1) / 10;
    // Never early: frame i cannot arrive before its scaled offset from the replay's start, which comes after the
    // spawn. (Measured from the first arrival instead, the first frame's own delivery delay on a loaded machine
    // would count against the replay.) No upper bound: a loaded machine may be late.
    for (let i = 1; i < N; i++) expect(sub.at[i] - spawned).toBeGreaterThanOrEqual(offsetMs(i) / 10);
    const secs = Number(/ in (\d+\.\d{3}) s:/.exec(replay.stdout)?.[1]);
    expect(secs * 1000).toBeGreaterThanOrEqual(span - 1);
    expect(replay.stdout).toContain("at speed 10x (recorded span 7.800 s)");
    expect(await stopRelay(relay, [sub.client])).toBe(0);
  }, 30_000);

  test("a damaged capture: the damage is reported with its offset, the rest is sent, the torn tail noted", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "market-data.sock");
    const relay = await startRelay("market-data", socketPath);
    const N = 200;
    const frames = marketFrames(N);
    const file = join(tmp.dir, "bad.apcap");
    const offsets = writeCapture(file, frames, (i) => 1_800_000_000_000_000_000n + BigInt(i));
    const bytes = new Uint8Array(readFileSync(file));
    bytes[offsets[50] + RECORD_HEADER_SIZE + 40] ^= 0xff; // a flipped payload byte in frame 50
    writeFileSync(file, bytes.subarray(0, offsets[N - 1] + 30)); // the last record torn 30 bytes in
    const sub = subscriber(socketPath);
    await sub.client.ready();
    const replay = new Ap(tmp.dir, ["replay", file, "--speed", "max", "--as-recorded"]);
    expect(await replay.done).toBe(0);
    await sub.reach(N - 2);
    const recordSize = RECORD_HEADER_SIZE + frames[50].length;
    expect(replay.stderr).toContain(
      `ap replay: damaged bytes at offset ${offsets[50]} (${recordSize} bytes, BadFrameChecksum): skipped, continuing at the next good record`,
    );
    expect(replay.stdout).toContain(`replayed ${N - 2} frames`);
    expect(replay.stdout).toContain(`damaged records skipped: 1 run, ${recordSize} bytes`);
    expect(replay.stdout).toContain(`torn last record: 30 bytes at offset ${offsets[N - 1]}`);
    expect(sub.got).toEqual(frames.filter((_, i) => i !== 50 && i !== N - 1));
    expect(await stopRelay(relay, [sub.client])).toBe(0);
  }, 30_000);

  test("a bad speed is one line and exit 1", async () => {
    using tmp = tempDir();
    const r = new Ap(tmp.dir, ["replay", join(tmp.dir, "none.apcap"), "--speed", "fast"]);
    expect(await r.done).toBe(1);
    expect(r.stderr).toContain('ap: InvalidSpeed: speed "fast" is not a positive factor or max');
  });
});

describe("ap tap", () => {
  test("prints the frames decoded as ap decode does; --type filters at the relay; --json one object a line", async () => {
    using tmp = tempDir();
    const socketPath = join(tmp.dir, "market-data.sock");
    const relay = await startRelay("market-data", socketPath);
    const frames = marketFrames(6); // T Q T Q T Q, sequences 1..6
    const pub = await publisher(socketPath);

    const all = new Ap(tmp.dir, ["tap", "market-data", "--count", "6"]);
    const quotes = new Ap(tmp.dir, ["tap", "market-data", "--type", "Quote", "--json", "--count", "3"]);
    const numeric = new Ap(tmp.dir, ["tap", "market-data", "--type", "1", "--json", "--count", "3"]);
    await all.wait("stderr", /^tapping market-data .*all types/m);
    await quotes.wait("stderr", /^tapping market-data .*types 2;/m);
    await numeric.wait("stderr", /^tapping market-data .*types 1;/m);
    for (const f of frames) pub.send(f);

    expect(await all.done).toBe(0);
    expect(all.stdout).toMatch(/^frame 1 · 98 bytes · domain 1 market_data · source 2 Kraken/m);
    expect(all.stdout).toMatch(/^ {2}Trade \(1\), 64 bytes$/m);
    expect(all.stdout).toMatch(/^ {2}Quote \(2\), 72 bytes$/m);
    expect(all.stdout).toMatch(/^ {4}instrument\s+kraken:spot:BTC\/USD/m);
    expect(all.stdout).toMatch(/^frame 6 · /m);

    expect(await quotes.done).toBe(0);
    const q = quotes.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(q.map((f) => [f.sequence, f.tlvs[0].type])).toEqual([
      ["2", "Quote"],
      ["4", "Quote"],
      ["6", "Quote"],
    ]);
    expect(await numeric.done).toBe(0);
    const t = numeric.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(t.map((f) => [f.sequence, f.tlvs[0].type])).toEqual([
      ["1", "Trade"],
      ["3", "Trade"],
      ["5", "Trade"],
    ]);

    const bad = new Ap(tmp.dir, ["tap", "market-data", "--type", "Trade,Nope"]);
    expect(await bad.done).toBe(2);
    expect(bad.stderr).toMatch(/^ap tap: --type Nope: not a TLV type name or number 1-254; names: Trade, Quote/m);
    expect(await stopRelay(relay, [pub])).toBe(0);
  }, 30_000);
});
