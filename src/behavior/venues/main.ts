/**
 * A replay venue as a service process (the offline demo, and `ap venue`):
 *   bun src/behavior/venues/main.ts --venue kraken|binance|polygon --capture <file>[,<file>...] [--speed 1x|10x|max]
 *       [--loop] [--port N] [--asset-pairs <file>] [--instrument-snapshot <file>] [--pools <pools.json>]
 *
 * Prints `ready <ws url> [<rest url>]` once it listens on 127.0.0.1 (the supervisor hands the URLs to the
 * collector that depends on it), and `stats <json>` lines with what it served. SIGTERM/SIGINT: stops, exits 0.
 */
import { parseArgs } from "node:util";
import { reportReady, reportStats } from "../supervisor/service-report.ts";
import { startBinanceVenue } from "./binance-venue.ts";
import { parseSpeed } from "./capture-records.ts";
import { startKrakenVenue } from "./kraken-venue.ts";
import { startPolygonVenue } from "./polygon-venue.ts";

function fail(message: string): never {
  process.stderr.write(`venue: ${message}\n`);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    venue: { type: "string" },
    capture: { type: "string" },
    speed: { type: "string" },
    loop: { type: "boolean" },
    port: { type: "string" },
    "asset-pairs": { type: "string" },
    "instrument-snapshot": { type: "string" },
    pools: { type: "string" },
  },
  strict: true,
});

if (!values.capture) fail("--capture <file> is required");
const captures = values.capture.split(",").filter(Boolean);
let speed: number;
try {
  speed = parseSpeed(values.speed ?? "1x");
} catch (e) {
  fail((e as Error).message);
}
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0-65535 (got "${values.port}")`);
const loop = values.loop ?? false;

let urls: string[];
let stop: () => void;
let stats: () => Record<string, unknown>;
switch (values.venue) {
  case "kraken": {
    const v = await startKrakenVenue({
      capture: captures,
      assetPairs: values["asset-pairs"],
      instrumentSnapshot: values["instrument-snapshot"],
      speed,
      loop,
      port,
    });
    urls = [v.url, v.restUrl];
    stop = () => v.stop();
    stats = () => ({ ...v.stats });
    break;
  }
  case "binance": {
    const v = await startBinanceVenue({ capture: captures[0], speed, loop, port });
    urls = [v.url, v.restUrl];
    stop = () => v.stop();
    stats = () => ({ ...v.stats });
    break;
  }
  case "polygon": {
    const v = await startPolygonVenue({ logs: captures, poolsFile: values.pools, speed, loop, port });
    urls = [v.url];
    stop = () => v.stop();
    stats = () => ({ ...v.stats, head: v.head() });
    break;
  }
  default:
    fail(`--venue must be kraken, binance or polygon (got "${values.venue ?? ""}")`);
}

const stopStats = reportStats(() => ({ msgs_out: Number(stats().sent ?? stats().notifications ?? 0), ...stats() }));
for (const sig of ["SIGTERM", "SIGINT"] as const) {
  process.on(sig, () => {
    stopStats();
    stop();
    process.exit(0);
  });
}
reportReady(urls.join(" "));
