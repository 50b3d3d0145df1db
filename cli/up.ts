import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { defineCommand } from "citty";
import { controlRequest } from "../src/behavior/supervisor/control.ts";
import { runSystem } from "../src/behavior/supervisor/run.ts";
import { liveTradingPlan } from "../src/behavior/supervisor/services.ts";
import type { SupervisorEvent } from "../src/behavior/supervisor/supervisor.ts";
import { ensureRunDir } from "../src/behavior/transport/run-dir.ts";
import { Exit, guard } from "./lib/errors.ts";
import { configArg, systemContext } from "./lib/system.ts";

/**
 * `ap up`: starts the relays, then the services in dependency order, each as its own Bun process, waiting for each
 * one's ready handshake. Foreground by default (Ctrl-C stops everything cleanly); --detach leaves a background
 * supervisor. A second `ap up` finds the running one and does not start another.
 */
export default defineCommand({
  meta: {
    name: "up",
    description:
      "Start the system: relays first, then services in dependency order (foreground; --detach for background)",
  },
  args: {
    ...configArg,
    detach: { type: "boolean", description: "run in the background; returns when every service is healthy" },
    live: {
      type: "boolean",
      description:
        "real venues' public market data (Kraken, Binance; Polygon with AP_POLYGON_WS_URL); trading stays paper",
    },
    chain: {
      type: "string",
      description:
        "local: the second demo — anvil with Uniswap V2/V3 pools, a market loop, LIVE on-chain execution with anvil's public dev key (offline)",
    },
    "live-trading": {
      type: "boolean",
      description:
        "send real orders and transactions (refused unless keys are in the environment; see docs/execution.md)",
    },
  },
  async run({ args }) {
    await guard(async () => {
      if (args.live) process.env.AP_PROFILE = "live"; // the detached supervisor reads it too
      if (args.chain !== undefined && args.chain !== "local") {
        process.stderr.write(`ap up: --chain ${args.chain}: only "local" exists (anvil on this machine)\n`);
        process.exit(Exit.Usage);
      }
      if (args.chain === "local") process.env.AP_CHAIN = "local";
      const { config, runDir } = systemContext(args.config);
      const running = await controlRequest(runDir, { cmd: "ping" }, 5_000);
      if (running?.ok) {
        process.stdout.write(
          `ap is already running (supervisor pid ${running.pid}, run dir ${runDir}): see ap status\n`,
        );
        return;
      }
      // Only this flag makes trading live: a stray AP_LIVE_TRADING in the shell must not.
      delete process.env.AP_LIVE_TRADING;
      if (args["live-trading"]) {
        const live = liveTradingPlan(process.env);
        if ("refused" in live) {
          process.stderr.write(
            [
              `ap up --live-trading: REFUSED. ${live.refused}`,
              "Real money only ever moves with this explicit flag AND keys in the environment (on-chain:",
              "AP_EXECUTION_PRIVATE_KEY or AP_EXECUTION_KEYSTORE, with AP_EXECUTION_RPC_URL, AP_EXECUTION_CHAIN_ID and",
              "AP_EXECUTION_CONTRACT; CEX: AP_KRAKEN_API_KEY/_SECRET and/or AP_BINANCE_API_KEY/_SECRET). Without it ap",
              "runs paper execution.",
              "",
            ].join("\n"),
          );
          process.exit(Exit.Usage);
        }
        process.env.AP_LIVE_TRADING = live.modes.join(","); // the detached supervisor reads it too
        process.stderr.write(
          [
            "",
            "  *** LIVE TRADING: REAL ORDERS AND TRANSACTIONS ***",
            ...(live.modes.includes("onchain")
              ? ["  *** on-chain: accepted ArbitrageSignals are signed and sent as transactions (--live-onchain)"]
              : []),
            ...(live.modes.includes("cex")
              ? [`  *** CEX: OrderRequests are signed and sent to ${live.cexVenues.join(" and ")} (--live-cex)`]
              : []),
            "  *** Risk checks and breakers run first; ap halt stops submission. Keys are never logged.",
            "",
          ].join("\n"),
        );
      }
      if (args.live) {
        process.stderr.write(
          [
            "",
            "  *** LIVE MARKET DATA: the collectors connect to the real venues' public feeds (Kraken, Binance,",
            "  *** and Polygon if AP_POLYGON_WS_URL is set). Execution stays PAPER: no order leaves this machine.",
            "",
          ].join("\n"),
        );
      }
      if (process.env.AP_CHAIN === "local") {
        process.stderr.write(
          [
            "",
            "  *** CHAIN LOCAL: anvil on this machine with Uniswap V2/V3 pools and a market loop swapping every block.",
            "  *** Execution is LIVE ON-CHAIN against anvil: real transactions and receipts, signed with anvil's dev",
            "  *** account 0 — a PUBLIC LOCAL DEV KEY, worthless anywhere else. Nothing leaves this machine.",
            "",
          ].join("\n"),
        );
      }
      process.stdout.write(`ap up: run dir ${runDir}\n`);
      // The dashboard's control token (halt/resume): given, or made here so ap up can show it to the operator.
      process.env.AP_DASHBOARD_TOKEN ||= randomBytes(16).toString("hex");
      if (args.detach) return detach(runDir);
      // A Ctrl-C during start-up must not leave children behind: remember it, stop as soon as start-up returns.
      let stopRequested = false;
      let stop = () => {
        stopRequested = true;
      };
      process.on("SIGINT", () => stop());
      process.on("SIGTERM", () => stop());
      const system = await runSystem(config, runDir, printEvent).catch((e) => {
        process.stderr.write(`ap up: ${e.toLine?.() ?? e}\n`);
        process.exit(Exit.Failure);
      });
      let stopping = false;
      stop = () => {
        // Ctrl-C reaches us twice (the terminal's process group, and the npm bin forwarding it): say it once.
        if (!stopping) process.stdout.write("\nap: stopping...\n");
        stopping = true;
        void system.stop();
      };
      if (stopRequested) stop();
      process.stdout.write(
        `ap is up: ${system.supervisor.serviceNames().length} services healthy in ${Math.round(system.startupMs)} ms. Ctrl-C stops; ap status, ap logs -f, ap down from another shell.\n`,
      );
      await system.stopped;
      process.stdout.write("ap: stopped\n");
      process.exit(0);
    });
  },
});

function printEvent(e: SupervisorEvent | ({ event: string } & Record<string, unknown>)): void {
  const kind = "kind" in e ? e.kind : (e as { event: string }).event;
  const x = e as Record<string, unknown>;
  if (kind === "ready") process.stdout.write(`  ✓ ${x.service} ready in ${x.ms} ms (pid ${x.pid})\n`);
  if (kind === "ready" && x.service === "dashboard") {
    const url = String(x.detail).split(/\s+/)[0];
    process.stdout.write(
      `\n  dashboard: ${url}#token=${process.env.AP_DASHBOARD_TOKEN}\n  (the token, after #, stays in your browser; it allows halt and resume)\n\n`,
    );
  } else if (kind === "failed") process.stderr.write(`  ✗ ${x.service}: ${x.reason}\n`);
  else if (kind === "exit")
    process.stderr.write(
      `  ! ${x.service} (pid ${x.pid}) exited (${x.signal ?? `code ${x.code}`}); restarting in ${x.restartInMs} ms${x.crashLoop ? " — CRASH LOOP" : ""}\n`,
    );
}

/** Starts the supervisor as a background process and relays its start-up progress until it is up or has failed. */
async function detach(runDir: string): Promise<void> {
  ensureRunDir(runDir);
  const main = join(resolve(import.meta.dir, ".."), "src/behavior/supervisor/main.ts");
  const child = spawn(process.execPath, [main], {
    detached: true,
    stdio: ["ignore", "pipe", "ignore"],
    env: process.env,
  });
  const lines = createInterface({ input: child.stdout! });
  for await (const line of lines) {
    let e: { event: string } & Record<string, unknown>;
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (e.event === "up") {
      process.stdout.write(
        `ap is up in the background: ${(e.services as string[]).length} services healthy in ${e.ms} ms (supervisor pid ${e.pid}). ap status, ap logs -f, ap down.\n`,
      );
      child.unref();
      child.stdout?.destroy();
      process.exit(0);
    }
    if (e.event === "failed" && e.message) {
      process.stderr.write(`ap up: ${e.message}\n`);
      process.exit(Exit.Failure);
    }
    printEvent(e);
  }
  process.stderr.write(`ap up: the supervisor exited during start-up; see ${join(runDir, "logs")}\n`);
  process.exit(Exit.Failure);
}
