/**
 * The Polygon DEX collector service:
 *   bun src/behavior/adapters/polygon/main.ts --url <ws url> --relay <socket> [--pools 0x..,0x..] [--from-block N]
 *       [--chain-id 137] [--max-block-range 2000] [--max-rps 20] [--stale-ms 30000] [--replayed]
 *       [--factory <0x address>:<v2|v3>:<0x init code hash>[:<venue>]]...
 *
 * Prints `ready <detail>` once connected, subscribed and backfilled (the supervisor waits on it) and `stats <json>`
 * lines with the collector's counters (ap status --json). Logs go to stderr (consola, tag collector:polygon).
 * SIGTERM / SIGINT: closes the node connection, flushes the relay queue, exits 0. Bad start-up flags: one line, exit 1.
 * `--symbols` is accepted as another name for `--pools` (the common collector flag). `--factory` (repeatable) accepts
 * the pools of one more factory besides the Polygon ones (a local chain: anvil with `--chain-id 31337`).
 */
import { parseArgs } from "node:util";
import { ApError } from "../../../core/errors.ts";
import { SourceType } from "../../../data/venues.ts";
import { failStart, reportReady, reportStats, serviceLogger } from "../../supervisor/service-report.ts";
import { MarketPublisher } from "../common/market-publisher.ts";
import { DEFAULT_POOLS, type KnownFactory, parseFactorySpec } from "./config.ts";
import { PolygonDataClient } from "./data-client.ts";

const log = serviceLogger("collector:polygon");

function fail(message: string): never {
  return failStart(log, message);
}

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    relay: { type: "string" },
    pools: { type: "string" },
    symbols: { type: "string" },
    "from-block": { type: "string" },
    "chain-id": { type: "string" },
    "max-block-range": { type: "string" },
    "max-rps": { type: "string" },
    "stale-ms": { type: "string" },
    replayed: { type: "boolean" },
    factory: { type: "string", multiple: true },
  },
  strict: true,
});

const int = (name: string, text: string | undefined, min: number): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} must be an integer >= ${min} (got "${text}")`);
  return n;
};

if (!values.url || !/^wss?:\/\//.test(values.url))
  fail(`--url must be a ws:// or wss:// URL (got "${values.url ?? ""}")`);
if (!values.relay) fail("--relay <market-data socket path> is required");
const poolText = values.pools ?? values.symbols;
const pools = poolText ? poolText.split(",").map((p) => p.trim().toLowerCase()) : [...DEFAULT_POOLS];
for (const p of pools) if (!/^0x[0-9a-f]{40}$/.test(p)) fail(`pool "${p}" is not a 0x address of 40 hex digits`);
const fromBlock = int("from-block", values["from-block"], 0);
const extraFactories: KnownFactory[] = [];
for (const spec of values.factory ?? []) {
  try {
    extraFactories.push(parseFactorySpec(spec));
  } catch (e) {
    fail(`--factory ${e instanceof Error ? e.message : String(e)}`);
  }
}

const publisher = new MarketPublisher({
  source: SourceType.PolygonCollector,
  name: "collector-polygon",
  socketPath: values.relay,
  flags: values.replayed ? 1 : 0,
});
const client = new PolygonDataClient(
  {
    url: values.url,
    pools,
    chainId: int("chain-id", values["chain-id"], 1),
    fromBlock: fromBlock === undefined ? undefined : BigInt(fromBlock),
    maxBlockRange: int("max-block-range", values["max-block-range"], 1),
    maxRequestsPerSecond: int("max-rps", values["max-rps"], 1),
    staleAfterMs: int("stale-ms", values["stale-ms"], 100),
    ...(extraFactories.length > 0 ? { extraFactories } : {}),
  },
  publisher,
  {
    onReady: (detail) => reportReady(detail),
    onState: (state, reason) => log.info(`${state}: ${reason}`),
    onProblem: (what, error) =>
      log.warn(`${what}${error ? `: ${error instanceof ApError ? error.toLine() : String(error)}` : ""}`),
  },
);

const stopStats = reportStats(() => {
  const c = client.stats();
  return {
    ...c,
    msgs_in: c.logsIn,
    msgs_out: publisher.framesOut,
    drops: c.decodeErrors + c.unknownPoolLogs,
  };
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  client.stop();
  stopStats();
  await Promise.race([publisher.flushed(), new Promise((r) => setTimeout(r, 1000))]);
  publisher.close();
  const c = client.stats();
  log.info(
    `${signal}: stopped (logs ${c.logsIn}, swaps ${c.swaps}, corrections ${c.corrections}, frames ${publisher.framesOut})`,
  );
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
