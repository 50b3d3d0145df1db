import type { InstrumentId } from "../../../data/instrument-id.ts";
import type {
  ArbitrageSignal,
  CircuitBreaker,
  Economics,
  Fill,
  InstrumentMeta,
  OrderBook,
  OrderCancel,
  OrderRequest,
  OrderStatus,
  PoolState,
  PoolSwap,
  PoolSync,
  SignalIdentity,
  StateInvalidation,
  Trade,
} from "../../../data/tlv-layouts.ts";
import { StreamFramer } from "../../../rules/framer.ts";
import type { FrameParser } from "../../../rules/parser.ts";
import { e16ToE8, Portfolio } from "../../execution/portfolio.ts";
import { DASHBOARD_STATUS_TLV, type DashboardStatus, readStatus } from "../status-frame.ts";
import { priceDecimalsNeeded, priceFromReserves, priceFromSqrtX96 } from "./format.ts";

export interface BookView {
  instrument: string;
  bids: { price: bigint; size: bigint }[];
  asks: { price: bigint; size: bigint }[];
  exchangeTsNs: bigint;
  updates: number;
  /** A StateInvalidation arrived after the last snapshot. */
  stale: boolean;
}

export interface PoolView {
  pool: string;
  protocol: number;
  decimals0: number;
  decimals1: number;
  /** token0 in token1, scaled 10^18 (0 until known). */
  priceE18: bigint;
  liquidity: bigint;
  reserve0: bigint;
  reserve1: bigint;
  tick: number;
  feePpm: number;
  blockNumber: bigint;
  swaps: number;
  lastSwap: { amount0: bigint; amount1: bigint; zeroForOne: boolean } | undefined;
}

export interface SignalView {
  signalId: bigint;
  strategyId: number;
  confidence: number | undefined;
  economics: Economics | undefined;
  arbitrage: ArbitrageSignal | undefined;
  timestampNs: bigint;
}

export interface OrderView {
  orderId: bigint;
  instrument: string;
  side: number;
  orderType: number;
  price: bigint;
  quantity: bigint;
  paper: boolean;
  status: number;
  reason: number;
  filledQuantity: bigint;
  averagePrice: bigint;
  timestampNs: bigint;
}

export interface FillView {
  orderId: bigint;
  fillId: bigint;
  instrument: string;
  side: number;
  price: bigint;
  quantity: bigint;
  fee: bigint;
  timestampNs: bigint;
}

export interface BreakerView {
  key: string;
  scope: number;
  state: number;
  reason: number;
  scopeId: bigint;
  instrument: string | null;
  timestampNs: bigint;
}

/** P&L samples: time (ms, a Number) and P&L in USD e8 (bigint until the chart draws it). */
export interface PnlSeries {
  atMs: number[];
  pnlE8: bigint[];
}

export type Panel = "services" | "books" | "pools" | "signals" | "orders" | "pnl" | "breakers";

const MAX_SIGNALS = 50;
const MAX_ORDERS = 200;
const MAX_FILLS = 100;
const MAX_PNL_POINTS = 3600;

/**
 * Everything the page shows, built from Protocol V2 frames decoded by the project's codec (src/rules): the same
 * framer, parser and TLV layouts as every service. Positions and P&L come from the Fill frames through the execution
 * service's own Portfolio (src/behavior/execution/portfolio.ts), so the page and the engine agree to the unit.
 * A frame the page cannot use is counted and skipped, never thrown out of apply().
 */
export class DashboardState {
  readonly books = new Map<string, BookView>();
  readonly pools = new Map<string, PoolView>();
  readonly lastTrade = new Map<string, Trade>();
  /** price_decimals of each instrument from its InstrumentMeta, when the venue sent one (at most 8: prices are e8). */
  readonly priceDecimalsMeta = new Map<string, number>();
  readonly signals: SignalView[] = [];
  readonly orders = new Map<bigint, OrderView>();
  readonly fills: FillView[] = [];
  readonly breakers = new Map<string, BreakerView>();
  readonly portfolio = new Portfolio();
  readonly pnl: PnlSeries = { atMs: [], pnlE8: [] };
  status: DashboardStatus | undefined;
  /** The previous status, for message rates. */
  previousStatus: DashboardStatus | undefined;
  frames = 0;
  badFrames = 0;
  fillCount = 0;
  lastError = "";
  readonly dirty = new Set<Panel>();
  private readonly framer = new StreamFramer({
    onFrame: (_frame, parser) => this.applyFrame(parser),
    onSkip: (_n, error) => {
      this.badFrames++;
      this.lastError = error.toLine();
    },
  });

  /** One WebSocket message: frames back to back. */
  applyMessage(bytes: Uint8Array): void {
    this.framer.push(bytes);
  }

  private applyFrame(parser: FrameParser): void {
    this.frames++;
    let signal: SignalView | undefined;
    for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
      const type = parser.tlvType;
      try {
        if (type === DASHBOARD_STATUS_TLV) {
          const status = readStatus(parser);
          if (status === undefined) throw new Error("status frame without a JSON object");
          this.previousStatus = this.status;
          this.status = status;
          this.dirty.add("services");
          continue;
        }
        const v = parser.readTlv();
        if (v === undefined) continue; // a type without a layout: nothing to show
        if (type >= 20 && type <= 39) signal = this.applySignalTlv(type, v, signal ?? this.newSignal(parser));
        else this.applyTlv(type, v);
      } catch (e) {
        this.badFrames++;
        this.lastError = `TLV ${type}: ${(e as Error).message}`;
      }
    }
    if (signal !== undefined) {
      this.signals.unshift(signal);
      if (this.signals.length > MAX_SIGNALS) this.signals.length = MAX_SIGNALS;
      this.dirty.add("signals");
    }
  }

  private newSignal(parser: FrameParser): SignalView {
    return {
      signalId: 0n,
      strategyId: 0,
      confidence: undefined,
      economics: undefined,
      arbitrage: undefined,
      timestampNs: parser.timestampNs,
    };
  }

  private applySignalTlv(type: number, v: Record<string, unknown>, s: SignalView): SignalView {
    if (type === 20) {
      const id = v as unknown as SignalIdentity;
      s.signalId = id.signalId;
      s.strategyId = id.strategyId;
      s.confidence = id.confidence;
    } else if (type === 22) {
      s.economics = v as unknown as Economics;
    } else if (type === 32) {
      const a = v as unknown as ArbitrageSignal;
      s.arbitrage = a;
      if (s.signalId === 0n) s.signalId = a.signalId;
      if (s.strategyId === 0) s.strategyId = a.strategyId;
      s.timestampNs = a.timestampNs || s.timestampNs;
    }
    return s;
  }

  private applyTlv(type: number, v: Record<string, unknown>): void {
    switch (type) {
      case 1: {
        const t = v as unknown as Trade;
        this.lastTrade.set(this.key(t.instrument), t);
        this.dirty.add("books");
        break;
      }
      case 4: {
        const m = v as unknown as InstrumentMeta;
        this.priceDecimalsMeta.set(this.key(m.instrument), Math.min(8, m.priceDecimals));
        this.dirty.add("books");
        this.dirty.add("orders");
        this.dirty.add("pnl");
        break;
      }
      case 3: {
        const b = v as unknown as OrderBook;
        const key = this.key(b.instrument);
        const prev = this.books.get(key);
        this.books.set(key, {
          instrument: key,
          bids: b.bids,
          asks: b.asks,
          exchangeTsNs: b.exchangeTsNs,
          updates: (prev?.updates ?? 0) + 1,
          stale: false,
        });
        this.dirty.add("books");
        this.dirty.add("pnl");
        break;
      }
      case 19: {
        const s = v as unknown as StateInvalidation;
        const book = this.books.get(this.key(s.instrument));
        if (book) book.stale = true;
        this.dirty.add("books");
        break;
      }
      case 11:
        this.applySwap(v as unknown as PoolSwap);
        break;
      case 15:
        this.applyPoolState(v as unknown as PoolState);
        break;
      case 16:
        this.applySync(v as unknown as PoolSync);
        break;
      case 40:
        this.applyOrderRequest(v as unknown as OrderRequest);
        break;
      case 41:
        this.applyOrderStatus(v as unknown as OrderStatus);
        break;
      case 42:
        this.applyFill(v as unknown as Fill);
        break;
      case 43: {
        const c = v as unknown as OrderCancel;
        const o = this.orders.get(c.orderId);
        if (o) o.status = 5;
        this.dirty.add("orders");
        break;
      }
      case 71:
        this.applyBreaker(v as unknown as CircuitBreaker);
        break;
    }
  }

  private pool(id: InstrumentId, decimals0: number, decimals1: number): PoolView {
    const key = this.key(id);
    let p = this.pools.get(key);
    if (p === undefined) {
      p = {
        pool: key,
        protocol: 0,
        decimals0,
        decimals1,
        priceE18: 0n,
        liquidity: 0n,
        reserve0: 0n,
        reserve1: 0n,
        tick: 0,
        feePpm: 0,
        blockNumber: 0n,
        swaps: 0,
        lastSwap: undefined,
      };
      this.pools.set(key, p);
    }
    p.decimals0 = decimals0;
    p.decimals1 = decimals1;
    this.dirty.add("pools");
    return p;
  }

  private applySwap(s: PoolSwap): void {
    if ((s.flags & 1) !== 0) return; // removed by a reorg: its correction follows
    const p = this.pool(s.pool, s.token0Decimals, s.token1Decimals);
    p.blockNumber = s.blockNumber;
    p.swaps++;
    const zeroForOne = s.amount0In > 0n;
    p.lastSwap = {
      amount0: zeroForOne ? s.amount0In : s.amount0Out,
      amount1: zeroForOne ? s.amount1Out : s.amount1In,
      zeroForOne,
    };
    if ((s.flags & 2) !== 0) {
      p.protocol = 3;
      p.liquidity = s.liquidity;
      p.tick = s.tick;
      p.priceE18 = priceFromSqrtX96(s.sqrtPriceX96, s.token0Decimals, s.token1Decimals);
    } else if (p.protocol === 0) {
      p.protocol = 2;
    }
  }

  private applySync(s: PoolSync): void {
    if ((s.flags & 1) !== 0) return;
    const p = this.pool(s.pool, s.token0Decimals, s.token1Decimals);
    p.protocol = 2;
    p.blockNumber = s.blockNumber;
    p.reserve0 = s.reserve0;
    p.reserve1 = s.reserve1;
    p.priceE18 = priceFromReserves(s.reserve0, s.reserve1, s.token0Decimals, s.token1Decimals);
  }

  private applyPoolState(s: PoolState): void {
    const p = this.pool(s.pool, s.token0Decimals, s.token1Decimals);
    p.protocol = s.protocol;
    p.blockNumber = s.blockNumber;
    p.feePpm = s.feePpm;
    p.reserve0 = s.reserve0;
    p.reserve1 = s.reserve1;
    p.liquidity = s.liquidity;
    p.tick = s.tick;
    p.priceE18 =
      s.protocol === 3
        ? priceFromSqrtX96(s.sqrtPriceX96, s.token0Decimals, s.token1Decimals)
        : priceFromReserves(s.reserve0, s.reserve1, s.token0Decimals, s.token1Decimals);
  }

  private applyOrderRequest(r: OrderRequest): void {
    this.orders.set(r.orderId, {
      orderId: r.orderId,
      instrument: this.key(r.instrument),
      side: r.side,
      orderType: r.orderType,
      price: r.price,
      quantity: r.quantity,
      paper: (r.flags & 1) !== 0,
      status: 0,
      reason: 0,
      filledQuantity: 0n,
      averagePrice: 0n,
      timestampNs: r.timestampNs,
    });
    if (this.orders.size > MAX_ORDERS) this.orders.delete(this.orders.keys().next().value!);
    this.dirty.add("orders");
  }

  private applyOrderStatus(s: OrderStatus): void {
    let o = this.orders.get(s.orderId);
    if (o === undefined) {
      o = {
        orderId: s.orderId,
        instrument: "",
        side: 0,
        orderType: 0,
        price: 0n,
        quantity: 0n,
        paper: false,
        status: 0,
        reason: 0,
        filledQuantity: 0n,
        averagePrice: 0n,
        timestampNs: s.timestampNs,
      };
      this.orders.set(s.orderId, o);
    }
    o.status = s.status;
    o.reason = s.reason;
    o.filledQuantity = s.filledQuantity;
    o.averagePrice = s.averagePrice;
    this.dirty.add("orders");
  }

  private applyFill(f: Fill): void {
    const key = this.key(f.instrument);
    this.fills.unshift({
      orderId: f.orderId,
      fillId: f.fillId,
      instrument: key,
      side: f.side,
      price: f.price,
      quantity: f.quantity,
      fee: f.fee,
      timestampNs: f.timestampNs,
    });
    if (this.fills.length > MAX_FILLS) this.fills.length = MAX_FILLS;
    this.fillCount++;
    // The engine's own bookkeeping (execution/portfolio.ts): CEX legs by price x quantity, token legs in native units.
    if (f.instrument.kind === 1 || f.instrument.kind === 2) {
      this.portfolio.applyCexFill(f.instrument, f.side, f.price, f.quantity, f.fee);
    } else if (f.instrument.kind === 4) {
      this.portfolio.applyTokenFill(f.instrument, f.side, f.quantityNative, f.fee);
    }
    this.dirty.add("orders");
    this.dirty.add("pnl");
  }

  private applyBreaker(b: CircuitBreaker): void {
    const instrument = b.instrument === null ? null : this.key(b.instrument);
    const key = `${b.scope}:${b.scopeId}:${instrument ?? ""}:${b.reason}`;
    this.breakers.set(key, {
      key,
      scope: b.scope,
      state: b.state,
      reason: b.reason,
      scopeId: b.scopeId,
      instrument,
      timestampNs: b.timestampNs,
    });
    this.dirty.add("breakers");
  }

  /** True while a global breaker is tripped: the kill switch (or a global loss limit). */
  get halted(): boolean {
    for (const b of this.breakers.values()) if (b.scope === 1 && b.state === 1) return true;
    return false;
  }

  /**
   * Decimals to show an instrument's prices with: its InstrumentMeta's price_decimals when known, else enough for
   * every price the page holds for it (book levels, last trade, `extra`) exactly, at least 2. Counted on the e8
   * integers, no float.
   */
  priceDecimals(instrument: string, extra: Iterable<bigint> = []): number {
    const meta = this.priceDecimalsMeta.get(instrument);
    if (meta !== undefined) return meta;
    let d = priceDecimalsNeeded(extra);
    const book = this.books.get(instrument);
    if (book !== undefined) {
      d = priceDecimalsNeeded(
        book.bids.map((l) => l.price),
        d,
      );
      d = priceDecimalsNeeded(
        book.asks.map((l) => l.price),
        d,
      );
    }
    const trade = this.lastTrade.get(instrument);
    if (trade !== undefined) d = priceDecimalsNeeded([trade.price], d);
    return d;
  }

  /** The mark of an instrument: its book's mid, else its last trade, else 0 (not marked). */
  markE8(instrument: InstrumentId | string): bigint {
    const key = typeof instrument === "string" ? instrument : instrument.toString();
    const book = this.books.get(key);
    const bid = book?.bids[0]?.price;
    const ask = book?.asks[0]?.price;
    if (bid !== undefined && ask !== undefined) return (bid + ask) / 2n;
    return this.lastTrade.get(key)?.price ?? 0n;
  }

  /** Portfolio P&L now, USD e8: realised + unrealised at the marks - fees. */
  pnlNow(): { totalE8: bigint; realisedE8: bigint; unrealisedE8: bigint; feesE8: bigint } {
    const mark = (i: InstrumentId) => this.markE8(i);
    return {
      totalE8: e16ToE8(this.portfolio.pnlE16(mark)),
      realisedE8: e16ToE8(this.portfolio.realisedE16),
      unrealisedE8: e16ToE8(this.portfolio.unrealisedE16(mark)),
      feesE8: this.portfolio.feesE8,
    };
  }

  /** Appends a P&L sample (once fills exist); the chart reads the series. */
  samplePnl(atMs: number): void {
    if (this.fillCount === 0) return;
    this.pnl.atMs.push(atMs);
    this.pnl.pnlE8.push(this.pnlNow().totalE8);
    if (this.pnl.atMs.length > MAX_PNL_POINTS) {
      this.pnl.atMs.shift();
      this.pnl.pnlE8.shift();
    }
  }

  /** Canonical text of an instrument (the page keys everything by it). */
  private key(id: InstrumentId): string {
    return id.toString();
  }
}
