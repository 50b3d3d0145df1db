import { describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { UnixSocketListener } from "bun";
import { DASHBOARD_STATUS_TLV, readStatus } from "../../../src/behavior/dashboard/status-frame.ts";
import { Supervisor } from "../../../src/behavior/supervisor/supervisor.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { loadConfig } from "../../../src/core/config.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { StreamFramer } from "../../../src/rules/framer.ts";
import type { FrameParser } from "../../../src/rules/parser.ts";
import { relaySocket, serveStatusControl, systemSpecs } from "../dashboard/system.ts";
import { Child, Until } from "../relay/helpers.ts";
import { tempDir } from "./helpers.ts";
import { anvilMarket, CHAIN_ID, EXECUTOR_KEY, mine, predictOut, signalFor, v2PoolState } from "./onchain/helpers.ts";

/**
 * Issue 9: keys are "never logged, never in status output, never sent to the dashboard". The execution service runs
 * live on anvil under a real Supervisor (whose status table the dashboard forwards), the dashboard runs as its own
 * process, and a plain WebSocket client reads everything the dashboard sends while a live arbitrage is signed,
 * mined and reported (until a live Fill and a status frame with the mined counter have arrived). No byte of it,
 * nor of the page, script, style sheet or health answer, nor of the supervisor's status table and log files, holds
 * the private key: as text (with or without 0x, any case) or as its 32 raw bytes.
 */
const ROOT = resolve(import.meta.dir, "../../..");
const KEY_HEX = EXECUTOR_KEY.slice(2).toLowerCase();
const KEY_BYTES = Uint8Array.from(Buffer.from(KEY_HEX, "hex"));

/** Where the key shows in these bytes (text any case, or raw), or undefined. */
function keyIn(bytes: Uint8Array): string | undefined {
  const text = Buffer.from(bytes).toString("latin1").toLowerCase();
  if (text.includes(KEY_HEX)) return "hex text";
  if (Buffer.from(bytes).indexOf(Buffer.from(KEY_BYTES)) >= 0) return "raw bytes";
  return undefined;
}

describe("the private key is never sent to the dashboard (live on-chain execution on anvil)", () => {
  const m = anvilMarket();

  test("WebSocket stream, page, bundle, status table and logs: no key while a live arbitrage is mined", async () => {
    // the detector finds what it looks for, in both forms
    expect(keyIn(new TextEncoder().encode(`x${EXECUTOR_KEY.toUpperCase()}y`))).toBe("hex text");
    expect(keyIn(Uint8Array.from([1, ...KEY_BYTES, 2]))).toBe("raw bytes");

    using tmp = tempDir();
    const dir = tmp.dir;
    chmodSync(dir, 0o700);
    const sock = (name: string) => relaySocket(dir, name);
    // the key reaches the execution service only (as ap up --live-trading does)
    const specs = systemSpecs(dir, {
      extraArgs: ["--live-onchain", "--live-poll-ms", "20"],
      env: {
        AP_EXECUTION_RPC_URL: m.anvil.url,
        AP_EXECUTION_CHAIN_ID: String(CHAIN_ID),
        AP_EXECUTION_CONTRACT: m.contract,
        AP_EXECUTION_PRIVATE_KEY: EXECUTOR_KEY,
        AP_EXECUTION_KEYSTORE: "",
        AP_CONFIG: "",
      },
    });
    const supervisor = new Supervisor(
      loadConfig({ env: { AP_SUPERVISOR_STATS_INTERVAL_MS: "100" }, cwd: dir }),
      dir,
      specs,
    );
    let control: UnixSocketListener<unknown> | undefined;
    let dashboard: Child | undefined;
    let ws: WebSocket | undefined;
    const clients: BusClient[] = [];
    try {
      control = (await serveStatusControl(dir, supervisor)) as UnixSocketListener<unknown>;
      await supervisor.start();

      dashboard = new Child([join(ROOT, "src/behavior/dashboard/main.ts"), "--run-dir", dir, "--port", "0"], {
        AP_RUN_DIR: dir,
        AP_DASHBOARD_TOKEN: "t".repeat(64),
        AP_LOG_LEVEL: "3",
        AP_EXECUTION_PRIVATE_KEY: "",
      });
      const url = (await dashboard.waitStdout(/^ready (http:\/\/127\.0\.0\.1:\d+\/)$/m))[1];

      // everything the dashboard sends to a page, as raw messages and as frames
      const messages: Uint8Array[] = [];
      const seen = {
        frames: 0,
        fills: [] as Record<string, unknown>[],
        execMsgsIn: 0,
        minedInStatus: false,
        account: false,
      };
      const events = new Until();
      const framer = new StreamFramer({
        onFrame: (_f, parser: FrameParser) => {
          seen.frames++;
          for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
            if (parser.tlvType === DASHBOARD_STATUS_TLV) {
              const status = readStatus(parser);
              const exec = status?.supervisor?.services.find((s) => s.name === "execution") as
                | { stats?: Record<string, unknown> }
                | undefined;
              seen.execMsgsIn = Number(exec?.stats?.msgs_in ?? 0);
              if (Number(exec?.stats?.onchain_mined ?? 0) >= 1) seen.minedInStatus = true;
              if (JSON.stringify(exec?.stats ?? {}).includes(m.account.address)) seen.account = true;
            } else if (parser.tlvType === 42) {
              seen.fills.push(parser.readTlv()!);
            }
          }
        },
        onSkip: () => {},
      });
      ws = new WebSocket(`${url.replace("http", "ws")}ws`);
      ws.binaryType = "arraybuffer";
      ws.onmessage = (ev) => {
        const bytes =
          ev.data instanceof ArrayBuffer ? new Uint8Array(ev.data) : new TextEncoder().encode(String(ev.data));
        messages.push(bytes.slice());
        framer.push(bytes);
        events.check();
      };
      await new Promise((res, rej) => {
        ws!.onopen = res;
        ws!.onerror = rej;
      });

      // a live arbitrage through the engine: pool states, a signal, mined by anvil, Fills from the receipt
      const statuses: Record<string, unknown>[] = [];
      const listener = new BusClient({
        socketPath: sock("execution"),
        domain: 3,
        source: 21,
        role: Role.Subscriber,
        types: [41],
        onFrame: (_f, parser: FrameParser) => {
          for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) statuses.push(parser.readTlv()!);
          events.check();
        },
      });
      const market = new BusClient({ socketPath: sock("market-data"), domain: 1, source: 2, role: Role.Publisher });
      const signals = new BusClient({ socketPath: sock("signal"), domain: 2, source: 20, role: Role.Publisher });
      clients.push(listener, market, signals);
      await Promise.all(clients.map((c) => c.ready()));
      const md = new FrameBuilder({ domain: 1, source: 2 });
      for (const pool of [m.pairA, m.pairB])
        market.send(
          md
            .begin()
            .add("PoolState", await v2PoolState(m, pool))
            .finish(),
        );
      // the pool states are in the engine before the signal goes (relays keep order per publisher only): the
      // dashboard's status frame forwards the execution service's msgs_in from the supervisor's table
      await events.until(() => seen.execMsgsIn >= 2);
      const amountIn = 1_000n * 10n ** 18n;
      const expectedOut = await predictOut(m, [m.pairA, m.pairB], amountIn);
      const s = { ...signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn, expectedOut }), validUntilNs: 0n };
      signals.send(
        new FrameBuilder({ domain: 2, source: 20 })
          .begin()
          .add("SignalIdentity", { signalId: s.signalId, strategyId: 1, strategyVersion: 1, confidence: 90 })
          .add("Economics", {
            expectedProfitUsdE8: 1n,
            requiredCapitalUsdE8: 100_000_000_000n,
            gasCostUsdE8: 1_000_000n,
            feesUsdE8: 0n,
          })
          .add("ArbitrageSignal", s)
          .finish(),
      );
      const id = (1n << 63n) | s.signalId;
      await events.until(() => statuses.some((x) => x.orderId === id && x.status === 1));
      await mine(m);
      // read until the dashboard has sent the live Fills and a status frame showing the mined transaction
      await events.until(() => seen.fills.length >= 4 && seen.minedInStatus);
      ws.close();

      expect(seen.account).toBe(true); // the live stats (with the signing address) did reach the page
      expect(seen.fills.every((f) => f.orderId === id && f.txHash !== `0x${"0".repeat(64)}`)).toBe(true);
      expect(seen.frames).toBeGreaterThan(4);
      const leaks: string[] = [];
      messages.forEach((b, i) => {
        const where = keyIn(b);
        if (where) leaks.push(`WebSocket message ${i}: ${where}`);
      });
      for (const path of ["", "index.html", "app.js", "app.css", "api/health"]) {
        const res = await fetch(`${url}${path}`);
        expect(res.status).toBe(200);
        const where = keyIn(new Uint8Array(await res.arrayBuffer()));
        if (where) leaks.push(`GET /${path}: ${where}`);
      }
      const statusText = new TextEncoder().encode(JSON.stringify(supervisor.status()));
      if (keyIn(statusText)) leaks.push("supervisor status");
      for (const f of readdirSync(join(dir, "logs"))) {
        if (keyIn(readFileSync(join(dir, "logs", f)))) leaks.push(`log ${f}`);
      }
      for (const [name, text] of [
        ["dashboard stdout", dashboard.stdout],
        ["dashboard stderr", dashboard.stderr],
      ] as const) {
        if (keyIn(new TextEncoder().encode(text))) leaks.push(name);
      }
      expect(leaks).toEqual([]);
    } finally {
      ws?.close();
      for (const c of clients) c.close();
      dashboard?.kill("SIGTERM");
      await dashboard?.proc.exited;
      await supervisor.stopAll();
      control?.stop(true);
    }
  }, 60_000);
});
