/**
 * The Kraken collector service:
 *
 *   bun src/behavior/adapters/kraken/main.ts --url <ws url> [--rest-url <http url>] --relay <socket path>
 *       [--symbols XBT/USD,ETH/USD] [--depth 10] [--api v1|v2] [--no-trades] [--stale-after-ms N]
 *       [--ping-interval-ms N] [--min-resync-interval-ms N] [--replayed]
 *
 * Publishes to the market-data relay; prints `ready <detail>` once connected and every subscription is acknowledged
 * (the supervisor waits on it) and `stats <json>` lines with the counters (connection state, books, checksum
 * mismatches as gaps, resyncs). Logs go to stderr, tagged `collector:kraken`. SIGTERM/SIGINT: closes the venue
 * socket, flushes the relay queue, exits 0. A start-up mistake: one line on stderr, exit 1.
 */
import { parseArgs } from "node:util";
import { SourceType } from "../../../data/venues.ts";
import { failStart, reportReady, reportStats, serviceLogger } from "../../supervisor/service-report.ts";
import { MarketPublisher } from "../common/market-publisher.ts";
import { apiOfUrl, KRAKEN_DEFAULTS, KRAKEN_DEPTHS } from "./config.ts";
import { KrakenDataClient } from "./data-client.ts";

const log = serviceLogger("collector:kraken");

function fail(message: string): never {
  return failStart(log, message);
}

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "rest-url": { type: "string" },
    relay: { type: "string" },
    symbols: { type: "string" },
    depth: { type: "string" },
    api: { type: "string" },
    "no-trades": { type: "boolean" },
    "stale-after-ms": { type: "string" },
    "ping-interval-ms": { type: "string" },
    "min-resync-interval-ms": { type: "string" },
    replayed: { type: "boolean" },
  },
  strict: true,
});

function positiveInt(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a whole number of milliseconds (got "${text}")`);
  return n;
}

const url = values.url ?? KRAKEN_DEFAULTS.url;
if (!/^wss?:\/\//.test(url)) fail(`--url must be a ws:// or wss:// URL (got "${url}")`);
if (!values.relay) fail("--relay <market-data socket path> is required");
const api = values.api ?? apiOfUrl(url);
if (api !== "v1" && api !== "v2") fail(`--api must be v1 or v2 (got "${values.api}")`);
const depth = Number(values.depth ?? KRAKEN_DEFAULTS.depth);
if (!(KRAKEN_DEPTHS as readonly number[]).includes(depth)) {
  fail(`--depth must be one of ${KRAKEN_DEPTHS.join(", ")} (got "${values.depth}")`);
}
const symbols = values.symbols
  ?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);

const publisher = new MarketPublisher({
  source: SourceType.KrakenCollector,
  name: "collector-kraken",
  socketPath: values.relay,
  flags: values.replayed ? 1 : 0,
});

const client = new KrakenDataClient({
  url,
  restUrl: values["rest-url"],
  api,
  symbols,
  depth,
  trades: !values["no-trades"],
  publisher,
  staleAfterMs: positiveInt("stale-after-ms", values["stale-after-ms"], KRAKEN_DEFAULTS.staleAfterMs),
  pingIntervalMs: positiveInt("ping-interval-ms", values["ping-interval-ms"], KRAKEN_DEFAULTS.pingIntervalMs),
  minResyncIntervalMs: positiveInt(
    "min-resync-interval-ms",
    values["min-resync-interval-ms"],
    KRAKEN_DEFAULTS.minResyncIntervalMs,
  ),
  onWarning: (message, facts) => log.warn(message, facts),
  onState: (state, reason) => log.info(`venue ${state}: ${reason}`),
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  client.close();
  await Promise.race([publisher.flushed(), new Promise((r) => setTimeout(r, 1000))]);
  publisher.close();
  const s = client.stats();
  log.info(
    `${signal}: stopped (messages ${s.msgs_in}, frames ${s.msgs_out}, checksums ${s.checksums_verified} ok / ` +
      `${s.checksum_mismatches} mismatched, resyncs ${s.resyncs}, reconnects ${s.reconnects})`,
  );
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

reportStats(() => client.stats());
await client.start();
await client.ready;
const refused = client.refused.size > 0 ? ` (refused: ${[...client.refused].join(", ")})` : "";
reportReady(`kraken ${client.api} ${client.symbols.join(",")} depth ${client.depth} via ${url}${refused}`);
