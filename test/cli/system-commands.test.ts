import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT, runAp, spawnAp as startAp } from "./helpers.ts";

/** ap up / status / logs / restart / down driven as a user would from a shell, in a temporary run dir. */
const base = mkdtempSync(join(tmpdir(), "ap-cli-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** The relays-only profile keeps these tests about the supervisor; the demo has its own test below. */
function env(runDir: string, profile = "relays") {
  return { ...process.env, AP_RUN_DIR: runDir, AP_CONFIG: "", AP_PROFILE: profile };
}

/** `node bin/ap.js <args>` started in base, its stdout and stderr piped. */
function spawnAp(runDir: string, args: string[], profile = "relays") {
  return startAp(args, { cwd: base, env: env(runDir, profile) });
}

/** Appends what the reader gives to text until enough(text) holds or the stream ends; returns the text. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  text: string,
  enough: (text: string) => boolean = () => false,
): Promise<string> {
  while (!enough(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
  }
  return text;
}

function ap(runDir: string, args: string[], profile = "relays") {
  return runAp(args, { cwd: base, env: env(runDir, profile) });
}

describe("ap up --detach, status, up again, restart, logs, down", () => {
  const runDir = join(base, "detached");

  test("a full session", async () => {
    const up = await ap(runDir, ["up", "--detach"]);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain("✓ relay-market-data ready");
    expect(up.stdout).toMatch(/ap is up in the background: 3 services healthy in \d+ ms/);
    expect(statSync(runDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(runDir, "market-data.sock")).mode & 0o777).toBe(0o600);

    const status = await ap(runDir, ["status", "--json"]);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.running).toBe(true);
    expect(s.services.map((x: { name: string; state: string }) => `${x.name}:${x.state}`)).toEqual([
      "relay-market-data:ready",
      "relay-signal:ready",
      "relay-execution:ready",
    ]);
    expect(s.services.every((x: { rss_bytes: number }) => x.rss_bytes > 0)).toBe(true);

    const again = await ap(runDir, ["up", "--detach"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`ap is already running (supervisor pid ${s.supervisor_pid}`);

    const restart = await ap(runDir, ["restart", "relay-signal"]);
    expect(restart.code).toBe(0);
    expect(restart.stdout).toContain("relay-signal restarted and ready");
    const after = JSON.parse((await ap(runDir, ["status", "--json"])).stdout);
    const signal = after.services.find((x: { name: string }) => x.name === "relay-signal");
    expect(signal.restarts).toBe(1);
    expect(signal.pid).not.toBe(s.services[1].pid);

    const unknown = await ap(runDir, ["restart", "nope"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('UnknownService: no service named "nope"');

    const logs = await ap(runDir, ["logs", "relay-signal"]);
    expect(logs.code).toBe(0);
    const lines = logs.stdout.trim().split("\n");
    expect(lines.every((l) => /^\d{4}-\d\d-\d\dT\S+Z relay-signal /.test(l))).toBe(true);
    expect(logs.stdout).toContain("stopped (exit 0)");
    const merged = (await ap(runDir, ["logs"])).stdout.trim().split("\n");
    expect(new Set(merged.map((l) => l.split(" ")[1]))).toEqual(
      new Set(["relay-market-data", "relay-signal", "relay-execution"]),
    );
    expect(
      [...merged].sort((a, b) => (a.slice(0, 24) < b.slice(0, 24) ? -1 : a.slice(0, 24) > b.slice(0, 24) ? 1 : 0)),
    ).toEqual(merged);

    // ap logs -f: a follower sees the lines of a restart as they are written (read until they arrive, no sleep)
    const follow = spawnAp(runDir, ["logs", "-f", "relay-execution", "-n", "1"]);
    const reader = follow.stdout.getReader();
    let followed = "";
    const first = await reader.read(); // the last existing line: the follower is running
    followed += new TextDecoder().decode(first.value);
    const restartExec = await ap(runDir, ["restart", "relay-execution"]);
    expect(restartExec.code).toBe(0);
    followed = await readUntil(reader, followed, (t) =>
      /relay-execution ready /.test(t.split("\n").slice(1).join("\n")),
    );
    follow.kill("SIGTERM");
    await follow.exited;
    expect(followed).toMatch(/relay-execution stopped \(exit 0\)/);
    expect(followed).toMatch(/relay-execution ready /);

    const down = await ap(runDir, ["down"]);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain("ap stopped: relay-market-data, relay-signal, relay-execution");
    const gone = await ap(runDir, ["status"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("ap is not running");
  }, 30_000);
});

describe("ap up in the foreground", () => {
  test("Ctrl-C stops everything cleanly", async () => {
    const runDir = join(base, "foreground");
    const proc = spawnAp(runDir, ["up"]);
    const reader = proc.stdout.getReader();
    let out = await readUntil(reader, "", (t) => t.includes("ap is up"));
    expect(out).toMatch(/ap is up: 3 services healthy in \d+ ms/);
    proc.kill("SIGINT");
    out = await readUntil(reader, out);
    expect(await proc.exited).toBe(0);
    expect(out).toContain("ap: stopped");
    expect((await ap(runDir, ["status"])).code).toBe(1);
  }, 30_000);

  test("ap up --live-trading is refused loudly: real money never moves by default", async () => {
    const r = await ap(join(base, "live-trading"), ["up", "--live-trading"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ap up --live-trading: REFUSED");
  });

  test("a bad configuration stops ap up with one line", async () => {
    const r = await ap(join(base, "bad"), ["up", "--config", join(ROOT, "fixtures/protocol/protocol-vectors.jsonl")]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("ConfigSyntax");
  });
});

describe("the offline demo (profile demo, the default)", () => {
  test("ap up --detach starts venues, collectors and execution; market data flows; ap down stops all", async () => {
    const runDir = join(base, "demo");
    const up = await ap(runDir, ["up", "--detach"], "demo");
    expect(up.code).toBe(0);
    for (const s of [
      "venue-kraken",
      "venue-binance",
      "venue-polygon",
      "collector-kraken",
      "collector-binance",
      "collector-polygon",
      "execution",
    ]) {
      expect(up.stdout).toContain(`✓ ${s} ready`);
    }
    // Waits for real frames on the market-data relay (tap returns after --count frames): the event, not a sleep.
    const tap = await ap(runDir, ["tap", "market-data", "--json", "--count", "20"], "demo");
    expect(tap.code).toBe(0);
    const frames = tap.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(frames).toHaveLength(20);
    expect(frames.every((f: { flags: number }) => (f.flags & 1) === 1)).toBe(true); // replayed data is marked
    const status = JSON.parse((await ap(runDir, ["status", "--json"], "demo")).stdout);
    expect(status.services.every((s: { state: string }) => s.state === "ready")).toBe(true);
    expect(status.services.map((s: { name: string }) => s.name)).toContain("dashboard");

    // The kill switch: ap halt returns on the engine's acknowledgement, and ap status shows it. The engine sends
    // its stats the moment a breaker changes; each retry below is one status request, bounded, not a sleep.
    const halt = await ap(runDir, ["halt", "--reason", "test"], "demo");
    expect(halt.code).toBe(0);
    let note = "";
    for (let i = 0; i < 50 && !note.includes("HALTED"); i++) {
      const s = JSON.parse((await ap(runDir, ["status", "--json"], "demo")).stdout);
      note = s.services.find((x: { name: string }) => x.name === "execution").note ?? "";
    }
    expect(note).toContain("HALTED (kill switch)");
    expect((await ap(runDir, ["resume"], "demo")).code).toBe(0);
    const down = await ap(runDir, ["down"], "demo");
    expect(down.code).toBe(0);
  }, 60_000);
});
