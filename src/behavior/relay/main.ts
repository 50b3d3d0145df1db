/**
 * A relay process:  bun src/behavior/relay/main.ts --domain market-data [--socket <path>] [--max-queue-bytes N]
 *                                                     [--trace <file>]
 *
 * Prints exactly one line on stdout, `ready <socket path>`, once it listens (the supervisor waits on it); everything
 * else goes to stderr through consola, tagged `relay:<name>` (AP_LOG_LEVEL, default 3 = info). SIGTERM or SIGINT:
 * closes every connection and the listener, removes the socket file, logs the final counters, exits 0. A start-up
 * failure: one line on stderr, exit 1.
 *
 * Arguments are read by hand rather than with node:util's parseArgs: that import alone costs 6 MB of RSS, and a relay
 * should stay under 50 MB (docs/relay.md).
 */
import { join } from "node:path";
import { ApError } from "../../core/errors.ts";
import { reportStats } from "../supervisor/service-report.ts";
import { defaultRunDir } from "../transport/run-dir.ts";
import { Relay } from "./relay.ts";
import { isRelayName, RELAY_CONFIGS } from "./relay-configs.ts";
import { createRelayLogger } from "./relay-logger.ts";
import type { TransitTrace } from "./transit-trace.ts";

/** Frames a transit trace holds (32 bytes each); later ones are counted as overflow. */
const TRACE_FRAMES = 1 << 20;

const OPTIONS = ["--domain", "--socket", "--max-queue-bytes", "--trace"];

function readArgs(argv: string[]): { values: Record<string, string>; error?: string } {
  const values: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split("=", 2);
    if (!OPTIONS.includes(flag)) return { values, error: `unknown argument "${argv[i]}" (${OPTIONS.join(", ")})` };
    const value = inline ?? argv[++i];
    if (value === undefined) return { values, error: `${flag} needs a value` };
    values[flag.slice(2)] = value;
  }
  return { values };
}

const { values, error } = readArgs(process.argv.slice(2));
const name = values.domain ?? "";
const log = createRelayLogger(isRelayName(name) ? name : "?", Number(process.env.AP_LOG_LEVEL ?? 3));

function fail(message: string): never {
  log.error(message);
  process.exit(1);
}

if (error) fail(error);
if (!isRelayName(name)) fail(`--domain must be one of ${Object.keys(RELAY_CONFIGS).join(", ")} (got "${name}")`);
const maxQueueBytes = values["max-queue-bytes"] === undefined ? undefined : Number(values["max-queue-bytes"]);
if (maxQueueBytes !== undefined && !(Number.isInteger(maxQueueBytes) && maxQueueBytes >= 65536)) {
  fail(`--max-queue-bytes must be an integer >= 65536 (got "${values["max-queue-bytes"]}")`);
}
const socketPath = values.socket ?? join(defaultRunDir(), `${name}.sock`);
// --trace FILE: every data frame's receive and send time, written to FILE when the relay stops (docs/relay.md)
const traceFile = values.trace;
const trace = traceFile === undefined ? undefined : await openTrace();
const relay = new Relay({ ...RELAY_CONFIGS[name], socketPath, maxQueueBytes, logger: log, trace });

async function openTrace(): Promise<TransitTrace> {
  const [{ monotonicClock }, { TransitTrace }] = await Promise.all([
    import("../transport/monotonic-clock.ts"),
    import("./transit-trace.ts"),
  ]);
  try {
    return new TransitTrace(TRACE_FRAMES, monotonicClock());
  } catch (e) {
    fail(`--trace: no CLOCK_MONOTONIC through libc here (${e instanceof Error ? e.message : String(e)})`);
  }
}

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
  if (trace !== undefined && traceFile !== undefined) {
    trace.write(traceFile);
    log.info(
      `trace: ${trace.length} frames written to ${traceFile}${trace.overflow ? ` (${trace.overflow} more not recorded)` : ""}`,
    );
  }
  const s = relay.stats();
  log.info(
    `${signal}: stopped (frames in ${s.framesIn}, out ${s.framesOut}, drops ${JSON.stringify(s.drops)}, ` +
      `gaps ${s.gaps}, duplicates ${s.duplicates}, slow-consumer disconnects ${s.slowConsumerDisconnects})`,
  );
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

await Bun.write(Bun.stdout, `ready ${socketPath}\n`);

// Counters for `ap status` (the supervisor reads `stats` lines; src/behavior/supervisor/service-report.ts). Only
// when a supervisor runs this relay: a relay started by hand keeps its stdout to the one ready line.
if (process.env.AP_SERVICE) {
  reportStats(() => {
    const { perConnection: _connections, drops, ...rest } = relay.stats();
    let dropped = 0;
    for (const n of Object.values(drops)) dropped += n;
    return { ...rest, msgs_in: rest.framesIn, msgs_out: rest.framesOut, drops: dropped, drop_reasons: drops };
  });
}
