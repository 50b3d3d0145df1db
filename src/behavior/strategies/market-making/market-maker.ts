import { nowNs } from "../../../core/time.ts";
import type { Fill, OrderStatus } from "../../../data/tlv-layouts.ts";
import { TlvType } from "../../../data/tlv-layouts.ts";
import { RelayDomain, SourceType } from "../../../data/venues.ts";
import { FrameBuilder } from "../../../rules/builder.ts";
import type { FrameParser } from "../../../rules/parser.ts";
import { isqrt } from "../../amm/isqrt.ts";
import { type CexBookState, MarketState } from "../common/market-state.ts";
import { TokenTable } from "../common/token-table.ts";
import type { MarketMakingConfig } from "./config.ts";

/** One resting quote of ours. */
export interface RestingQuote {
  orderId: bigint;
  side: 1 | 2;
  price: bigint;
  quantity: bigint;
}

export interface MarketMakerCounters {
  framesIn: number;
  badFrames: number;
  ordersSent: number;
  cancelsSent: number;
  fills: number;
  /** Times every quote was pulled (stale or invalidated book). */
  pulls: number;
  /** Quote updates skipped because the move was inside refresh_threshold_bps. */
  keptQuotes: number;
}

/** OrderCancel reasons (ours: the protocol leaves the values to the sender). 1 requote, 2 stale data, 3 invalidated. */
export const CancelReason = { Requote: 1, Stale: 2, Invalidated: 3, Shutdown: 4 } as const;

const E4 = 10_000n;
const STATUS_DONE = new Set([2, 4, 5, 6]); // rejected, filled, cancelled, expired

/**
 * A two-sided quoter for one CEX instrument (docs/strategies.md "Market making").
 *   fair   = mid, or micro-price (bid * askSize + ask * bidSize) / (bidSize + askSize)         (e8, floor)
 *   var    = var + alpha * (d^2 - var) / 1e6, d = fair - previous fair                       (e16, EWMA)
 *   half   = max(fair * minSpreadBps / 2e4, volMultiplierPct * isqrt(var) / 100)               (e8)
 *   skew   = fair * skewBpsAtMaxPosition * position / (maxPosition * 1e4)                      (e8)
 *   bid    = floor_tick(fair - half - skew), ask = ceil_tick(fair + half - skew), never crossing the book
 * A side that would take the position past maxPosition is not quoted (or quoted smaller). Quotes are replaced only
 * when the wanted price moved more than refreshThresholdBps; every quote is pulled at once (OrderCancel) when the
 * book is invalidated or has not updated for staleAfterMs.
 */
export class MarketMaker {
  readonly config: MarketMakingConfig;
  readonly market: MarketState;
  readonly counters: MarketMakerCounters = {
    framesIn: 0,
    badFrames: 0,
    ordersSent: 0,
    cancelsSent: 0,
    fills: 0,
    pulls: 0,
    keptQuotes: 0,
  };
  /** Position in the base asset (e8), from our fills. */
  position = 0n;
  /** Cash in the quote asset (e16 = e8 price x e8 quantity), from our fills, fees subtracted (fee e8 x 1e8). */
  cashE16 = 0n;
  fairValue = 0n;
  varianceE16 = 0n;
  /** Our resting quotes by order id. */
  readonly open = new Map<bigint, RestingQuote>();
  lastError: unknown;
  private readonly key: string;
  private readonly builder: FrameBuilder;
  private readonly emit: (frame: Uint8Array) => void;
  private nextOrderId: bigint;
  private lastEventTs = 0n;

  constructor(config: MarketMakingConfig, emit: (frame: Uint8Array) => void) {
    this.config = config;
    this.emit = emit;
    this.market = new MarketState(new TokenTable());
    this.key = config.instrument.toString();
    this.builder = new FrameBuilder({ domain: RelayDomain.Execution, source: SourceType.MarketMaker });
    this.nextOrderId = config.firstOrderId;
  }

  /** A market data frame. Never throws. */
  onMarketFrame(parser: FrameParser): void {
    this.counters.framesIn++;
    try {
      const u = this.market.apply(parser);
      this.lastEventTs = u.eventTsNs;
      for (const s of u.invalidated) if (s.key === this.key) this.pullAll(CancelReason.Invalidated);
      for (const b of u.books) if (b.key === this.key) this.requote(b);
    } catch (e) {
      this.counters.badFrames++;
      this.lastError = e;
    }
  }

  /** An execution relay frame: our fills and order statuses. Never throws. */
  onExecutionFrame(parser: FrameParser): void {
    this.counters.framesIn++;
    try {
      for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
        if (parser.tlvType === TlvType.Fill) this.applyFill(parser.readTlv() as unknown as Fill);
        else if (parser.tlvType === TlvType.OrderStatus) this.applyStatus(parser.readTlv() as unknown as OrderStatus);
      }
    } catch (e) {
      this.counters.badFrames++;
      this.lastError = e;
    }
  }

  /** Pulls every quote when the book is older than staleAfterMs at `now` (ns; the clock, or event time in tests). */
  checkStale(now: bigint): void {
    const b = this.market.books.get(this.key);
    if (this.open.size === 0) return;
    const limit = BigInt(this.config.staleAfterMs) * 1_000_000n;
    if (b === undefined || !b.valid || now - b.exchangeTsNs > limit) this.pullAll(CancelReason.Stale, now);
  }

  /** Cancels every resting quote (halt, shutdown, stale or invalidated data). */
  pullAll(reason: number, ts?: bigint): void {
    if (this.open.size === 0) return;
    this.counters.pulls++;
    for (const q of [...this.open.values()]) this.cancel(q, reason, ts);
  }

  private requote(b: CexBookState): void {
    const bid = b.book.bestBid;
    const ask = b.book.bestAsk;
    if (bid === undefined || ask === undefined) {
      this.pullAll(CancelReason.Invalidated);
      return;
    }
    const c = this.config;
    const fair =
      c.fairValue === "mid"
        ? (bid.price + ask.price) / 2n
        : (bid.price * ask.size + ask.price * bid.size) / (bid.size + ask.size);
    if (this.fairValue !== 0n) {
      const d = fair - this.fairValue;
      this.varianceE16 += (c.ewmaAlphaPpm * (d * d - this.varianceE16)) / 1_000_000n;
    }
    this.fairValue = fair;
    let half = (fair * c.minSpreadBps) / (2n * E4);
    const volHalf = (c.volMultiplierPct * isqrt(this.varianceE16)) / 100n;
    if (volHalf > half) half = volHalf;
    const skew = c.maxPositionE8 === 0n ? 0n : (fair * c.skewBpsAtMaxPosition * this.position) / (c.maxPositionE8 * E4);
    const tick = c.tickSizeE8;
    let bidPx = floorTo(fair - half - skew, tick);
    let askPx = ceilTo(fair + half - skew, tick);
    // post-only quotes must not cross the book
    if (bidPx >= ask.price) bidPx = floorTo(ask.price - tick, tick);
    if (askPx <= bid.price) askPx = ceilTo(bid.price + tick, tick);
    const bidQty = minBig(c.quoteSizeE8, c.maxPositionE8 - this.position);
    const askQty = minBig(c.quoteSizeE8, c.maxPositionE8 + this.position);
    this.placeSide(1, bidPx > 0n && bidQty > 0n ? bidPx : 0n, bidQty, fair);
    this.placeSide(2, askQty > 0n ? askPx : 0n, askQty, fair);
  }

  /** Keeps, replaces or removes our quote on one side; price 0 removes it. */
  private placeSide(side: 1 | 2, price: bigint, quantity: bigint, fair: bigint): void {
    let current: RestingQuote | undefined;
    for (const q of this.open.values()) if (q.side === side) current = q;
    if (current !== undefined) {
      const moved = absBig(current.price - price) * E4;
      if (price !== 0n && current.quantity === quantity && moved <= this.config.refreshThresholdBps * fair) {
        this.counters.keptQuotes++;
        return;
      }
      this.cancel(current, CancelReason.Requote);
    }
    if (price === 0n || this.open.size >= this.config.maxOpenOrders) return;
    const orderId = this.nextOrderId++;
    this.open.set(orderId, { orderId, side, price, quantity });
    this.counters.ordersSent++;
    this.emit(
      this.builder
        .begin(this.timestamp())
        .add("OrderRequest", {
          orderId,
          signalId: 0n,
          instrument: this.config.instrument,
          side,
          orderType: 3, // post-only
          timeInForce: 1, // GTC
          flags: this.config.paper ? 1 : 0,
          price,
          quantity,
          quantityNative: 0n,
          maxSlippageBps: 0,
          strategyId: this.config.strategyId,
          timestampNs: this.timestamp() ?? nowNs(),
        })
        .finish(),
    );
  }

  private cancel(q: RestingQuote, reason: number, ts?: bigint): void {
    this.open.delete(q.orderId);
    this.counters.cancelsSent++;
    const t = ts ?? this.timestamp();
    this.emit(
      this.builder
        .begin(t)
        .add("OrderCancel", { orderId: q.orderId, reason, timestampNs: t ?? nowNs() })
        .finish(),
    );
  }

  private applyFill(f: Fill): void {
    if (!f.instrument.equals(this.config.instrument)) return;
    const q = this.open.get(f.orderId);
    if (f.orderId < this.config.firstOrderId || f.orderId >= this.nextOrderId) return; // not one of ours
    this.counters.fills++;
    const signed = f.side === 1 ? f.quantity : -f.quantity;
    this.position += signed;
    this.cashE16 -= signed * f.price + f.fee * 100_000_000n;
    if (q !== undefined) {
      q.quantity -= f.quantity;
      if (q.quantity <= 0n) this.open.delete(f.orderId);
    }
  }

  private applyStatus(s: OrderStatus): void {
    if (STATUS_DONE.has(s.status)) this.open.delete(s.orderId);
  }

  /** Event time in deterministic mode, else undefined (the builder reads the clock). */
  private timestamp(): bigint | undefined {
    return this.config.deterministic ? this.lastEventTs : undefined;
  }
}

function floorTo(x: bigint, tick: bigint): bigint {
  const r = x % tick;
  return r < 0n ? x - r - tick : x - r;
}
function ceilTo(x: bigint, tick: bigint): bigint {
  const f = floorTo(x, tick);
  return f === x ? x : f + tick;
}
function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
function absBig(a: bigint): bigint {
  return a < 0n ? -a : a;
}
