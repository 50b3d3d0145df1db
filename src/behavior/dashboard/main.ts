/**
 * The dashboard service:
 *   bun src/behavior/dashboard/main.ts [--port N] [--run-dir D]
 *     [--market-data-socket S] [--signal-socket S] [--execution-socket S]
 *
 * Serves the page on 127.0.0.1 only (port 0, the default, picks a free one) and prints one line on stdout,
 * `ready http://127.0.0.1:<port>/`, then `stats {...}` lines (src/behavior/supervisor/service-report.ts). The control
 * token is AP_DASHBOARD_TOKEN, or a random one printed once on stderr. SIGTERM/SIGINT: closes the relay
 * connections and the server, exit 0. A start-up failure: one line on stderr, exit 1. docs/dashboard.md.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createConsola } from "consola";
import { ApError } from "../../core/errors.ts";
import { reportReady, reportStats } from "../supervisor/service-report.ts";
import { defaultRunDir } from "../transport/run-dir.ts";
import { type Dashboard, startDashboard } from "./server.ts";
import { resolveToken } from "./token.ts";

// An explicit level: consola goes silent when it detects a test environment (NODE_ENV=test, inherited from bun test).
const level = Number(process.env.AP_LOG_LEVEL ?? 3);
const log = createConsola({ level, stdout: process.stderr, stderr: process.stderr }).withTag("dashboard");

function fail(message: string): never {
  log.error(message);
  process.exit(1);
}

let values: Record<string, string | undefined>;
try {
  values = parseArgs({
    options: {
      port: { type: "string" },
      "run-dir": { type: "string" },
      "market-data-socket": { type: "string" },
      "signal-socket": { type: "string" },
      "execution-socket": { type: "string" },
    },
    strict: true,
  }).values;
} catch (e) {
  fail((e as Error).message);
}

const port = Number(values.port ?? 0);
if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) fail(`--port must be 0-65535 (got "${values.port}")`);
const runDir = values["run-dir"] ?? defaultRunDir();
const socket = (name: string) => values[`${name}-socket`] ?? join(runDir, `${name}.sock`);
const { token, generated } = resolveToken();

let dashboard: Dashboard;
try {
  dashboard = await startDashboard({
    port,
    token,
    runDir,
    sockets: { "market-data": socket("market-data"), signal: socket("signal"), execution: socket("execution") },
    onWarning: (m) => log.warn(m),
  });
} catch (e) {
  fail(e instanceof ApError ? e.toLine() : String(e));
}
log.info(`page bundled in ${Math.round(dashboard.page.buildMs)} ms (${dashboard.page.js.length} bytes of script)`);
// Printed once, on stderr: the operator's terminal (ap up shows it) and the private run directory's log.
if (generated) process.stderr.write(`dashboard token: ${token}  (open ${dashboard.url}#token=${token})\n`);

reportReady(dashboard.url);
const stopStats = reportStats(() => {
  const c = dashboard.coalescer.counters;
  return {
    msgs_in: c.framesIn,
    msgs_out: c.framesOut,
    drops: c.shed + c.badFrames,
    gaps: 0,
    coalesced: c.coalesced,
    clients: dashboard.clients(),
  };
});

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  stopStats();
  dashboard.stop();
  const c = dashboard.coalescer.counters;
  log.info(
    `${signal}: stopped (frames in ${c.framesIn}, out ${c.framesOut}, coalesced ${c.coalesced}, shed ${c.shed})`,
  );
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
