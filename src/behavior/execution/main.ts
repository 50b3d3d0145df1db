/**
 * The execution service (paper mode):
 *   bun src/behavior/execution/main.ts [--run-dir D] [--config ap.toml] [--deterministic] [--audit-log PATH]
 *     [--market-data-socket S] [--signal-socket S] [--execution-socket S]
 *     [--live-onchain] [--live-cex [--kraken-rest-url U] [--binance-rest-url U]] [--live-poll-ms N]
 *
 * Paper by default. --live-onchain (docs/onchain-execution.md: AP_EXECUTION_RPC_URL, AP_EXECUTION_CHAIN_ID,
 * AP_EXECUTION_CONTRACT or [onchain]; AP_EXECUTION_PRIVATE_KEY or a keystore) sends the ArbitrageSignals the engine
 * accepted (risk checks, breakers) as real transactions; --live-cex (docs/cex-execution.md: AP_KRAKEN_API_KEY /
 * _SECRET, AP_BINANCE_API_KEY / _SECRET) sends Kraken and Binance OrderRequests as signed orders. Statuses and
 * fills then come from the live side as the same frames. Without its keys a live flag refuses to start (one line
 * naming the variable). Keys are never logged nor in stats.
 *
 * Subscribes to the market data relay (books, trades, pools, gas, invalidations), the signal relay (SignalIdentity,
 * Economics, ArbitrageSignal) and the execution relay (OrderRequest, OrderCancel, Halt, Resume); publishes
 * OrderStatus, Fill and CircuitBreaker on the execution relay. Prints `ready <execution socket>` once the three
 * connections are up, then `stats {...}` lines (src/behavior/supervisor/service-report.ts). SIGTERM/SIGINT: the
 * audit log is flushed and fsynced, connections closed, exit 0. A frame that breaks the engine is logged and
 * counted, never fatal.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createConsola } from "consola";
import { ApError } from "../../core/errors.ts";
import { reportReady, reportStats, reportStatsNow } from "../supervisor/service-report.ts";
import { BusClient, Role } from "../transport/bus-client.ts";
import { defaultRunDir, ensureRunDir } from "../transport/run-dir.ts";
import { AuditLog } from "./audit-log.ts";
import { BreakerReason, BreakerScope } from "./breakers.ts";
import { type LiveCex, startLiveCex } from "./cex/live-service.ts";
import { loadExecutionConfig } from "./config.ts";
import { ControlTlv } from "./control.ts";
import { ExecutionEngine, type LiveRouter } from "./engine.ts";
import { type LiveOnchain, startLiveOnchain } from "./onchain/live-service.ts";

const level = Number(process.env.AP_LOG_LEVEL ?? 3);
const log = createConsola({ level, stdout: process.stderr, stderr: process.stderr }).withTag("execution");

function fail(message: string): never {
  log.error(message);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    "run-dir": { type: "string" },
    config: { type: "string" },
    deterministic: { type: "boolean" },
    "audit-log": { type: "string" },
    "market-data-socket": { type: "string" },
    "signal-socket": { type: "string" },
    "execution-socket": { type: "string" },
    "live-onchain": { type: "boolean" },
    "live-cex": { type: "boolean" },
    "kraken-rest-url": { type: "string" },
    "binance-rest-url": { type: "string" },
    "live-poll-ms": { type: "string" },
    // a local chain's endpoint and deployment (ap up --chain local); a real RPC url belongs in AP_EXECUTION_RPC_URL
    "onchain-rpc-url": { type: "string" },
    "onchain-chain-id": { type: "string" },
    "onchain-contract": { type: "string" },
  },
  strict: true,
});

let engine: ExecutionEngine;
let audit: AuditLog;
let runDir: string;
let configPath: string | undefined;
const liveFlags = values["live-onchain"] || values["live-cex"];
/** The live side's hooks, set once it has started (before any relay connection exists, so before any order). */
const live: LiveRouter = {};
let liveOnchain: LiveOnchain | undefined;
let liveCex: LiveCex | undefined;
try {
  const config = loadExecutionConfig({ path: values.config });
  if (values.deterministic) config.execution.deterministic = true;
  runDir = values["run-dir"] ?? (config.runDir || defaultRunDir());
  ensureRunDir(runDir);
  const auditPath = values["audit-log"] ?? (config.execution.auditLog || join(runDir, "execution-audit.log"));
  audit = new AuditLog(auditPath, config.execution.auditFsync, config.execution.auditFsyncIntervalMs);
  engine = new ExecutionEngine({
    config,
    audit,
    publish: (f) => execution.send(f),
    ...(liveFlags ? { live } : {}),
  });
  configPath = values.config || process.env.AP_CONFIG || undefined;
  if (!liveFlags)
    log.info(`paper mode${config.execution.deterministic ? ", deterministic clock" : ""}; audit log ${auditPath}`);
} catch (e) {
  fail(e instanceof ApError ? e.toLine() : String(e));
}

if (liveFlags) {
  const publish = (f: Uint8Array) => execution.send(f);
  try {
    if (values["live-onchain"]) {
      if (values["onchain-rpc-url"]) process.env.AP_EXECUTION_RPC_URL = values["onchain-rpc-url"];
      if (values["onchain-chain-id"]) process.env.AP_EXECUTION_CHAIN_ID = values["onchain-chain-id"];
      if (values["onchain-contract"]) process.env.AP_EXECUTION_CONTRACT = values["onchain-contract"];
      liveOnchain = await startLiveOnchain({
        env: process.env,
        configPath,
        runDir,
        market: engine.market,
        haltedBy: engine.breakers,
        breakers: loadExecutionConfig({ path: values.config }).breakers,
        publish,
        // receipts' Fills move the engine's positions, cash and P&L as paper swap fills do
        onFill: (f) => engine.applyLiveFill(f),
        audit,
        log,
      });
      const executor = liveOnchain.executor;
      live.signal = (s, identity, economics) => {
        void executor.onSignal(s, identity, economics).catch((e) => {
          handlerErrors++;
          log.error(`signal ${s.signalId}: ${e instanceof ApError ? e.toLine() : String(e)}`);
        });
        return true;
      };
    }
    if (values["live-cex"]) {
      liveCex = startLiveCex({
        env: process.env,
        krakenUrl: values["kraken-rest-url"],
        binanceUrl: values["binance-rest-url"],
        publish,
        // live fills move the engine's positions and P&L (risk checks and the loss breaker see them)
        onFill: (o, f) =>
          engine.applyLiveFill({
            orderId: o.orderId,
            fillId: 0n,
            instrument: o.instrument,
            side: o.side === "buy" ? 1 : 2,
            liquidity: f.liquidity === "maker" ? 1 : 2,
            price: f.priceE8,
            quantity: f.quantityE8,
            fee: f.feeE8,
            quantityNative: 0n,
            txHash: `0x${"0".repeat(64)}`,
            timestampNs: 0n,
          }),
        log,
      });
      live.order = liveCex.order;
      live.cancel = liveCex.cancel;
      // resting live orders count in max_open_orders and the position worst case, as paper resting orders do
      live.openOrders = liveCex.openOrders;
    }
  } catch (e) {
    fail(e instanceof ApError ? e.toLine() : String(e));
  }
  for (const line of [...(liveOnchain?.banner ?? []), ...(liveCex?.banner ?? [])]) log.warn(line);
  if (!liveOnchain) log.warn("*** DEX signals stay PAPER (no --live-onchain).");
  if (!liveCex) log.warn("*** CEX orders stay PAPER (no --live-cex).");
}

let handlerErrors = 0;
let trippedBefore = 0;
const onFrame = (frame: Uint8Array, parser: Parameters<ExecutionEngine["onFrame"]>[1]) => {
  try {
    engine.onFrame(frame, parser);
  } catch (e) {
    handlerErrors++;
    log.error(`frame dropped: ${e instanceof ApError ? e.toLine() : String(e)}`);
  }
  // A breaker tripped or reset (the kill switch among them): tell the supervisor now, not at the next interval.
  if (engine.breakers.tripped.size !== trippedBefore) {
    trippedBefore = engine.breakers.tripped.size;
    if (liveCex && isHalted()) void liveCex.cancelAll();
    reportStatsNow();
  }
};
const socket = (name: string, given: string | undefined) => given ?? join(runDir, `${name}.sock`);
const marketData = new BusClient({
  socketPath: socket("market-data", values["market-data-socket"]),
  domain: 1,
  source: 42,
  role: Role.Subscriber,
  types: [1, 2, 3, 6, 11, 12, 13, 15, 16, 18, 19],
  name: "execution",
  onFrame,
});
const signal = new BusClient({
  socketPath: socket("signal", values["signal-socket"]),
  domain: 2,
  source: 42,
  role: Role.Subscriber,
  types: [20, 22, 32],
  name: "execution",
  onFrame,
});
const execSocket = socket("execution", values["execution-socket"]);
const execution = new BusClient({
  socketPath: execSocket,
  domain: 3,
  source: 42,
  role: Role.Both,
  types: [40, 43, ControlTlv.Halt, ControlTlv.Resume],
  name: "execution",
  onFrame,
});
const clients = [marketData, signal, execution];

await Promise.all(clients.map((c) => c.ready()));
const ticker = setInterval(() => {
  try {
    engine.tick();
  } catch (e) {
    handlerErrors++;
    log.error(`tick failed: ${e instanceof ApError ? e.toLine() : String(e)}`);
  }
}, 100);
// The live side's statuses and fills: receipts per poll (on-chain), venue order state per poll (CEX).
const pollMs = Number(values["live-poll-ms"] ?? 500);
if (!Number.isSafeInteger(pollMs) || pollMs < 10) fail(`--live-poll-ms must be an integer >= 10 (got "${pollMs}")`);
let polling = false;
const livePoller = liveFlags
  ? setInterval(() => {
      if (polling) return; // the previous pass is still waiting on an endpoint
      polling = true;
      const report = (e: unknown) => {
        handlerErrors++;
        log.warn(`live poll: ${e instanceof ApError ? e.toLine() : String(e)}`);
      };
      Promise.all([
        liveOnchain?.executor
          .poll()
          .then(() => liveOnchain?.executor.refreshFees())
          .catch(report),
        liveCex?.reconciler.poll().catch(report),
      ]).finally(() => {
        polling = false;
      });
    }, pollMs)
  : undefined;
/** The kill switch is the global breaker with reason manual. */
function isHalted(): boolean {
  for (const b of engine.breakers.tripped.values()) {
    if (b.reason === BreakerReason.Manual && b.scope === BreakerScope.Global) return true;
  }
  return false;
}

const stopStats = reportStats(() => {
  const c = engine.counters;
  return {
    msgs_in: clients.reduce((n, x) => n + x.counters.framesIn, 0),
    msgs_out: execution.counters.framesOut,
    drops: execution.counters.droppedFrames,
    gaps: 0,
    orders: c.orders,
    signals: c.signals,
    accepted: c.accepted,
    rejected: c.rejected,
    fills: c.fills,
    open_orders: engine.openOrders.size,
    breakers_tripped: engine.breakers.tripped.size,
    halted: isHalted(),
    // Shown by `ap status` in its NOTE column: the kill switch first, then any other tripped breaker.
    note: isHalted()
      ? "HALTED (kill switch): ap resume"
      : engine.breakers.tripped.size > 0
        ? `${engine.breakers.tripped.size} breaker(s) tripped`
        : undefined,
    bad_tlvs: c.badTlvs,
    handler_errors: handlerErrors,
    audit_records: audit.records,
    daily_pnl_usd_e8: engine.dailyPnlE8().toString(),
    // live only (the paper stats are unchanged): counters, account address, chain; never a key or a url
    ...(liveFlags ? { mode: `live${liveOnchain ? " onchain" : ""}${liveCex ? " cex" : ""}` } : {}),
    ...(liveOnchain?.executor.stats() ?? {}),
    ...Object.fromEntries(Object.entries(liveCex?.reconciler.stats() ?? {}).map(([k, v]) => [`cex_${k}`, v])),
  };
});

let stopping = false;
function shutdown(sig: string): void {
  if (stopping) return;
  stopping = true;
  clearInterval(ticker);
  if (livePoller) clearInterval(livePoller);
  stopStats();
  audit.close();
  for (const c of clients) c.close();
  const c = engine.counters;
  log.info(
    `${sig}: stopped (orders ${c.orders}, signals ${c.signals}, fills ${c.fills}, audit records ${audit.records})`,
  );
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
reportReady(execSocket);
