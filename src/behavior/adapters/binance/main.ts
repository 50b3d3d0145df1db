/**
 * The Binance collector service:
 *   bun src/behavior/adapters/binance/main.ts --url <ws url> [--rest-url <http url>] --relay <socket>
 *       [--market spot|usdm] [--symbols BTCUSDT,ETHUSDT] [--depth-speed 100ms] [--snapshot-limit 1000]
 *       [--book-depth 50] [--trades trade,aggTrade] [--no-book-ticker] [--stale-ms 60000] [--replayed]
 *
 * Prints `ready <detail>` once the stream is open and subscribed (the supervisor waits on it) and `stats <json>`
 * lines with the collector's counters (ap status --json). Logs go to stderr (consola, tag collector:binance).
 * SIGTERM / SIGINT: closes the stream, flushes the relay queue, exits 0. Bad flags: one line on stderr, exit 1.
 */
import { parseArgs } from "node:util";
import { SourceType } from "../../../data/venues.ts";
import { failStart, reportReady, reportStats, serviceLogger } from "../../supervisor/service-report.ts";
import { MarketPublisher } from "../common/market-publisher.ts";
import { BINANCE_MARKETS, type BinanceMarket, defaultBinanceConfig } from "./config.ts";
import { BinanceDataClient } from "./data-client.ts";

const log = serviceLogger("collector:binance");

function fail(message: string): never {
  return failStart(log, message);
}

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    "rest-url": { type: "string" },
    relay: { type: "string" },
    market: { type: "string" },
    symbols: { type: "string" },
    "depth-speed": { type: "string" },
    "snapshot-limit": { type: "string" },
    "book-depth": { type: "string" },
    trades: { type: "string" },
    "no-book-ticker": { type: "boolean" },
    "stale-ms": { type: "string" },
    replayed: { type: "boolean" },
  },
  strict: true,
});

const int = (name: string, text: string | undefined, min: number, max: number): number | undefined => {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    fail(`--${name} must be an integer in ${min}..${max} (got "${text}")`);
  return n;
};

const market = (values.market ?? "spot") as BinanceMarket;
if (!(market in BINANCE_MARKETS)) fail(`--market must be spot or usdm (got "${values.market}")`);
if (!values.url || !/^wss?:\/\//.test(values.url))
  fail(`--url must be a ws:// or wss:// URL (got "${values.url ?? ""}")`);
if (values["rest-url"] !== undefined && !/^https?:\/\//.test(values["rest-url"]))
  fail(`--rest-url must be an http:// or https:// URL (got "${values["rest-url"]}")`);
if (!values.relay) fail("--relay <market-data socket path> is required");
const symbols = (values.symbols ?? "BTCUSDT").split(",").map((s) => s.trim().toUpperCase());
for (const s of symbols) if (!/^[A-Z0-9]{2,20}$/.test(s)) fail(`symbol "${s}" is not a Binance symbol like BTCUSDT`);
const trades = (values.trades ?? "trade").split(",").filter(Boolean) as ("trade" | "aggTrade")[];
for (const t of trades)
  if (t !== "trade" && t !== "aggTrade") fail(`--trades takes trade and/or aggTrade (got "${t}")`);
const depthSpeed = values["depth-speed"];
if (depthSpeed !== undefined && !/^(|0ms|100ms|250ms|500ms|1000ms)$/.test(depthSpeed))
  fail(`--depth-speed must be 0ms, 100ms, 250ms, 500ms or 1000ms (got "${depthSpeed}")`);

// The REST base defaults to the WebSocket's host (the replay venue serves both); the live venue needs --rest-url.
const restUrl = values["rest-url"] ?? values.url.replace(/^ws/, "http").replace(/\/(stream|ws).*$/, "");

const config = defaultBinanceConfig(market, {
  url: values.url,
  restUrl,
  symbols,
  trades,
  bookTicker: !values["no-book-ticker"],
  ...(depthSpeed !== undefined ? { depthSpeed } : {}),
  ...(values["snapshot-limit"] ? { snapshotLimit: int("snapshot-limit", values["snapshot-limit"], 5, 5000) } : {}),
  ...(values["book-depth"] ? { bookDepth: int("book-depth", values["book-depth"], 1, 1000) } : {}),
  ...(values["stale-ms"] ? { staleAfterMs: int("stale-ms", values["stale-ms"], 100, 3_600_000) } : {}),
});

const publisher = new MarketPublisher({
  source: SourceType.BinanceCollector,
  name: `collector-binance-${market}`,
  socketPath: values.relay,
  flags: values.replayed ? 1 : 0,
});
const client = new BinanceDataClient({
  config,
  publisher,
  log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  client.stop();
  await Promise.race([publisher.flushed(), new Promise((r) => setTimeout(r, 1000))]);
  publisher.close();
  log.info(`${signal}: stopped (${JSON.stringify(client.stats())})`);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

await client.start();
await client.ready;
reportReady(`binance ${market} ${symbols.join(",")} via ${config.url}`);
reportStats(() => client.stats());
