/**
 * The market-making service:
 *   bun src/behavior/strategies/market-making/main.ts [--config ap.toml] [--run-dir DIR]
 *       [--market-data-socket PATH] [--execution-socket PATH] [--deterministic]
 *
 * Subscribes to the market data relay (books, invalidations) and the execution relay (its Fill and OrderStatus),
 * publishes OrderRequest / OrderCancel on the execution relay. Checks staleness every stale_after_ms / 4.
 * Prints `ready <execution socket>`, then `stats {...}` lines. SIGTERM / SIGINT: cancels its quotes, closes, exits 0.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ApError } from "../../../core/errors.ts";
import { nowNs } from "../../../core/time.ts";
import { TlvType } from "../../../data/tlv-layouts.ts";
import { RelayDomain, SourceType } from "../../../data/venues.ts";
import { reportReady, reportStats } from "../../supervisor/service-report.ts";
import { BusClient, Role } from "../../transport/bus-client.ts";
import { defaultRunDir } from "../../transport/run-dir.ts";
import { loadStrategyTable, strategyLogger } from "../common/service-setup.ts";
import { resolveMarketMakingConfig } from "./config.ts";
import { CancelReason, MarketMaker } from "./market-maker.ts";

const log = strategyLogger("market-making");

const { values } = parseArgs({
  options: {
    config: { type: "string" },
    "run-dir": { type: "string" },
    "market-data-socket": { type: "string" },
    "execution-socket": { type: "string" },
    deterministic: { type: "boolean" },
  },
  strict: true,
});

const config = loadStrategyTable(log, "market_making", values, resolveMarketMakingConfig);

const runDir = values["run-dir"] ?? defaultRunDir();
const mdSocket = values["market-data-socket"] ?? join(runDir, "market-data.sock");
const execSocket = values["execution-socket"] ?? join(runDir, "execution.sock");

const execution = new BusClient({
  socketPath: execSocket,
  domain: RelayDomain.Execution,
  source: SourceType.MarketMaker,
  role: Role.Both,
  name: "market-making",
  types: [TlvType.OrderStatus, TlvType.Fill],
  onFrame: (_frame, parser) => mm.onExecutionFrame(parser),
});
const mm: MarketMaker = new MarketMaker(config, (frame) => execution.send(frame));
const market = new BusClient({
  socketPath: mdSocket,
  domain: RelayDomain.MarketData,
  source: SourceType.MarketMaker,
  role: Role.Subscriber,
  name: "market-making",
  types: [TlvType.Quote, TlvType.OrderBook, TlvType.BookDelta, TlvType.StateInvalidation],
  onFrame: (_frame, parser) => mm.onMarketFrame(parser),
});

const staleTimer = setInterval(() => mm.checkStale(nowNs()), Math.max(1, config.staleAfterMs >> 2));
let lastErrorLogged: unknown;
const stopStats = reportStats(() => {
  if (mm.lastError !== undefined && mm.lastError !== lastErrorLogged) {
    lastErrorLogged = mm.lastError;
    log.warn(`skipped a frame: ${mm.lastError instanceof ApError ? mm.lastError.toLine() : String(mm.lastError)}`);
  }
  const c = mm.counters;
  return {
    msgs_in: c.framesIn,
    msgs_out: c.ordersSent + c.cancelsSent,
    drops: execution.counters.droppedFrames,
    bad_frames: c.badFrames,
    fills: c.fills,
    pulls: c.pulls,
    open_orders: mm.open.size,
    position_e8: mm.position.toString(),
  };
});

async function shutdown(sig: string): Promise<void> {
  clearInterval(staleTimer);
  stopStats();
  mm.pullAll(CancelReason.Shutdown);
  market.close();
  await execution.drained(0);
  execution.close();
  log.info(`${sig}: stopped (orders ${mm.counters.ordersSent}, cancels ${mm.counters.cancelsSent})`);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

await Promise.all([market.ready(), execution.ready()]);
reportReady(execSocket);
