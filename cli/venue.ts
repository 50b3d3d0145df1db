import { basename } from "node:path";
import { defineCommand } from "citty";
import { startBinanceVenue } from "../src/behavior/venues/binance-venue.ts";
import { parseSpeed } from "../src/behavior/venues/capture-records.ts";
import { startKrakenVenue } from "../src/behavior/venues/kraken-venue.ts";
import { startPolygonVenue } from "../src/behavior/venues/polygon-venue.ts";
import { Exit, guard } from "./lib/errors.ts";

/**
 * `ap venue <capture>`: a local exchange-like server replaying a capture in the venue's own protocol, so a collector
 * (or any client of yours) runs against it unchanged, by URL. The venue is taken from the file's path (kraken,
 * binance, polygon/univ3/quickswap) or --venue.
 */
export default defineCommand({
  meta: {
    name: "venue",
    description: "Serve a capture as a local Kraken, Binance or Polygon JSON-RPC venue on 127.0.0.1",
  },
  args: {
    capture: { type: "positional", required: true, description: "capture file (.jsonl or .jsonl.gz), as in fixtures/" },
    venue: { type: "string", description: "kraken | binance | polygon (default: from the file path)" },
    port: { type: "string", description: "port on 127.0.0.1 (default: a free one)" },
    speed: { type: "string", description: "1x (recorded pace), 10x, max", default: "1x" },
    loop: { type: "boolean", description: "start over at the end" },
    "asset-pairs": { type: "string", description: "Kraken v1: AssetPairs capture served at /0/public/AssetPairs" },
    pools: { type: "string", description: "Polygon: pools.json (default fixtures/polygon/pools.json)" },
  },
  async run({ args }) {
    await guard(async () => {
      const venue = args.venue ?? guessVenue(args.capture);
      if (!venue) {
        process.stderr.write(
          `ap venue: cannot tell the venue of ${basename(args.capture)}; pass --venue kraken|binance|polygon\n`,
        );
        process.exit(Exit.Usage);
      }
      const speed = parseSpeed(args.speed);
      const port = args.port ? Number(args.port) : 0;
      const loop = args.loop ?? false;
      let stop: () => void;
      if (venue === "kraken") {
        const v = await startKrakenVenue({ capture: args.capture, assetPairs: args["asset-pairs"], speed, loop, port });
        process.stdout.write(`kraken venue (${v.api}) on ${v.url}  REST ${v.restUrl}\n`);
        stop = () => v.stop();
      } else if (venue === "binance") {
        const v = await startBinanceVenue({ capture: args.capture, speed, loop, port });
        process.stdout.write(`binance venue on ${v.url}  REST ${v.restUrl}\n`);
        stop = () => v.stop();
      } else if (venue === "polygon") {
        const v = await startPolygonVenue({ logs: args.capture, poolsFile: args.pools, speed, loop, port });
        process.stdout.write(`polygon JSON-RPC venue on ${v.url}\n`);
        stop = () => v.stop();
      } else {
        process.stderr.write(`ap venue: unknown venue "${venue}"\n`);
        process.exit(Exit.Usage);
      }
      process.stdout.write(
        `replaying ${basename(args.capture)} at ${args.speed}${loop ? ", looping" : ""}; Ctrl-C stops\n`,
      );
      for (const sig of ["SIGINT", "SIGTERM"] as const) {
        process.on(sig, () => {
          stop();
          process.exit(0);
        });
      }
      await new Promise(() => {});
    });
  },
});

function guessVenue(path: string): string | undefined {
  const p = path.toLowerCase();
  if (p.includes("kraken")) return "kraken";
  if (p.includes("binance") || p.includes("btcusdt")) return "binance";
  if (p.includes("polygon") || p.includes("univ3") || p.includes("quickswap") || p.includes("getlogs"))
    return "polygon";
  return undefined;
}
