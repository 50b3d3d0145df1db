import { join, resolve } from "node:path";
import type { ApConfig } from "../../core/config.ts";

/** One process the supervisor runs. */
export interface ServiceSpec {
  /** Unique name, used by `ap status`, `ap logs <name>`, `ap restart <name>`. */
  readonly name: string;
  /** argv; `{ready:<service>:<n>}` is replaced by the n-th word of a dependency's ready line (a venue's URL). */
  readonly command: readonly string[];
  /** Services that must be ready first. */
  readonly dependsOn: readonly string[];
  /** What the service serves, shown by `ap status` (a socket path...). */
  readonly endpoint?: string;
  /** Extra environment (never logged). */
  readonly env?: Readonly<Record<string, string>>;
}

const ROOT = resolve(import.meta.dir, "../../..");
const FIX = (path: string) => join(ROOT, "fixtures", path);
const script = (path: string) => join(ROOT, "src/behavior", path);

/**
 * The recorded data the offline demo replays (shared/captures, provenance in SOURCES.md): a 31 s Kraken v1 session
 * of 10 pairs with 1000-level books, 90 s of Binance spot BTCUSDT (depth, trades, bookTicker), and a day of the
 * Polygon Uniswap V3 USDC.e/WETH 0.05% pool.
 */
export const DEMO_CAPTURES = {
  kraken: FIX("kraken/v1-book1000-10pairs-2021-04-17.cryptofeed.jsonl.gz"),
  krakenAssetPairs: FIX("kraken/v1-rest-assetpairs-2021-04-17.cryptofeed.jsonl.gz"),
  krakenPairs: "WAVES/EUR,XMR/USD,KSM/XBT,GRT/ETH,SC/EUR,ETH/CHF,OCEAN/XBT,OMG/USD,XBT/CHF,ADA/XBT",
  binance: FIX("binance/spot-btcusdt-depth100ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz"),
  polygon: FIX("polygon/univ3-usdce-weth-500-0x45dd-2023-11-25.getlogs.jsonl.gz"),
  polygonPools: FIX("polygon/pools.json"),
} as const;

/** Public endpoints of `--live` (market data only; no keys). Polygon needs a node: AP_POLYGON_WS_URL. */
export const LIVE_URLS = {
  kraken: "wss://ws.kraken.com/v2",
  binance: "wss://stream.binance.com:9443/stream",
  binanceRest: "https://api.binance.com",
} as const;

/**
 * The services of a configuration, in the order `ap status` lists them: relays, then (profile demo) the replay
 * venues and the collectors pointed at them, or (profile live) the collectors pointed at the real venues; then paper
 * execution, the strategies and the dashboard.
 */
export function servicesFromConfig(
  config: ApConfig,
  runDir: string,
  env: Record<string, string | undefined> = process.env,
): ServiceSpec[] {
  const bun = process.execPath;
  const sock = (relay: string) => join(runDir, `${relay}.sock`);
  const relays: ServiceSpec[] = config.relays.enabled.map((relay) => ({
    name: `relay-${relay}`,
    command: [
      bun,
      script("relay/main.ts"),
      "--domain",
      relay,
      "--socket",
      sock(relay),
      "--max-queue-bytes",
      String(config.relays.maxQueueBytes),
    ],
    dependsOn: [],
    endpoint: sock(relay),
  }));
  if (config.profile === "relays") return relays;
  const all = ["market-data", "signal", "execution"].every((r) => config.relays.enabled.includes(r));
  if (!all) return relays; // the pipeline needs the three relays
  const md = ["relay-market-data"];
  const buses = ["relay-market-data", "relay-signal", "relay-execution"];
  const services: ServiceSpec[] = [...relays];
  const configArgs = config.source ? ["--config", config.source] : [];

  if (config.profile === "demo") {
    const loop = config.demo.loop ? ["--loop"] : [];
    const cex = ["--speed", config.demo.cexSpeed, ...loop];
    services.push(
      {
        name: "venue-kraken",
        command: [
          bun,
          script("venues/main.ts"),
          "--venue",
          "kraken",
          "--capture",
          DEMO_CAPTURES.kraken,
          "--asset-pairs",
          DEMO_CAPTURES.krakenAssetPairs,
          ...cex,
        ],
        dependsOn: [],
      },
      {
        name: "venue-binance",
        command: [bun, script("venues/main.ts"), "--venue", "binance", "--capture", DEMO_CAPTURES.binance, ...cex],
        dependsOn: [],
      },
      {
        name: "venue-polygon",
        command: [
          bun,
          script("venues/main.ts"),
          "--venue",
          "polygon",
          "--capture",
          DEMO_CAPTURES.polygon,
          "--pools",
          DEMO_CAPTURES.polygonPools,
          "--speed",
          config.demo.dexSpeed,
          ...loop,
        ],
        dependsOn: [],
      },
      {
        name: "collector-kraken",
        command: [
          bun,
          script("adapters/kraken/main.ts"),
          "--url",
          "{ready:venue-kraken:0}",
          "--rest-url",
          "{ready:venue-kraken:1}",
          "--relay",
          sock("market-data"),
          "--symbols",
          DEMO_CAPTURES.krakenPairs,
          "--depth",
          "1000",
          "--replayed",
        ],
        dependsOn: [...md, "venue-kraken"],
      },
      {
        name: "collector-binance",
        command: [
          bun,
          script("adapters/binance/main.ts"),
          "--url",
          "{ready:venue-binance:0}",
          "--rest-url",
          "{ready:venue-binance:1}",
          "--relay",
          sock("market-data"),
          "--symbols",
          "BTCUSDT",
          "--replayed",
        ],
        dependsOn: [...md, "venue-binance"],
      },
      {
        name: "collector-polygon",
        command: [
          bun,
          script("adapters/polygon/main.ts"),
          "--url",
          "{ready:venue-polygon:0}",
          "--relay",
          sock("market-data"),
          "--replayed",
        ],
        dependsOn: [...md, "venue-polygon"],
      },
    );
  } else {
    const kraken = venueTable(config, "kraken");
    const binance = venueTable(config, "binance");
    const polygon = venueTable(config, "polygon");
    services.push(
      {
        name: "collector-kraken",
        command: [
          bun,
          script("adapters/kraken/main.ts"),
          ...["--url", text(kraken.url, LIVE_URLS.kraken), "--relay", sock("market-data")],
          ...["--symbols", list(kraken.symbols, "BTC/USD,ETH/USD"), ...optional("--depth", kraken.depth)],
        ],
        dependsOn: md,
      },
      {
        name: "collector-binance",
        command: [
          bun,
          script("adapters/binance/main.ts"),
          ...[
            "--url",
            text(binance.url, LIVE_URLS.binance),
            "--rest-url",
            text(binance.rest_url, LIVE_URLS.binanceRest),
          ],
          ...["--relay", sock("market-data"), "--symbols", list(binance.symbols, "BTCUSDT,ETHUSDT")],
          ...optional("--market", binance.market),
        ],
        dependsOn: md,
      },
    );
    // A Polygon node URL carries an API key more often than not: from the environment, never from the file, and
    // resolved only at spawn ({env:...}) so no command line or log holds it.
    if (env.AP_POLYGON_WS_URL) {
      services.push({
        name: "collector-polygon",
        command: [
          bun,
          script("adapters/polygon/main.ts"),
          ...["--url", "{env:AP_POLYGON_WS_URL}", "--relay", sock("market-data")],
          ...optional("--pools", polygon.pools === undefined ? undefined : list(polygon.pools, "")),
        ],
        dependsOn: md,
      });
    }
  }
  // Strategies read their own tables; without a file of the user's, the demo gets its own (fixtures/demo).
  const strategyConfig = config.source
    ? configArgs
    : config.profile === "demo"
      ? ["--config", FIX("demo/strategies.toml")]
      : [];
  services.push(
    {
      name: "execution",
      command: [bun, script("execution/main.ts"), "--run-dir", runDir, ...configArgs],
      dependsOn: buses,
    },
    {
      name: "strategy-flash-arbitrage",
      command: [bun, script("strategies/flash-arbitrage/main.ts"), "--run-dir", runDir, ...strategyConfig],
      dependsOn: buses,
    },
    {
      name: "strategy-market-making",
      command: [bun, script("strategies/market-making/main.ts"), "--run-dir", runDir, ...strategyConfig],
      dependsOn: [...buses, "execution"],
    },
    {
      name: "dashboard",
      command: [bun, script("dashboard/main.ts"), "--run-dir", runDir, "--port", String(config.dashboard.port)],
      dependsOn: [...buses, "execution"],
      // The control token (halt/resume) goes by environment only: never on a command line, in a log or to the page.
      env: env.AP_DASHBOARD_TOKEN ? { AP_DASHBOARD_TOKEN: env.AP_DASHBOARD_TOKEN } : undefined,
    },
  );
  // The NATS bridge (docs/bridge.md) runs when the file has a [bridge] table; credentials reach it by environment.
  if (config.owned.bridge !== undefined) {
    services.push({
      name: "bridge",
      command: [bun, script("bridge/main.ts"), "--run-dir", runDir, ...configArgs],
      dependsOn: buses,
    });
  }
  return services;
}

/** [venues.<venue>] of the config file: read here for what the supervisor passes, validated by the collector. */
function venueTable(config: ApConfig, venue: string): Record<string, unknown> {
  const venues = (config.owned.venues ?? {}) as Record<string, Record<string, unknown>>;
  return venues[venue] ?? {};
}
const text = (v: unknown, fallback: string): string => (typeof v === "string" && v ? v : fallback);
const list = (v: unknown, fallback: string): string => (Array.isArray(v) ? v.join(",") : text(v, fallback));
const optional = (flag: string, v: unknown): string[] => (v === undefined ? [] : [flag, String(v)]);

/** Groups services into start layers: every service's dependencies sit in earlier layers. Throws on a cycle. */
export function startLayers(services: readonly ServiceSpec[]): ServiceSpec[][] {
  const done = new Set<string>();
  const left = [...services];
  const layers: ServiceSpec[][] = [];
  while (left.length > 0) {
    const layer = left.filter((s) => s.dependsOn.every((d) => done.has(d)));
    if (layer.length === 0)
      throw new Error(`dependency cycle or unknown dependency among: ${left.map((s) => s.name).join(", ")}`);
    for (const s of layer) {
      done.add(s.name);
      left.splice(left.indexOf(s), 1);
    }
    layers.push(layer);
  }
  return layers;
}
