import { join, resolve } from "node:path";
import { defineCommand } from "citty";
import { Exit, guard } from "./lib/errors.ts";
import { configArg, systemContext } from "./lib/system.ts";

const ROOT = resolve(import.meta.dir, "..");

/** The services `ap run` can start alone, with the flags they get by default (the run dir's relay sockets). */
const SERVICES: Record<string, { script: string; defaults: (runDir: string) => string[]; about: string }> = {
  "collector-kraken": {
    script: "src/behavior/adapters/kraken/main.ts",
    defaults: (d) => ["--relay", join(d, "market-data.sock")],
    about: "Kraken collector (--url ws://... [--symbols XBT/USD] [--depth 10])",
  },
  "collector-binance": {
    script: "src/behavior/adapters/binance/main.ts",
    defaults: (d) => ["--relay", join(d, "market-data.sock")],
    about: "Binance collector (--url ws://... --rest-url http://... [--symbols BTCUSDT] [--market spot|usdm])",
  },
  "collector-polygon": {
    script: "src/behavior/adapters/polygon/main.ts",
    defaults: (d) => ["--relay", join(d, "market-data.sock")],
    about: "Polygon DEX collector (--url ws://... JSON-RPC [--pools 0x..])",
  },
  "relay-market-data": {
    script: "src/behavior/relay/main.ts",
    defaults: (d) => ["--domain", "market-data", "--socket", join(d, "market-data.sock")],
    about: "market data relay",
  },
  "relay-signal": {
    script: "src/behavior/relay/main.ts",
    defaults: (d) => ["--domain", "signal", "--socket", join(d, "signal.sock")],
    about: "signal relay",
  },
  "relay-execution": {
    script: "src/behavior/relay/main.ts",
    defaults: (d) => ["--domain", "execution", "--socket", join(d, "execution.sock")],
    about: "execution relay",
  },
  execution: {
    script: "src/behavior/execution/main.ts",
    defaults: (d) => ["--run-dir", d],
    about: "paper execution engine",
  },
};

/**
 * `ap run <service> [flags...]`: one service alone in the foreground, pointed at any URL, e.g.
 * `ap run collector-kraken --url ws://127.0.0.1:8080`. Flags after the service name go to the service; the relay
 * sockets of the run dir are filled in unless given.
 */
export default defineCommand({
  meta: { name: "run", description: `Run one service alone in the foreground: ${Object.keys(SERVICES).join(", ")}` },
  args: {
    ...configArg,
    service: {
      type: "positional",
      required: true,
      description: Object.entries(SERVICES)
        .map(([n, s]) => `${n}: ${s.about}`)
        .join("; "),
    },
  },
  async run({ args, rawArgs }) {
    await guard(async () => {
      const svc = SERVICES[args.service];
      if (!svc) {
        process.stderr.write(`ap run: unknown service "${args.service}"; one of ${Object.keys(SERVICES).join(", ")}\n`);
        process.exit(Exit.Usage);
      }
      const { runDir } = systemContext(args.config);
      const passed = rawArgs.slice(rawArgs.indexOf(args.service) + 1).filter((a) => a !== "--");
      const defaults = svc
        .defaults(runDir)
        .filter(
          (a, i, all) =>
            !(a.startsWith("--") && passed.includes(a)) &&
            !(i > 0 && all[i - 1].startsWith("--") && passed.includes(all[i - 1])),
        );
      const proc = Bun.spawn([process.execPath, join(ROOT, svc.script), ...defaults, ...passed], {
        stdio: ["inherit", "inherit", "inherit"],
        env: { ...process.env, AP_RUN_DIR: runDir },
      });
      for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => proc.kill(sig));
      process.exit(await proc.exited);
    });
  },
});
