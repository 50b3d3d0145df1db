import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../core/config.ts";
import { ApError } from "../../core/errors.ts";
import { reportReady, reportStats } from "../supervisor/service-report.ts";
import { defaultRunDir, ensureRunDir } from "../transport/run-dir.ts";
import { Bridge } from "./bridge.ts";
import { parseBridgeConfig } from "./bridge-config.ts";
import { createBridgeLogger } from "./bridge-logger.ts";
import { BridgeError } from "./errors.ts";
import { NATS_SECRET_VARIABLES } from "./nats-connection-options.ts";
import { createSecretRedactor } from "./secret-redactor.ts";

export interface RunBridgeOptions {
  configPath?: string;
  runDir?: string;
  env?: Record<string, string | undefined>;
}

/**
 * The bridge as a process (src/behavior/bridge/main.ts under `ap up`, or `ap bridge` in the foreground): loads
 * [bridge], takes the run directory's bridge lock, starts the Bridge, prints `ready <instance>` and `stats {...}`
 * lines on stdout, logs on stderr. SIGTERM / SIGINT: NATS drained, relays closed, lock removed, exit 0. A start-up
 * failure: one line on stderr, exit 1.
 */
export async function runBridge(options: RunBridgeOptions = {}): Promise<never> {
  const env = options.env ?? process.env;
  const redact = createSecretRedactor(NATS_SECRET_VARIABLES.map((v) => env[v]));
  const log = createBridgeLogger(redact, Number(env.AP_LOG_LEVEL ?? 3));
  const fail = (e: unknown): never => {
    log.error(e instanceof ApError ? e.toLine() : String(e));
    process.exit(1);
  };
  let bridge: Bridge;
  let lock: string;
  try {
    const config = loadConfig({ path: options.configPath, env });
    const runDir = options.runDir ?? (config.runDir || defaultRunDir());
    ensureRunDir(runDir);
    const bridgeConfig = parseBridgeConfig(config.owned.bridge, runDir);
    lock = takeLock(join(runDir, "bridge.pid"));
    bridge = new Bridge({ config: bridgeConfig, runDir, env, log, redact });
  } catch (e) {
    return fail(e);
  }
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    await bridge.stop();
    rmSync(lock, { force: true });
    const s = bridge.stats();
    log.info(
      `${signal}: stopped (to nats ${s.published}, from nats ${s.received}, republished ${s.republished}, ` +
        `gaps ${s.gaps}, missing ${s.missing}, duplicates ${s.duplicates}, drops ${s.drops})`,
    );
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  try {
    await bridge.start();
  } catch (e) {
    rmSync(lock, { force: true });
    return fail(e);
  }
  const c = bridge.config;
  log.info(
    `instance ${c.instance}: ${c.publish.join(",") || "nothing"} -> nats ${redact(bridge.server)} -> ` +
      `${c.subscribe.join(",") || "nothing"}${c.jetstream ? ` (JetStream ${c.stream}, ${c.historyMinutes} min)` : ""}`,
  );
  reportReady(c.instance);
  reportStats(() => bridge.stats());
  return new Promise<never>(() => {});
}

/**
 * One bridge per run directory (a second one would forward the first one's republished frames back to NATS: a
 * loop). The lock is a pid file created exclusively; one left by a dead process is replaced.
 */
function takeLock(path: string): string {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return path;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(path, "utf8").trim());
      if (Number.isInteger(pid) && pid > 0 && alive(pid)) {
        throw new BridgeError({
          code: "BridgeAlreadyRunning",
          message: `another bridge (pid ${pid}) serves this run directory`,
          facts: { pid, lock: path },
          hint: "one bridge per ap instance: stop the other one first",
        });
      }
      rmSync(path, { force: true });
    }
  }
  throw new BridgeError({ code: "BridgeAlreadyRunning", message: `could not take ${path}`, facts: { lock: path } });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
