import { nowNs as wallClockNs } from "../../core/time.ts";
import { InstrumentId, InstrumentKind } from "../../data/instrument-id.ts";
import type {
  ArbitrageSignal,
  BookDelta,
  Economics,
  Fill,
  GasPrice,
  OrderBook as OrderBookTlv,
  OrderCancel,
  OrderRequest,
  PoolBurn,
  PoolMint,
  PoolState,
  PoolSwap,
  PoolSync,
  Quote,
  SignalIdentity,
  StateInvalidation,
  Trade,
} from "../../data/tlv-layouts.ts";
import { TlvType } from "../../data/tlv-layouts.ts";
import { FrameBuilder } from "../../rules/builder.ts";
import type { FrameParser } from "../../rules/parser.ts";
import type { AuditSink } from "./audit-log.ts";
import { type Breaker, BreakerReason, BreakerScope, BreakerState, breakerTlv, CircuitBreakers } from "./breakers.ts";
import type { ExecutionServiceConfig } from "./config.ts";
import { ControlTlv, readHaltReason } from "./control.ts";
import { type SwapLeg, simulateSwapPath } from "./dex-swap.ts";
import { type BookEntry, MarketState, type PoolEntry, referencePrice } from "./market-state.ts";
import { feeE8, type TakerFill, walkBook } from "./paper-fills.ts";
import { E8, e16ToE8, Portfolio } from "./portfolio.ts";
import {
  checkDailyLoss,
  checkDataStaleness,
  checkGasPrice,
  checkOpenOrders,
  checkOrderNotional,
  checkPositionLimit,
  checkPriceDeviation,
  checkTotalPosition,
  notionalE8,
  type RiskCheck,
  type RiskRejection,
} from "./risk-checks.ts";

/** Why an order was refused: a risk check (reason 1) or the engine's own checks (reasons 2, 3, 5). */
export interface Refusal {
  readonly check: RiskCheck | "invalid_order" | "circuit_breaker" | "post_only_would_take" | "swap_failed" | "slippage";
  readonly message: string;
  readonly facts: Readonly<Record<string, string | number>>;
}

/** OrderStatus numbers (PROTOCOL.md §6). */
export const OrderStatusCode = {
  Accepted: 1,
  Rejected: 2,
  PartiallyFilled: 3,
  Filled: 4,
  Cancelled: 5,
  Expired: 6,
} as const;
export const RejectReason = {
  None: 0,
  RiskLimit: 1,
  CircuitBreaker: 2,
  Slippage: 3,
  InsufficientBalance: 4,
  VenueRejected: 5,
  Timeout: 6,
} as const;
const Side = { Buy: 1, Sell: 2 } as const;
const OrderType = { Market: 1, Limit: 2, PostOnly: 3, Ioc: 4 } as const;
const Tif = { Gtc: 1, Ioc: 2, Fok: 3 } as const;
const Liquidity = { Maker: 1, Taker: 2 } as const;

/** DEX orders come from ArbitrageSignals; their OrderStatus/Fill order_id is 2^63 | signal_id. */
export const SIGNAL_ORDER_BIT = 1n << 63n;
const MS = 1_000_000n;
const DAY_NS = 86_400_000_000_000n;

export interface RestingOrder {
  readonly request: OrderRequest;
  readonly key: string;
  readonly venueOrderId: bigint;
  filled: bigint;
  /** price x quantity of the fills, e16. */
  filledValueE16: bigint;
}

export interface EngineCounters {
  framesIn: number;
  framesOut: number;
  badTlvs: number;
  orders: number;
  signals: number;
  accepted: number;
  rejected: number;
  fills: number;
  cancels: number;
  breakerTrips: number;
  breakerResets: number;
}

export interface ExecutionEngineOptions {
  config: ExecutionServiceConfig;
  /** Receives each output frame (a copy the callee may keep), after its audit records are written. */
  publish: (frame: Uint8Array) => void;
  audit?: AuditSink;
  /** Wall clock (ns) when not deterministic; default src/core/time.ts nowNs. */
  clock?: () => bigint;
  /** Live execution (main.ts --live-onchain / --live-cex); absent: paper, unchanged. */
  live?: LiveRouter;
}

/**
 * Where orders go once they passed validation, the breakers and the risk checks, instead of the paper fill. Each
 * hook returns true when it took the order: from then on its OrderStatus / Fill frames come from the live side and
 * the engine emits nothing more for it (it audits the decision "live"). false: paper, as without a router.
 */
export interface LiveRouter {
  order?(o: OrderRequest): boolean;
  cancel?(c: OrderCancel): boolean;
  signal?(s: ArbitrageSignal, identity: SignalIdentity | undefined, economics: Economics | undefined): boolean;
  /**
   * The live orders that are open (taken by the venue, or possibly so, and not yet filled, cancelled or rejected):
   * the risk checks count them with the paper resting orders (max_open_orders, the position worst case).
   */
  openOrders?(): Iterable<LiveOpenOrder>;
}

/** A live order not done, as the risk checks see it. */
export interface LiveOpenOrder {
  readonly orderId: bigint;
  /** InstrumentId text. */
  readonly instrument: string;
  /** 1 buy, 2 sell. */
  readonly side: number;
  /** Quantity not filled yet, e8. */
  readonly remaining: bigint;
}

/**
 * The paper execution engine: market state, pre-trade risk, breakers, fills, positions and the audit trail, behind
 * one synchronous entry point (onFrame) so that the same input frames in the same order give the same output
 * bytes. In deterministic mode the clock is the largest header timestamp seen so far: frame and audit timestamps
 * come from the input, never from the wall.
 */
export class ExecutionEngine {
  readonly market = new MarketState();
  readonly portfolio = new Portfolio();
  readonly breakers = new CircuitBreakers();
  /** Books touched by the current frame's BookDelta TLVs, settled after the frame (see onFrame). */
  private readonly deltaBooks: BookEntry[] = [];
  /** Resting (open) orders by order id, in arrival order. */
  readonly openOrders = new Map<bigint, RestingOrder>();
  readonly counters: EngineCounters = {
    framesIn: 0,
    framesOut: 0,
    badTlvs: 0,
    orders: 0,
    signals: 0,
    accepted: 0,
    rejected: 0,
    fills: 0,
    cancels: 0,
    breakerTrips: 0,
    breakerResets: 0,
  };
  private readonly config: ExecutionServiceConfig;
  private readonly publishFrame: (frame: Uint8Array) => void;
  private readonly audit: AuditSink | undefined;
  private readonly clock: () => bigint;
  private readonly live: LiveRouter | undefined;
  private readonly builder = new FrameBuilder({ domain: 3, source: 42 });
  private readonly outbox: Uint8Array[] = [];
  private readonly seenOrderIds = new Set<bigint>();
  private now = 0n;
  private nextVenueOrderId = 1n;
  private nextFillId = 1n;
  private day = -1n;
  private dayStartPnlE16 = 0n;
  private lastScanNs = 0n;

  constructor(options: ExecutionEngineOptions) {
    this.config = options.config;
    this.publishFrame = options.publish;
    this.audit = options.audit;
    this.clock = options.clock ?? wallClockNs;
    this.live = options.live;
  }

  get nowNs(): bigint {
    return this.now;
  }

  /** One checked frame from any relay. A bad TLV is counted, audited and never stops the frame's other TLVs. */
  onFrame(_frame: Uint8Array, parser: FrameParser): void {
    this.counters.framesIn++;
    this.advanceClock(parser.timestampNs);
    let identity: SignalIdentity | undefined;
    let economics: Economics | undefined;
    let signal: ArbitrageSignal | undefined;
    for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
      const type = parser.tlvType;
      try {
        if (type === TlvType.SignalIdentity) identity = parser.readTlv() as unknown as SignalIdentity;
        else if (type === TlvType.Economics) economics = parser.readTlv() as unknown as Economics;
        else if (type === TlvType.ArbitrageSignal) signal = parser.readTlv() as unknown as ArbitrageSignal;
        else this.onTlv(type, parser);
      } catch (e) {
        this.onBadInput(type, e);
      }
    }
    if (this.deltaBooks.length > 0) {
      for (const e of this.deltaBooks) {
        this.market.settleBook(e);
        this.afterBookUpdate(e);
      }
      this.deltaBooks.length = 0;
    }
    if (signal !== undefined) {
      try {
        this.onSignal(signal, identity, economics);
      } catch (e) {
        this.onBadInput(TlvType.ArbitrageSignal, e);
      }
    }
    this.scan();
    this.commit();
  }

  /** Timer entry (live mode): advances the clock, resets breakers whose cool-down ran out, trips on stale data. */
  tick(nowNs?: bigint): void {
    this.advanceClock(nowNs ?? 0n);
    this.lastScanNs = 0n;
    this.scan();
    this.commit();
  }

  /** Kill switch: trips the global manual breaker and cancels every resting order. Idempotent (re-acknowledges). */
  halt(reason: string): void {
    this.auditRecord("control", { command: "halt", reason });
    const b = this.tripBreaker(BreakerScope.Global, 0n, null, BreakerReason.Manual, true, reason);
    if (b === undefined) {
      const existing = [...this.breakers.tripped.values()].find(
        (x) => x.scope === BreakerScope.Global && x.reason === BreakerReason.Manual,
      )!;
      this.emitBreaker(existing, BreakerState.Tripped);
    }
  }

  /** Clears the kill switch (and, with `all`, every other tripped breaker). Always acknowledged with a reset frame. */
  resume(all: boolean): void {
    this.auditRecord("control", { command: "resume", all });
    let acknowledged = false;
    for (const b of [...this.breakers.tripped.values()]) {
      const isKill = b.scope === BreakerScope.Global && b.reason === BreakerReason.Manual;
      if (isKill || all) {
        this.resetBreaker(b);
        if (isKill) acknowledged = true;
      }
    }
    if (!acknowledged) {
      this.emitBreaker(
        {
          key: "",
          scope: BreakerScope.Global,
          scopeId: 0n,
          instrument: null,
          reason: BreakerReason.Manual,
          trippedNs: this.now,
          manual: true,
          detail: "",
        },
        BreakerState.Reset,
      );
    }
  }

  /** P&L of the day so far (realised + unrealised - fees since 00:00 UTC by the engine clock), USD e8. */
  dailyPnlE8(): bigint {
    return e16ToE8(this.pnlE16() - this.dayStartPnlE16);
  }

  pnlE16(): bigint {
    return this.portfolio.pnlE16((i) => referencePrice(this.market.books.get(i.toString())));
  }

  /**
   * A Fill the live side published (an on-chain receipt's token legs, a CEX venue's trade): it enters the portfolio
   * by the same rules as a paper fill of its kind, so positions, cash, P&L, the daily-loss check and the loss breaker
   * see live trades. Token instruments (DEX legs, and the gas Fill of each on-chain receipt: the native token down by
   * the wei paid, its USD value as fee; gas.ts): native balance and the fee charged to cash, as the paper swap path
   * does; CEX pairs: FIFO lots, cash and fee. The live side has already audited and published it.
   */
  applyLiveFill(f: Fill): void {
    this.advanceClock(this.now);
    if (f.instrument.kind === InstrumentKind.Token) {
      this.portfolio.applyTokenFill(f.instrument, f.side, f.quantityNative, f.fee);
    } else {
      this.portfolio.applyCexFill(f.instrument, f.side, f.price, f.quantity, f.fee);
    }
    this.counters.fills++;
    this.checkLossBreaker();
    this.commit();
  }

  // ---- input ---------------------------------------------------------------------------------------------------

  private advanceClock(frameTs: bigint): void {
    const t = this.config.execution.deterministic ? frameTs : this.clock();
    if (t > this.now) this.now = t;
    const day = this.now / DAY_NS;
    if (day !== this.day) {
      this.day = day;
      this.dayStartPnlE16 = this.pnlE16();
    }
  }

  private onTlv(type: number, parser: FrameParser): void {
    const now = this.now;
    switch (type) {
      case TlvType.OrderBook: {
        const e = this.market.applyOrderBook(parser.readTlv() as unknown as OrderBookTlv, now);
        this.afterBookUpdate(e);
        return;
      }
      case TlvType.BookDelta: {
        // Applied now, judged once the whole frame is in (an event may span several BookDelta TLVs).
        const e = this.market.applyBookDelta(parser.readTlv() as unknown as BookDelta, now);
        if (!this.deltaBooks.includes(e)) this.deltaBooks.push(e);
        return;
      }
      case TlvType.Quote:
        this.afterBookUpdate(this.market.applyQuote(parser.readTlv() as unknown as Quote, now));
        return;
      case TlvType.Trade: {
        const t = parser.readTlv() as unknown as Trade;
        this.market.applyTrade(t, now);
        this.fillRestingOnTrade(t);
        this.checkLossBreaker();
        return;
      }
      case TlvType.PoolState:
        this.market.applyPoolState(parser.readTlv() as unknown as PoolState, now);
        return;
      case TlvType.PoolSwap:
        this.market.applyPoolEvent({ type: 11, value: parser.readTlv() as unknown as PoolSwap }, now);
        return;
      case TlvType.PoolMint:
        this.market.applyPoolEvent({ type: 12, value: parser.readTlv() as unknown as PoolMint }, now);
        return;
      case TlvType.PoolBurn:
        this.market.applyPoolEvent({ type: 13, value: parser.readTlv() as unknown as PoolBurn }, now);
        return;
      case TlvType.PoolSync:
        this.market.applyPoolEvent({ type: 16, value: parser.readTlv() as unknown as PoolSync }, now);
        return;
      case TlvType.GasPrice:
        this.market.applyGasPrice(parser.readTlv() as unknown as GasPrice);
        return;
      case TlvType.StateInvalidation: {
        const v = parser.readTlv() as unknown as StateInvalidation;
        if (this.market.invalidate(v) !== undefined) {
          this.tripBreaker(
            BreakerScope.Instrument,
            0n,
            v.instrument,
            BreakerReason.StaleData,
            false,
            `state invalidation reason ${v.reason}`,
          );
        }
        return;
      }
      case TlvType.OrderRequest:
        this.onOrder(parser.readTlv() as unknown as OrderRequest);
        return;
      case TlvType.OrderCancel:
        this.onCancel(parser.readTlv() as unknown as OrderCancel);
        return;
      case ControlTlv.Halt:
        this.halt(readHaltReason(parser));
        return;
      case ControlTlv.Resume:
        this.resume(parser.tlvLength > 0 && parser.tlvValue()[0] === 1);
        return;
      default:
        return; // other types (Heartbeat, our own frames' types) carry nothing for the engine
    }
  }

  private onBadInput(type: number, e: unknown): void {
    this.counters.badTlvs++;
    const message = e instanceof Error ? e.message : String(e);
    this.auditRecord("error", { tlv_type: type, message });
    this.recordError();
  }

  private afterBookUpdate(e: BookEntry): void {
    const mid = referencePrice(e);
    const key = e.instrument.toString();
    const b = this.config.breakers;
    if (this.breakers.observeMid(key, mid, this.now, b.priceMoveBps, b.priceMoveWindowMs)) {
      this.tripBreaker(
        BreakerScope.Instrument,
        0n,
        e.instrument,
        BreakerReason.PriceDeviation,
        false,
        `mid ${mid} moved more than ${b.priceMoveBps} bps within ${b.priceMoveWindowMs} ms`,
      );
    }
    this.checkLossBreaker();
  }

  // ---- CEX orders ---------------------------------------------------------------------------------------------

  private onOrder(o: OrderRequest): void {
    this.counters.orders++;
    this.auditRecord("order", { ...o });
    const invalid = this.validateOrder(o);
    if (invalid !== undefined) {
      this.recordError();
      this.reject(o.orderId, RejectReason.VenueRejected, { check: "invalid_order", message: invalid, facts: {} });
      return;
    }
    this.seenOrderIds.add(o.orderId);
    const key = o.instrument.toString();
    const blocking = this.breakers.blocking({
      strategyId: o.strategyId,
      venue: o.instrument.venue,
      instrumentKey: key,
    });
    if (blocking !== undefined) {
      this.reject(o.orderId, RejectReason.CircuitBreaker, {
        check: "circuit_breaker",
        message: "a tripped breaker covers this order",
        facts: { breaker: blocking.key },
      });
      return;
    }
    const entry = this.market.books.get(key);
    const rejection = this.riskCheckOrder(o, entry);
    if (rejection !== undefined) {
      this.reject(o.orderId, RejectReason.RiskLimit, rejection);
      return;
    }
    if (this.live?.order?.(o)) {
      this.counters.accepted++;
      this.auditRecord("decision", { order_id: o.orderId, decision: "live" });
      return;
    }
    const book = entry!.book;
    // post-only that would take liquidity is refused, as venues do
    if (o.orderType === OrderType.PostOnly) {
      const crosses =
        o.side === Side.Buy
          ? book.bestAsk !== undefined && o.price >= book.bestAsk.price
          : book.bestBid !== undefined && o.price <= book.bestBid.price;
      if (crosses) {
        this.reject(o.orderId, RejectReason.VenueRejected, {
          check: "post_only_would_take",
          message: "post-only order crosses the book",
          facts: { price: String(o.price) },
        });
        return;
      }
    }
    const resting: RestingOrder = {
      request: o,
      key,
      venueOrderId: this.nextVenueOrderId++,
      filled: 0n,
      filledValueE16: 0n,
    };
    this.counters.accepted++;
    this.auditRecord("decision", { order_id: o.orderId, decision: "accept" });
    this.emitStatus(resting, OrderStatusCode.Accepted, RejectReason.None);

    const limit = this.takerLimit(o, book);
    const tif = o.orderType === OrderType.Ioc ? Tif.Ioc : o.timeInForce;
    if (o.orderType !== OrderType.PostOnly) {
      if (tif === Tif.Fok) {
        const { filled } = walkBook(book, o.side, o.quantity, limit, false, 0);
        if (filled < o.quantity) {
          this.emitStatus(resting, OrderStatusCode.Expired, RejectReason.None);
          return;
        }
      }
      const { fills } = walkBook(book, o.side, o.quantity, limit, true, this.config.execution.takerFeeCentiBps);
      for (const f of fills) this.applyFill(resting, f, Liquidity.Taker);
    }
    if (resting.filled === o.quantity) {
      this.emitStatus(resting, OrderStatusCode.Filled, RejectReason.None);
    } else if (o.orderType === OrderType.Market || tif === Tif.Ioc || tif === Tif.Fok) {
      this.emitStatus(resting, OrderStatusCode.Cancelled, RejectReason.None);
    } else {
      this.openOrders.set(o.orderId, resting);
      if (resting.filled > 0n) this.emitStatus(resting, OrderStatusCode.PartiallyFilled, RejectReason.None);
    }
    this.checkLossBreaker();
  }

  private validateOrder(o: OrderRequest): string | undefined {
    if (this.seenOrderIds.has(o.orderId) || (o.orderId & SIGNAL_ORDER_BIT) !== 0n)
      return "duplicate or reserved order_id";
    if (o.side !== Side.Buy && o.side !== Side.Sell) return `side ${o.side} is not 1 or 2`;
    if (o.orderType < 1 || o.orderType > 4) return `order_type ${o.orderType} is not 1-4`;
    if (o.timeInForce < 1 || o.timeInForce > 3) return `time_in_force ${o.timeInForce} is not 1-3`;
    if (o.quantity <= 0n) return "quantity must be positive";
    if (o.orderType !== OrderType.Market && o.price <= 0n) return "a limit order needs a positive price";
    if (o.instrument.kind !== InstrumentKind.Spot && o.instrument.kind !== InstrumentKind.Perp)
      return "OrderRequest is for CEX pairs; DEX swaps come as ArbitrageSignal";
    return undefined;
  }

  /** Taker price limit: the order's price, a market order's max_slippage_bps from the touch, or none (0). */
  private takerLimit(o: OrderRequest, book: BookEntry["book"]): bigint {
    if (o.orderType !== OrderType.Market) return o.price;
    if (o.maxSlippageBps === 0) return 0n;
    const touch = o.side === Side.Buy ? book.bestAsk?.price : book.bestBid?.price;
    if (touch === undefined) return 0n;
    const bps = BigInt(o.maxSlippageBps);
    return o.side === Side.Buy ? (touch * (10_000n + bps)) / 10_000n : (touch * (10_000n - bps) + 9_999n) / 10_000n;
  }

  private riskCheckOrder(o: OrderRequest, entry: BookEntry | undefined): RiskRejection | undefined {
    const r = this.config.risk;
    const stale = checkDataStaleness({
      usable: entry?.usable ?? false,
      updatedNs: entry?.updatedNs ?? 0n,
      nowNs: this.now,
      maxAgeMs: r.maxBookAgeMs,
    });
    if (stale) return stale;
    const reference = referencePrice(entry);
    const priceForNotional = o.orderType === OrderType.Market ? reference : o.price;
    const notional = checkOrderNotional({
      notionalE8: notionalE8(priceForNotional, o.quantity),
      maxE8: r.maxOrderNotionalE8,
    });
    if (notional) return notional;
    // worst case: every resting order on the same side fills too
    const pos = this.portfolio.positions.get(o.instrument.toString())?.qty ?? 0n;
    let restingBuys = 0n;
    let restingSells = 0n;
    for (const ro of this.openOrders.values()) {
      if (ro.key !== o.instrument.toString()) continue;
      const left = ro.request.quantity - ro.filled;
      if (ro.request.side === Side.Buy) restingBuys += left;
      else restingSells += left;
    }
    // live orders not done count as resting orders do (absent in paper: the same sums, the same bytes)
    let liveOpen = 0;
    if (this.live?.openOrders !== undefined) {
      for (const lo of this.live.openOrders()) {
        liveOpen++;
        if (lo.instrument !== o.instrument.toString()) continue;
        if (lo.side === Side.Buy) restingBuys += lo.remaining;
        else restingSells += lo.remaining;
      }
    }
    const after = o.side === Side.Buy ? pos + restingBuys + o.quantity : pos - restingSells - o.quantity;
    const position = checkPositionLimit({
      positionAfterE8: after,
      referencePriceE8: reference,
      maxNotionalE8: r.maxPositionNotionalE8,
    });
    if (position) return position;
    let total = notionalE8(reference, after);
    for (const [k, p] of this.portfolio.positions) {
      if (k === o.instrument.toString() || p.qty === 0n) continue;
      total += notionalE8(referencePrice(this.market.books.get(k)), p.qty);
    }
    const totalCheck = checkTotalPosition({ totalAfterE8: total, maxE8: r.maxTotalPositionNotionalE8 });
    if (totalCheck) return totalCheck;
    const mayRest =
      o.orderType === OrderType.PostOnly || (o.orderType === OrderType.Limit && o.timeInForce === Tif.Gtc);
    if (mayRest) {
      const open = checkOpenOrders({ open: this.openOrders.size + liveOpen, max: r.maxOpenOrders });
      if (open) return open;
    }
    if (o.orderType !== OrderType.Market) {
      const dev = checkPriceDeviation({ price: o.price, reference, maxBps: r.maxPriceDeviationBps });
      if (dev) return dev;
    }
    return checkDailyLoss({ dailyPnlE8: this.dailyPnlE8(), limitE8: r.dailyLossLimitE8 });
  }

  private onCancel(c: OrderCancel): void {
    this.auditRecord("cancel", { ...c });
    if (this.live?.cancel?.(c)) {
      this.auditRecord("decision", { order_id: c.orderId, decision: "cancel_live" });
      return;
    }
    const ro = this.openOrders.get(c.orderId);
    if (ro === undefined) {
      this.auditRecord("decision", { order_id: c.orderId, decision: "cancel_unknown_order" });
      return;
    }
    this.openOrders.delete(c.orderId);
    this.counters.cancels++;
    this.emitStatus(ro, OrderStatusCode.Cancelled, RejectReason.None);
  }

  /**
   * A trade strictly through a resting order's price fills it (at the order's price, maker fee), oldest order
   * first, up to the trade's size. A trade at the price does not: the paper order would stand behind the queue.
   */
  private fillRestingOnTrade(t: Trade): void {
    if (this.openOrders.size === 0) return;
    const key = t.instrument.toString();
    let available = t.size;
    for (const ro of [...this.openOrders.values()]) {
      if (available <= 0n) break;
      const o = ro.request;
      if (ro.key !== key) continue;
      const crosses = o.side === Side.Buy ? t.price < o.price : t.price > o.price;
      if (!crosses) continue;
      const left = o.quantity - ro.filled;
      // biome-ignore lint/complexity/useMathMinMax: bigint
      const qty = left < available ? left : available;
      available -= qty;
      this.applyFill(
        ro,
        { price: o.price, quantity: qty, feeE8: feeE8(o.price, qty, this.config.execution.makerFeeCentiBps) },
        Liquidity.Maker,
      );
      if (ro.filled === o.quantity) {
        this.openOrders.delete(o.orderId);
        this.emitStatus(ro, OrderStatusCode.Filled, RejectReason.None);
      } else {
        this.emitStatus(ro, OrderStatusCode.PartiallyFilled, RejectReason.None);
      }
    }
  }

  private applyFill(ro: RestingOrder, f: TakerFill, liquidity: number): void {
    const o = ro.request;
    ro.filled += f.quantity;
    ro.filledValueE16 += f.price * f.quantity;
    this.portfolio.applyCexFill(o.instrument, o.side, f.price, f.quantity, f.feeE8);
    this.counters.fills++;
    const fill = {
      orderId: o.orderId,
      fillId: this.nextFillId++,
      instrument: o.instrument,
      side: o.side,
      liquidity,
      price: f.price,
      quantity: f.quantity,
      fee: f.feeE8,
      quantityNative: 0n,
      txHash: ZERO_HASH,
      timestampNs: this.now,
    } as const;
    this.auditRecord("fill", { ...fill });
    this.emit(this.builder.begin(this.now).add("Fill", fill).finish());
  }

  // ---- DEX swaps ----------------------------------------------------------------------------------------------

  private onSignal(s: ArbitrageSignal, identity: SignalIdentity | undefined, economics: Economics | undefined): void {
    this.counters.signals++;
    const orderId = SIGNAL_ORDER_BIT | s.signalId;
    this.auditRecord("signal", { ...s, identity: identity ?? null, economics: economics ?? null });
    if (this.seenOrderIds.has(orderId)) {
      this.recordError();
      this.reject(orderId, RejectReason.VenueRejected, {
        check: "invalid_order",
        message: "duplicate signal_id",
        facts: {},
      });
      return;
    }
    this.seenOrderIds.add(orderId);
    if (s.validUntilNs !== 0n && this.now > s.validUntilNs) {
      this.counters.rejected++;
      this.auditRecord("decision", { order_id: orderId, decision: "expired", valid_until_ns: s.validUntilNs });
      this.emitStatusRaw(orderId, 0n, OrderStatusCode.Expired, RejectReason.Timeout, 0n, 0n);
      return;
    }
    const pools: PoolEntry[] = [];
    for (const iid of [s.buyInstrument, s.sellInstrument]) {
      if (iid.kind !== InstrumentKind.Pool) continue;
      if (pools.some((p) => p.state.pool.equals(iid))) continue;
      const p = this.market.pools.get(iid.toString());
      if (p === undefined) {
        this.reject(orderId, RejectReason.RiskLimit, {
          check: "stale_data",
          message: "no state for the pool",
          facts: { pool: iid.toString() },
        });
        return;
      }
      pools.push(p);
    }
    if (pools.length === 0) {
      this.recordError();
      this.reject(orderId, RejectReason.VenueRejected, {
        check: "invalid_order",
        message: "no pool in the signal",
        facts: {},
      });
      return;
    }
    for (const p of pools) {
      const blocking = this.breakers.blocking({
        strategyId: s.strategyId,
        venue: p.state.pool.venue,
        instrumentKey: p.state.pool.toString(),
      });
      if (blocking !== undefined) {
        this.reject(orderId, RejectReason.CircuitBreaker, {
          check: "circuit_breaker",
          message: "a tripped breaker covers this swap",
          facts: { breaker: blocking.key },
        });
        return;
      }
    }
    const r = this.config.risk;
    for (const p of pools) {
      const stale = checkDataStaleness({
        usable: p.usable && p.state.ready,
        updatedNs: p.updatedNs,
        nowNs: this.now,
        maxAgeMs: r.maxPoolAgeMs,
      });
      if (stale) {
        this.reject(orderId, RejectReason.RiskLimit, stale);
        return;
      }
    }
    const capital = economics?.requiredCapitalUsdE8 ?? 0n;
    const rejection =
      checkOrderNotional({ notionalE8: capital, maxE8: r.maxOrderNotionalE8 }) ??
      checkGasPrice({ gasWei: this.market.gasWei.get(s.chainId), maxGwei: s.maxGasPriceGwei }) ??
      checkDailyLoss({ dailyPnlE8: this.dailyPnlE8(), limitE8: r.dailyLossLimitE8 });
    if (rejection) {
      this.reject(orderId, RejectReason.RiskLimit, rejection);
      return;
    }

    let legs: SwapLeg[];
    try {
      legs = simulateSwapPath(pools, s.tokenIn, s.amountIn);
    } catch (e) {
      this.recordError();
      this.reject(orderId, RejectReason.VenueRejected, {
        check: "swap_failed",
        message: e instanceof Error ? e.message : String(e),
        facts: {},
      });
      return;
    }
    const last = legs[legs.length - 1];
    if (last.tokenOut !== s.tokenOut) {
      this.recordError();
      this.reject(orderId, RejectReason.VenueRejected, {
        check: "invalid_order",
        message: "the pools do not lead from token_in to token_out",
        facts: { ends_at: last.tokenOut, token_out: s.tokenOut },
      });
      return;
    }
    if (s.expectedAmountOut > 0n) {
      const dev = checkPriceDeviation({
        price: s.expectedAmountOut,
        reference: last.amountOut,
        maxBps: r.maxPriceDeviationBps,
      });
      if (dev) {
        this.reject(orderId, RejectReason.RiskLimit, dev);
        return;
      }
    }
    if (last.amountOut < s.minAmountOut) {
      this.recordError();
      this.reject(orderId, RejectReason.Slippage, {
        check: "slippage",
        message: "pool output below min_amount_out",
        facts: { amount_out: String(last.amountOut), min_amount_out: String(s.minAmountOut) },
      });
      return;
    }
    if (this.live?.signal?.(s, identity, economics)) {
      this.counters.accepted++;
      this.auditRecord("decision", { order_id: orderId, decision: "live" });
      return;
    }
    const venueOrderId = this.nextVenueOrderId++;
    this.counters.accepted++;
    this.auditRecord("decision", { order_id: orderId, decision: "accept" });
    this.emitStatusRaw(orderId, venueOrderId, OrderStatusCode.Accepted, RejectReason.None, 0n, 0n);
    const gasFee = economics?.gasCostUsdE8 ?? 0n;
    for (let i = 0; i < legs.length; i++) {
      const leg = legs[i];
      const txHash = `0x${sha256(`paper:${s.signalId}:${i}`)}` as const;
      const rateE8 = rateE8Of(leg);
      this.emitTokenFill(orderId, leg, "in", rateE8, i === 0 ? gasFee : 0n, txHash);
      this.emitTokenFill(orderId, leg, "out", rateE8, 0n, txHash);
    }
    const first = legs[0];
    this.emitStatusRaw(
      orderId,
      venueOrderId,
      OrderStatusCode.Filled,
      RejectReason.None,
      toE8(s.amountIn, first.decimalsIn),
      rateE8Of({ ...first, amountOut: last.amountOut, decimalsOut: last.decimalsOut }),
    );
    this.checkLossBreaker();
  }

  private emitTokenFill(
    orderId: bigint,
    leg: SwapLeg,
    which: "in" | "out",
    rateE8: bigint,
    fee: bigint,
    txHash: `0x${string}`,
  ): void {
    const pool = leg.pool;
    const token = InstrumentId.token(pool.venue, pool.chainId, which === "in" ? leg.tokenIn : leg.tokenOut);
    const amount = which === "in" ? leg.amountIn : leg.amountOut;
    const fill = {
      orderId,
      fillId: this.nextFillId++,
      instrument: token,
      side: which === "in" ? Side.Sell : Side.Buy,
      liquidity: Liquidity.Taker,
      price: rateE8,
      quantity: toE8(amount, which === "in" ? leg.decimalsIn : leg.decimalsOut),
      fee,
      quantityNative: amount,
      txHash,
      timestampNs: this.now,
    } as const;
    this.portfolio.applyTokenFill(token, fill.side, amount, fee);
    this.counters.fills++;
    this.auditRecord("fill", { ...fill, pool: pool.toString() });
    this.emit(this.builder.begin(this.now).add("Fill", fill).finish());
  }

  // ---- breakers -----------------------------------------------------------------------------------------------

  private recordError(): void {
    const b = this.config.breakers;
    if (this.breakers.recordError(this.now, b.maxErrors, b.errorWindowMs)) {
      this.tripBreaker(
        BreakerScope.Global,
        0n,
        null,
        BreakerReason.ErrorRate,
        false,
        `${this.breakers.recentErrors} errors within ${b.errorWindowMs} ms`,
      );
    }
  }

  private checkLossBreaker(): void {
    const daily = this.dailyPnlE8();
    if (daily <= -this.config.breakers.lossLimitE8) {
      this.tripBreaker(BreakerScope.Global, 0n, null, BreakerReason.LossLimit, false, `daily P&L ${daily} USD e8`);
    }
  }

  /** Cool-downs and stale data, at most every 100 ms of engine time. */
  private scan(): void {
    if (this.now - this.lastScanNs < 100n * MS) return;
    this.lastScanNs = this.now;
    const b = this.config.breakers;
    if (b.reset === "cooldown") for (const due of this.breakers.due(this.now, b.cooldownMs)) this.resetBreaker(due);
    const staleNs = BigInt(b.staleDataMs) * MS;
    for (const e of this.market.books.values()) {
      if (e.updatedNs === 0n || this.now - e.updatedNs <= staleNs) continue;
      const key = e.instrument.toString();
      let hasOrders = false;
      for (const ro of this.openOrders.values()) if (ro.key === key) hasOrders = true;
      if (!hasOrders) continue;
      this.tripBreaker(
        BreakerScope.Instrument,
        0n,
        e.instrument,
        BreakerReason.StaleData,
        false,
        `no update for ${(this.now - e.updatedNs) / MS} ms`,
      );
    }
  }

  private tripBreaker(
    scope: number,
    scopeId: bigint,
    instrument: InstrumentId | null,
    reason: number,
    manualReason: boolean,
    detail: string,
  ): Breaker | undefined {
    const manual = manualReason || this.config.breakers.reset === "manual";
    const b = this.breakers.trip({ scope, scopeId, instrument, reason, trippedNs: this.now, manual, detail });
    if (b === undefined) return undefined;
    this.counters.breakerTrips++;
    this.emitBreaker(b, BreakerState.Tripped);
    // cancel the resting orders the breaker covers
    for (const ro of [...this.openOrders.values()]) {
      const o = ro.request;
      const covered =
        scope === BreakerScope.Global ||
        (scope === BreakerScope.Strategy && BigInt(o.strategyId) === scopeId) ||
        (scope === BreakerScope.Venue && BigInt(o.instrument.venue) === scopeId) ||
        (scope === BreakerScope.Instrument && ro.key === instrument!.toString());
      if (!covered) continue;
      this.openOrders.delete(o.orderId);
      this.counters.cancels++;
      this.emitStatus(ro, OrderStatusCode.Cancelled, RejectReason.CircuitBreaker);
    }
    return b;
  }

  private resetBreaker(b: Breaker): void {
    this.breakers.reset(b.key);
    this.counters.breakerResets++;
    this.emitBreaker(b, BreakerState.Reset);
  }

  private emitBreaker(b: Breaker, state: number): void {
    const v = breakerTlv(b, state, this.now);
    this.auditRecord("breaker", { ...v, detail: b.detail, manual: b.manual });
    this.emit(this.builder.begin(this.now).add("CircuitBreaker", v).finish());
  }

  // ---- output -------------------------------------------------------------------------------------------------

  private reject(orderId: bigint, reason: number, r: Refusal): void {
    this.counters.rejected++;
    this.auditRecord("decision", {
      order_id: orderId,
      decision: "reject",
      reason,
      check: r.check,
      message: r.message,
      facts: r.facts,
    });
    this.emitStatusRaw(orderId, 0n, OrderStatusCode.Rejected, reason, 0n, 0n);
  }

  private emitStatus(ro: RestingOrder, status: number, reason: number): void {
    const avg = ro.filled === 0n ? 0n : ro.filledValueE16 / ro.filled;
    this.emitStatusRaw(ro.request.orderId, ro.venueOrderId, status, reason, ro.filled, avg);
  }

  private emitStatusRaw(
    orderId: bigint,
    venueOrderId: bigint,
    status: number,
    reason: number,
    filledQuantity: bigint,
    averagePrice: bigint,
  ): void {
    const v = { orderId, venueOrderId, status, reason, filledQuantity, averagePrice, timestampNs: this.now };
    this.auditRecord("status", v);
    this.emit(this.builder.begin(this.now).add("OrderStatus", v).finish());
  }

  private emit(frame: Uint8Array): void {
    this.outbox.push(frame.slice());
  }

  private auditRecord(kind: string, data: Record<string, unknown>): void {
    this.audit?.append(kind, data, this.now);
  }

  /** Audit first (written, and fsynced under the "always" policy), then the frames. */
  private commit(): void {
    this.audit?.flush();
    if (this.outbox.length === 0) return;
    const frames = this.outbox.splice(0);
    this.counters.framesOut += frames.length;
    for (const f of frames) this.publishFrame(f);
  }
}

const ZERO_HASH = `0x${"0".repeat(64)}` as const;

function sha256(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/** Native units -> e8 of whole tokens, rounded down (display field; quantity_native is the exact amount). */
function toE8(amount: bigint, decimals: number): bigint {
  return decimals >= 8 ? amount / 10n ** BigInt(decimals - 8) : amount * 10n ** BigInt(8 - decimals);
}

/** Whole token_out per whole token_in, e8, rounded down. */
function rateE8Of(leg: { amountIn: bigint; amountOut: bigint; decimalsIn: number; decimalsOut: number }): bigint {
  if (leg.amountIn === 0n) return 0n;
  return (leg.amountOut * 10n ** BigInt(leg.decimalsIn) * E8) / (leg.amountIn * 10n ** BigInt(leg.decimalsOut));
}
