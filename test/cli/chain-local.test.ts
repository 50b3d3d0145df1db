import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { liveTradingPlan, servicesFromConfig } from "../../src/behavior/supervisor/services.ts";
import { parseConfig } from "../../src/core/config.ts";
import { runAp } from "./helpers.ts";

/** `ap up --live-trading` with and without keys, and `ap up --chain local` (issue 9 "A second demo profile"). */
const base = mkdtempSync(join(tmpdir(), "ap-chain-local-"));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const NO_KEYS = {
  AP_EXECUTION_PRIVATE_KEY: "",
  AP_EXECUTION_KEYSTORE: "",
  AP_EXECUTION_RPC_URL: "",
  AP_EXECUTION_CHAIN_ID: "",
  AP_EXECUTION_CONTRACT: "",
  AP_KRAKEN_API_KEY: "",
  AP_KRAKEN_API_SECRET: "",
  AP_BINANCE_API_KEY: "",
  AP_BINANCE_API_SECRET: "",
  AP_LIVE_TRADING: "",
  AP_CHAIN: "",
};

function ap(runDir: string, args: string[], extra: Record<string, string> = {}) {
  return runAp(args, {
    cwd: base,
    env: { ...process.env, ...NO_KEYS, AP_RUN_DIR: runDir, AP_CONFIG: "", AP_PROFILE: "relays", ...extra },
  });
}

describe("ap up --live-trading", () => {
  test("refused without keys, naming the variable", async () => {
    const r = await ap(join(base, "no-keys"), ["up", "--live-trading"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("ap up --live-trading: REFUSED");
    expect(r.stderr).toContain("AP_EXECUTION_PRIVATE_KEY is not set");
  });

  test("refused with a key but no RPC url; half a CEX pair names the missing half", async () => {
    const key = `0x${"11".repeat(32)}`;
    const r = await ap(join(base, "no-rpc"), ["up", "--live-trading"], { AP_EXECUTION_PRIVATE_KEY: key });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("AP_EXECUTION_RPC_URL is not set");
    expect(r.stderr).not.toContain(key.slice(2));
    const half = await ap(join(base, "half"), ["up", "--live-trading"], { AP_KRAKEN_API_KEY: "kraken-key-value" });
    expect(half.code).toBe(2);
    expect(half.stderr).toContain("AP_KRAKEN_API_SECRET is not set");
    expect(half.stderr).not.toContain("kraken-key-value");
  });

  test("with keys: not refused, loud, and the execution service gets --live-cex; keys hidden from the others", async () => {
    const runDir = join(base, "keys");
    const r = await ap(runDir, ["up", "--detach", "--live-trading"], {
      AP_BINANCE_API_KEY: "binance-key-value",
      AP_BINANCE_API_SECRET: "binance-secret-value",
    });
    try {
      expect(r.code).toBe(0);
      expect(r.stderr).toContain("LIVE TRADING: REAL ORDERS AND TRANSACTIONS");
      expect(r.stderr).toContain("sent to Binance (--live-cex)");
      expect(r.stdout + r.stderr).not.toContain("binance-secret-value");
    } finally {
      expect((await ap(runDir, ["down"])).code).toBe(0);
    }
    expect(liveTradingPlan({ AP_BINANCE_API_KEY: "k", AP_BINANCE_API_SECRET: "s" })).toEqual({
      modes: ["cex"],
      cexVenues: ["Binance"],
    });
    const env = { AP_LIVE_TRADING: "onchain,cex", AP_EXECUTION_PRIVATE_KEY: "secret" };
    const services = servicesFromConfig(parseConfig({}, {}), "/run", env);
    const execution = services.find((s) => s.name === "execution")!;
    expect(execution.command).toContain("--live-onchain");
    expect(execution.command).toContain("--live-cex");
    for (const s of services.filter((x) => x.name !== "execution")) {
      expect(s.env?.AP_EXECUTION_PRIVATE_KEY).toBe("");
      expect(s.env?.AP_BINANCE_API_SECRET).toBe("");
    }
    // without the flag (no AP_LIVE_TRADING) the execution service is paper
    const paper = servicesFromConfig(parseConfig({}, {}), "/run", {}).find((s) => s.name === "execution")!;
    expect(paper.command.some((a) => a.startsWith("--live"))).toBe(false);
  }, 30_000);
});

describe("ap up --chain local", () => {
  test("anvil, pools, market loop and live on-chain execution: a Fill with a real tx hash; ap down leaves no anvil", async () => {
    const runDir = join(base, "chain");
    const up = await ap(runDir, ["up", "--detach", "--chain", "local"], { AP_PROFILE: "demo" });
    let anvilPid = 0;
    try {
      expect(up.code).toBe(0);
      expect(up.stderr).toContain("PUBLIC LOCAL DEV KEY");
      for (const s of ["anvil", "chain-local", "collector-polygon", "execution", "strategy-flash-arbitrage"]) {
        expect(up.stdout).toContain(`✓ ${s} ready`);
      }
      anvilPid = Number(/\(pid (\d+)\)/.exec(readFileSync(join(runDir, "logs/anvil.log"), "utf8"))![1]);
      expect(anvilPid).toBeGreaterThan(0);
      // an event: the first Fill the live executor publishes from a receipt
      const tap = await ap(runDir, ["tap", "execution", "--json", "--type", "Fill", "--count", "1"]);
      expect(tap.code).toBe(0);
      const fill = JSON.parse(tap.stdout.trim().split("\n")[0]).tlvs[0];
      expect(fill.tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(fill.tx_hash).not.toBe(`0x${"0".repeat(64)}`);
      const rpcUrl = /ready (http:\/\/127\.0\.0\.1:\d+)/.exec(readFileSync(join(runDir, "logs/anvil.log"), "utf8"))![1];
      const res = await fetch(rpcUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_getTransactionReceipt", params: [fill.tx_hash] }),
      });
      const receipt = ((await res.json()) as { result: { status: string; from: string } }).result;
      // a swap Fill comes from a mined swap; the gas Fill (on the native asset 0xeeee...) also from a reverted one
      const gasFill = JSON.stringify(fill.instrument).toLowerCase().includes("e".repeat(40));
      if (!gasFill) expect(receipt.status).toBe("0x1");
      expect(receipt.from).toBe("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"); // anvil dev account 0
      // the dev key is labelled, and never logged
      const executionLog = readFileSync(join(runDir, "logs/execution.log"), "utf8");
      expect(executionLog).toContain("anvil dev key 0 (public, local only)");
      expect(executionLog).not.toContain("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
    } finally {
      const down = await ap(runDir, ["down"]);
      expect(down.code).toBe(0);
      expect(down.stdout).toContain("anvil");
    }
    // ap down returns once every service has exited; the anvil service waits for anvil's exit before its own
    expect(() => process.kill(anvilPid, 0)).toThrow();
  }, 90_000);
});
