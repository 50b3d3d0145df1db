import { describe, expect, test } from "bun:test";
import { runAp } from "./helpers.ts";

/** `ap backtest`: the whole pipeline over the fixture captures, run as a user runs it. */

function backtest(args: string[]) {
  return runAp(["backtest", ...args]);
}

describe("ap backtest", () => {
  test("prints the same hash on every run, and the P&L reconciles with the fills", async () => {
    const [a, b] = [await backtest(["--json"]), await backtest(["--json"])];
    expect(a.code).toBe(0);
    const ra = JSON.parse(a.stdout);
    const rb = JSON.parse(b.stdout);
    expect(ra.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(rb.sha256).toBe(ra.sha256);
    expect(ra.marketFrames).toBeGreaterThan(10_000);
    expect(ra.fills).toBeGreaterThan(0);
    expect(ra.reconciliation).toEqual({ ok: true, mismatches: [] });
  }, 30_000);

  test("a missing capture file is one line and a non-zero exit", async () => {
    const r = await backtest(["--capture", "/nonexistent/file.apcap"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
