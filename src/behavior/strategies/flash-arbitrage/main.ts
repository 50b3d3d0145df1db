/**
 * The flash-arbitrage service:
 *   bun src/behavior/strategies/flash-arbitrage/main.ts [--config ap.toml] [--run-dir DIR]
 *       [--market-data-socket PATH] [--signal-socket PATH] [--deterministic]
 *
 * Subscribes to the market data relay (books, pools, gas, invalidations), publishes signals on the signal relay.
 * Prints `ready <signal socket>` once both connections are up, then `stats {...}` lines (supervisor protocol);
 * logs go to stderr. SIGTERM / SIGINT: closes both connections, exits 0. A bad config: one line on stderr, exit 1.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ApError } from "../../../core/errors.ts";
import { TlvType } from "../../../data/tlv-layouts.ts";
import { RelayDomain, SourceType } from "../../../data/venues.ts";
import { reportReady, reportStats } from "../../supervisor/service-report.ts";
import { BusClient, Role } from "../../transport/bus-client.ts";
import { defaultRunDir } from "../../transport/run-dir.ts";
import { loadStrategyTable, strategyLogger } from "../common/service-setup.ts";
import { resolveFlashArbitrageConfig } from "./config.ts";
import { FlashArbitrage } from "./flash-arbitrage.ts";

const log = strategyLogger("flash-arbitrage");

const { values } = parseArgs({
  options: {
    config: { type: "string" },
    "run-dir": { type: "string" },
    "market-data-socket": { type: "string" },
    "signal-socket": { type: "string" },
    deterministic: { type: "boolean" },
  },
  strict: true,
});

const config = loadStrategyTable(log, "flash_arbitrage", values, resolveFlashArbitrageConfig);

const runDir = values["run-dir"] ?? defaultRunDir();
const mdSocket = values["market-data-socket"] ?? join(runDir, "market-data.sock");
const signalSocket = values["signal-socket"] ?? join(runDir, "signal.sock");

const signal = new BusClient({
  socketPath: signalSocket,
  domain: RelayDomain.Signal,
  source: SourceType.ArbitrageStrategy,
  role: Role.Publisher,
  name: "flash-arbitrage",
});
const strategy = new FlashArbitrage(config, (frame) => signal.send(frame));
const market = new BusClient({
  socketPath: mdSocket,
  domain: RelayDomain.MarketData,
  source: SourceType.ArbitrageStrategy,
  role: Role.Subscriber,
  name: "flash-arbitrage",
  types: [
    TlvType.Quote,
    TlvType.OrderBook,
    TlvType.BookDelta,
    TlvType.PoolSwap,
    TlvType.PoolMint,
    TlvType.PoolBurn,
    TlvType.PoolState,
    TlvType.PoolSync,
    TlvType.GasPrice,
    TlvType.StateInvalidation,
  ],
  onFrame: (_frame, parser) => strategy.onMarketFrame(parser),
});

let lastErrorLogged: unknown;
const stopStats = reportStats(() => {
  if (strategy.lastError !== undefined && strategy.lastError !== lastErrorLogged) {
    lastErrorLogged = strategy.lastError;
    const e = strategy.lastError;
    log.warn(`skipped a frame: ${e instanceof ApError ? e.toLine() : String(e)}`);
  }
  const c = strategy.counters;
  return {
    msgs_in: c.framesIn,
    msgs_out: c.signals,
    drops: signal.counters.droppedFrames,
    bad_frames: c.badFrames,
    evaluations: c.evaluations,
    below_threshold: c.belowThreshold,
    repeats: c.repeats,
    no_gas_price: c.noGasPrice,
    sequence_gaps: strategy.market.counters.sequenceGaps,
    invalidations: strategy.market.counters.invalidations,
  };
});

function shutdown(sig: string): void {
  stopStats();
  market.close();
  signal.close();
  log.info(`${sig}: stopped (frames in ${strategy.counters.framesIn}, signals ${strategy.counters.signals})`);
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));

await Promise.all([market.ready(), signal.ready()]);
reportReady(signalSocket);
