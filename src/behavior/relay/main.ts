/**
 * A relay process:  bun src/behavior/relay/main.ts --domain market-data [--socket <path>] [--max-queue-bytes N]
 *
 * Prints exactly one line on stdout, `ready <socket path>`, once it listens (the supervisor waits on it); everything
 * else goes to stderr through consola, tagged `relay:<name>`. SIGTERM or SIGINT: closes every connection and the
 * listener, removes the socket file, logs the final counters, exits 0. A start-up failure: one line on stderr, exit 1.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createConsola } from "consola";
import { ApError } from "../../core/errors.ts";
import { defaultRunDir } from "../transport/run-dir.ts";
import { Relay } from "./relay.ts";
import { isRelayName, RELAY_CONFIGS } from "./relay-configs.ts";

// An explicit level: consola goes silent when it detects a test environment (NODE_ENV=test, inherited from bun test).
const level = Number(process.env.AP_LOG_LEVEL ?? 3);
const log0 = createConsola({ level, stdout: process.stderr, stderr: process.stderr });

function fail(message: string): never {
  log0.error(message);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    domain: { type: "string" },
    socket: { type: "string" },
    "max-queue-bytes": { type: "string" },
  },
  strict: true,
});

const name = values.domain ?? "";
if (!isRelayName(name)) fail(`--domain must be one of ${Object.keys(RELAY_CONFIGS).join(", ")} (got "${name}")`);
const maxQueueBytes = values["max-queue-bytes"] === undefined ? undefined : Number(values["max-queue-bytes"]);
if (maxQueueBytes !== undefined && !(Number.isInteger(maxQueueBytes) && maxQueueBytes >= 65536)) {
  fail(`--max-queue-bytes must be an integer >= 65536 (got "${values["max-queue-bytes"]}")`);
}
const socketPath = values.socket ?? join(defaultRunDir(), `${name}.sock`);
const log = log0.withTag(`relay:${name}`);
const relay = new Relay({ ...RELAY_CONFIGS[name], socketPath, maxQueueBytes, logger: log });

try {
  await relay.start();
} catch (e) {
  fail(e instanceof ApError ? e.toLine() : String(e));
}

let stopping = false;
function shutdown(signal: string): void {
  if (stopping) return;
  stopping = true;
  relay.stop();
  const s = relay.stats();
  log.info(
    `${signal}: stopped (frames in ${s.framesIn}, out ${s.framesOut}, drops ${JSON.stringify(s.drops)}, ` +
      `gaps ${s.gaps}, duplicates ${s.duplicates}, slow-consumer disconnects ${s.slowConsumerDisconnects})`,
  );
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

process.stdout.write(`ready ${socketPath}\n`);
