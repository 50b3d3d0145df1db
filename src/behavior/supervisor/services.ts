import { join, resolve } from "node:path";
import type { ApConfig } from "../../core/config.ts";
import { ANVIL_DEV_KEYS } from "../execution/onchain/local-chain.ts";

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
  if (config.profile === "relays") return hideKeysFromOthers([...relays, ...bridgeService(config, runDir)]);
  const all = ["market-data", "signal", "execution"].every((r) => config.relays.enabled.includes(r));
  if (!all) return hideKeysFromOthers(relays); // the pipeline needs the three relays
  const md = ["relay-market-data"];
  const buses = ["relay-market-data", "relay-signal", "relay-execution"];
  const services: ServiceSpec[] = [...relays];
  const configArgs = config.source ? ["--config", config.source] : [];
  if (env.AP_CHAIN === "local") return hideKeysFromOthers([...relays, ...chainLocalServices(config, runDir, env)]);

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
  // ap up --live-trading (cli/up.ts checked the keys and set AP_LIVE_TRADING): the execution service goes live.
  const liveModes = (env.AP_LIVE_TRADING ?? "").split(",");
  const liveArgs = [
    ...(liveModes.includes("onchain") ? ["--live-onchain"] : []),
    ...(liveModes.includes("cex") ? ["--live-cex"] : []),
  ];
  services.push(
    {
      name: "execution",
      command: [bun, script("execution/main.ts"), "--run-dir", runDir, ...configArgs, ...liveArgs],
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
  services.push(...bridgeService(config, runDir));
  // Keys reach the execution service only, live or not: no other process ever holds them in its environment.
  return hideKeysFromOthers(services);
}

/** anvil's chain id: the chain-local profile's chain. */
export const LOCAL_CHAIN_ID = 31337;

/**
 * Profile chain-local (`ap up --chain local`, issue 9 "A second demo profile"): anvil, the chain service (deploys
 * the pools and our FlashArbitrage, then swaps every block and publishes gas prices), the Polygon collector on
 * anvil's WebSocket (eth_subscribe logs) for the deployed pools, the flash-arbitrage strategy with the deployment's
 * token table, LIVE on-chain execution signing with anvil's dev account 0 — a PUBLIC LOCAL DEV KEY, labelled so
 * everywhere — and the dashboard. Offline: everything runs on this machine.
 */
function chainLocalServices(config: ApConfig, runDir: string, env: Record<string, string | undefined>): ServiceSpec[] {
  const bun = process.execPath;
  const sock = (relay: string) => join(runDir, `${relay}.sock`);
  const buses = ["relay-market-data", "relay-signal", "relay-execution"];
  return [
    { name: "anvil", command: [bun, script("chain-demo/anvil-main.ts")], dependsOn: [] },
    {
      name: "chain-local",
      command: [
        bun,
        script("chain-demo/main.ts"),
        ...["--rpc-url", "{ready:anvil:0}", "--run-dir", runDir, "--market-data-socket", sock("market-data")],
      ],
      dependsOn: ["anvil", "relay-market-data"],
    },
    {
      name: "collector-polygon",
      command: [
        bun,
        script("adapters/polygon/main.ts"),
        ...["--url", "{ready:anvil:1}", "--relay", sock("market-data"), "--pools", "{ready:chain-local:1}"],
        ...["--chain-id", String(LOCAL_CHAIN_ID)],
        ...["--factory", "{ready:chain-local:2}", "--factory", "{ready:chain-local:3}"],
        ...["--factory", "{ready:chain-local:4}"],
      ],
      // after its consumers: the pools' PoolState snapshots are sent once, at the collector's start
      dependsOn: ["relay-market-data", "anvil", "chain-local", "execution", "strategy-flash-arbitrage"],
    },
    {
      name: "execution",
      command: [
        bun,
        script("execution/main.ts"),
        ...["--run-dir", runDir, "--live-onchain", "--live-poll-ms", "200"],
        ...["--onchain-rpc-url", "{ready:anvil:0}", "--onchain-contract", "{ready:chain-local:0}"],
        ...["--onchain-chain-id", String(LOCAL_CHAIN_ID)],
      ],
      dependsOn: [...buses, "anvil", "chain-local"],
      // anvil's dev account 0: a PUBLIC key of a local dev chain (it owns the demo's FlashArbitrage)
      env: {
        AP_EXECUTION_PRIVATE_KEY: ANVIL_DEV_KEYS[0],
        AP_EXECUTION_KEY_LABEL: "anvil dev key 0 (public, local only)",
      },
    },
    {
      name: "strategy-flash-arbitrage",
      command: [
        bun,
        script("strategies/flash-arbitrage/main.ts"),
        ...["--run-dir", runDir, "--config", "{ready:chain-local:5}"],
      ],
      dependsOn: [...buses, "chain-local"],
    },
    {
      name: "dashboard",
      command: [bun, script("dashboard/main.ts"), "--run-dir", runDir, "--port", String(config.dashboard.port)],
      dependsOn: [...buses, "execution"],
      env: env.AP_DASHBOARD_TOKEN ? { AP_DASHBOARD_TOKEN: env.AP_DASHBOARD_TOKEN } : undefined,
    },
  ];
}

/** The variables only the execution service may read: blanked in every other service's environment. */
export const SECRET_VARIABLES = [
  "AP_EXECUTION_PRIVATE_KEY",
  "AP_EXECUTION_KEYSTORE_PASSWORD",
  "AP_KRAKEN_API_KEY",
  "AP_KRAKEN_API_SECRET",
  "AP_BINANCE_API_KEY",
  "AP_BINANCE_API_SECRET",
] as const;

function hideKeysFromOthers(services: ServiceSpec[]): ServiceSpec[] {
  const blank = Object.fromEntries(SECRET_VARIABLES.map((k) => [k, ""]));
  for (let i = 0; i < services.length; i++) {
    const s = services[i];
    if (s.name === "execution") continue;
    services[i] = { ...s, env: { ...blank, ...s.env } };
  }
  return services;
}

/**
 * The NATS bridge (docs/bridge.md), in every profile, when the file has a [bridge] table (a host with only relays
 * and a bridge is a strategy host fed from another machine). Credentials reach it by environment.
 */
function bridgeService(config: ApConfig, runDir: string): ServiceSpec[] {
  if (config.owned.bridge === undefined) return [];
  return [
    {
      name: "bridge",
      command: [process.execPath, script("bridge/main.ts"), "--run-dir", runDir, "--config", config.source],
      dependsOn: config.relays.enabled.map((r) => `relay-${r}`),
    },
  ];
}

/** [venues.<venue>] of the config file: read here for what the supervisor passes, validated by the collector. */
function venueTable(config: ApConfig, venue: string): Record<string, unknown> {
  const venues = (config.owned.venues ?? {}) as Record<string, Record<string, unknown>>;
  return venues[venue] ?? {};
}
const text = (v: unknown, fallback: string): string => (typeof v === "string" && v ? v : fallback);
const list = (v: unknown, fallback: string): string => (Array.isArray(v) ? v.join(",") : text(v, fallback));
const optional = (flag: string, v: unknown): string[] => (v === undefined ? [] : [flag, String(v)]);

/**
 * What --live-trading would run, from the environment only: on-chain when a key (AP_EXECUTION_PRIVATE_KEY or
 * AP_EXECUTION_KEYSTORE) is set, then its RPC url, chain id and contract must be too; CEX when a venue's key pair is
 * set. Neither: refused. Names variables, never values.
 */
export function liveTradingPlan(
  env: Record<string, string | undefined>,
): { modes: ("onchain" | "cex")[]; cexVenues: string[] } | { refused: string } {
  const has = (k: string) => env[k] !== undefined && env[k] !== "";
  const modes: ("onchain" | "cex")[] = [];
  if (has("AP_EXECUTION_PRIVATE_KEY") || has("AP_EXECUTION_KEYSTORE")) {
    for (const k of ["AP_EXECUTION_RPC_URL", "AP_EXECUTION_CHAIN_ID", "AP_EXECUTION_CONTRACT"]) {
      if (!has(k) && !has(k.replace("AP_EXECUTION_", "AP_ONCHAIN_"))) return { refused: `${k} is not set.` };
    }
    modes.push("onchain");
  }
  const cexVenues: string[] = [];
  for (const [venue, v] of [
    ["Kraken", "KRAKEN"],
    ["Binance", "BINANCE"],
  ]) {
    const key = has(`AP_${v}_API_KEY`);
    const secret = has(`AP_${v}_API_SECRET`);
    if (key !== secret) return { refused: `AP_${v}_API_${key ? "SECRET" : "KEY"} is not set.` };
    if (key) cexVenues.push(venue);
  }
  if (cexVenues.length > 0) modes.push("cex");
  if (modes.length === 0) return { refused: "No keys in the environment (AP_EXECUTION_PRIVATE_KEY is not set)." };
  return { modes, cexVenues };
}

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
