import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { ROOT, runAp, spawnAp } from "./helpers.ts";

/** `ap venue` and `ap run`: one service alone against a local replay venue, as a user would run them. */
const runDir = mkdtempSync(join(tmpdir(), "ap-venue-"));
const procs: Subprocess[] = [];
afterAll(async () => {
  for (const p of procs) p.kill("SIGTERM");
  await Promise.all(procs.map((p) => p.exited));
  rmSync(runDir, { recursive: true, force: true });
});

const env = { ...process.env, AP_RUN_DIR: runDir, AP_CONFIG: "" };

/** Starts `ap <args>` and resolves with its output once a line matches `ready` (an event, not a sleep). */
async function start(args: string[], ready: RegExp): Promise<string> {
  const proc = spawnAp(args, { env });
  procs.push(proc);
  const reader = proc.stdout.getReader();
  let out = "";
  while (!ready.test(out)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`ap ${args.join(" ")} ended before ${ready}: ${out}`);
    out += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  return out;
}

describe("ap venue + ap run", () => {
  test("a Binance collector run alone against a replay venue publishes the captured market", async () => {
    const venue = await start(
      [
        "venue",
        join(ROOT, "fixtures/binance/spot-btcusdt-depth100ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz"),
        "--speed",
        "max",
        "--loop",
      ],
      /REST http:\S+/,
    );
    const url = /ws:\/\/\S+/.exec(venue)![0];
    const rest = /http:\/\/\S+/.exec(venue)![0];
    await start(["run", "relay-market-data"], /^ready /m);
    await start(["run", "collector-binance", "--url", url, "--rest-url", rest], /^ready binance spot BTCUSDT/m);
    const { stdout: text, code } = await runAp(["tap", "market-data", "--json", "--type", "Trade", "--count", "5"], {
      env,
    });
    expect(code).toBe(0);
    const trades = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(trades).toHaveLength(5);
    expect(trades[0].tlvs[0].instrument).toBe("binance:spot:BTC/USDT");
  }, 30_000);

  test("an unknown service or venue is a one-line usage error", async () => {
    const p = await runAp(["run", "nope"], { env });
    expect(p.code).toBe(2);
    expect(p.stderr).toContain('unknown service "nope"');
  });
});
