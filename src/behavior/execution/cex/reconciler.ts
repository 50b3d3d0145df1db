import type { ConsolaInstance } from "consola";
import { nowNs } from "../../../core/time.ts";
import { FrameBuilder } from "../../../rules/builder.ts";
import { OrderStatusCode, RejectReason } from "../engine.ts";
import { CexError, OutcomeUnknownError, RetrySafeError } from "./errors.ts";
import type { CexExecutionClient, CexOrder, VenueFill, VenueOrder } from "./types.ts";

/** One order as we sent it and as far as we know the venue's view of it. */
export interface TrackedOrder {
  readonly order: CexOrder;
  readonly client: CexExecutionClient;
  /** venue_order_id of our frames: counts orders the venue accepted, from 1 (as the paper engine does). */
  localId: bigint;
  venueOrderId: string | undefined;
  /** sending -> open -> done; sending -> unknown (answer lost) -> open | done. */
  state: "sending" | "unknown" | "open" | "done";
  /** Wall clock (ms) when the placement was sent: after client.placementFinalAfterMs(sentMs), "not found" is final. */
  sentMs: number;
  filled: bigint;
  /** sum(price x qty) of the fills, e16. */
  valueE16: bigint;
  readonly tradeIds: Set<string>;
  lastStatus: number;
  lastReportedFilled: bigint;
}

export interface CexReconcilerCounters {
  submitted: number;
  accepted: number;
  rejected: number;
  retries: number;
  outcomeUnknown: number;
  resolvedByQuery: number;
  fills: number;
  polls: number;
  queryErrors: number;
}

export interface CexReconcilerOptions {
  clients: Partial<Record<"kraken" | "binance", CexExecutionClient>>;
  /** Receives each OrderStatus / Fill frame (a view valid during the call: copy to keep). */
  publish: (frame: Uint8Array) => void;
  /** Called for each new fill before its frame is published (positions, audit). */
  onFill?: (order: CexOrder, fill: VenueFill) => void;
  /** How many times a retry-safe failure of a placement is sent again. Default 2. */
  maxRetries?: number;
  clock?: () => bigint;
  log?: ConsolaInstance;
}

const ZERO_HASH = `0x${"0".repeat(64)}` as const;
const LIQUIDITY = { maker: 1, taker: 2 } as const;

/**
 * Our orders against the venue's view. Placement answers, queries and fill lists are folded into the same
 * OrderStatus / Fill sequence the paper engine publishes (docs/execution.md): 1 accepted, a Fill per venue trade
 * (idempotent by trade id, whatever the polls repeat), then 3 partially filled, 4 filled, 5 cancelled or 6 expired;
 * 2 rejected with reason 5 (venue refused) or 6 (the answer was lost and the venue never took the order).
 *
 * A placement whose answer was lost (OutcomeUnknownError) is never sent again: it is looked up by our client id
 * (Binance origClientOrderId, Kraken userref) until the venue shows it, or until the venue can no longer accept it
 * (Kraken deadline, Binance recvWindow) and says it has none: only then is it reported as not placed.
 */
export class CexReconciler {
  readonly orders = new Map<bigint, TrackedOrder>();
  readonly counters: CexReconcilerCounters = {
    submitted: 0,
    accepted: 0,
    rejected: 0,
    retries: 0,
    outcomeUnknown: 0,
    resolvedByQuery: 0,
    fills: 0,
    polls: 0,
    queryErrors: 0,
  };
  private readonly builder = new FrameBuilder({ domain: 3, source: 42 });
  private readonly clock: () => bigint;
  private nextLocalId = 1n;
  private nextFillId = 1n;
  private polling = false;

  constructor(private readonly options: CexReconcilerOptions) {
    this.clock = options.clock ?? nowNs;
  }

  /** Sends the order and reconciles its first answer. Resolves once its state is known or parked as unknown. */
  async submit(order: CexOrder): Promise<TrackedOrder> {
    const venue = order.instrument.venue === 101 ? "kraken" : "binance";
    const client = this.options.clients[venue];
    const t: TrackedOrder = {
      order,
      client: client!,
      localId: 0n,
      venueOrderId: undefined,
      state: "sending",
      sentMs: Date.now(),
      filled: 0n,
      valueE16: 0n,
      tradeIds: new Set(),
      lastStatus: 0,
      lastReportedFilled: 0n,
    };
    this.counters.submitted++;
    if (this.orders.has(order.orderId) || client === undefined) {
      this.reject(t, RejectReason.VenueRejected, client === undefined ? `no ${venue} client` : "duplicate order id");
      return t;
    }
    this.orders.set(order.orderId, t);
    for (let attempt = 0; ; attempt++) {
      t.sentMs = Date.now();
      try {
        const v = await client.placeOrder(order);
        this.accept(t, v);
        await this.sync(t);
        return t;
      } catch (e) {
        if (e instanceof RetrySafeError && attempt < (this.options.maxRetries ?? 2)) {
          this.counters.retries++;
          this.options.log?.warn(`order ${order.orderId}: ${e.code} (${e.venueError ?? ""}), sending again`);
          if (e.retryAfterMs > 0) await new Promise((r) => setTimeout(r, e.retryAfterMs));
          continue;
        }
        if (e instanceof OutcomeUnknownError) {
          t.state = "unknown";
          this.counters.outcomeUnknown++;
          this.options.log?.warn(`order ${order.orderId}: outcome unknown (${e.message}); resolving by query`);
          await this.resolveUnknown(t);
          return t;
        }
        const why = e instanceof CexError ? `${e.venueError ?? e.message}` : String(e);
        this.options.log?.warn(`order ${order.orderId} rejected: ${why}`);
        this.reject(t, RejectReason.VenueRejected, why);
        return t;
      }
    }
  }

  /** Asks the venue to cancel; the resulting state arrives through the next sync. */
  async cancel(orderId: bigint): Promise<void> {
    const t = this.orders.get(orderId);
    if (t === undefined || t.state === "done") return;
    await t.client.cancelOrder({ orderId, symbol: t.order.symbol, venueOrderId: t.venueOrderId });
    if (t.state === "open") await this.sync(t);
  }

  /** One pass over every order not done: unknown ones are looked up, open ones synced. Never overlaps itself. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    this.counters.polls++;
    try {
      for (const t of [...this.orders.values()]) {
        try {
          if (t.state === "unknown") await this.resolveUnknown(t);
          else if (t.state === "open") await this.sync(t);
        } catch (e) {
          this.counters.queryErrors++;
          this.options.log?.warn(`order ${t.order.orderId}: ${e instanceof CexError ? e.toLine() : String(e)}`);
        }
      }
    } finally {
      this.polling = false;
    }
  }

  /** Counters and open orders, safe for status output (no keys, no request text). */
  stats(): Record<string, number> {
    let open = 0;
    let unknown = 0;
    for (const t of this.orders.values()) {
      if (t.state === "open") open++;
      if (t.state === "unknown") unknown++;
    }
    return { ...this.counters, open_orders: open, outcome_unknown_open: unknown };
  }

  private async resolveUnknown(t: TrackedOrder): Promise<void> {
    let v: VenueOrder | undefined;
    try {
      v = await t.client.queryOrder({ orderId: t.order.orderId, symbol: t.order.symbol });
    } catch (e) {
      this.counters.queryErrors++;
      this.options.log?.warn(`order ${t.order.orderId}: lookup failed (${e instanceof CexError ? e.code : String(e)})`);
      return; // still unknown: the next poll asks again
    }
    if (v !== undefined) {
      this.counters.resolvedByQuery++;
      this.accept(t, v);
      await this.sync(t);
      return;
    }
    if (Date.now() > t.client.placementFinalAfterMs(t.sentMs)) {
      this.counters.resolvedByQuery++;
      this.reject(t, RejectReason.Timeout, "the venue never took the order (its deadline passed)");
    }
  }

  private accept(t: TrackedOrder, v: VenueOrder): void {
    t.venueOrderId = v.venueOrderId;
    t.state = "open";
    t.localId = this.nextLocalId++;
    this.counters.accepted++;
    this.emitStatus(t, OrderStatusCode.Accepted, RejectReason.None);
  }

  /** The venue's order and its fills -> new Fill frames, then the status they lead to. */
  private async sync(t: TrackedOrder): Promise<void> {
    const ref = { orderId: t.order.orderId, symbol: t.order.symbol, venueOrderId: t.venueOrderId! };
    const v = await t.client.queryOrder(ref);
    if (v === undefined) return;
    if (v.filledE8 > t.filled) {
      for (const f of await t.client.queryFills(ref)) {
        if (t.tradeIds.has(f.tradeId)) continue;
        t.tradeIds.add(f.tradeId);
        this.applyFill(t, f);
      }
    }
    // fills not listed yet (the venue's trade list lags its order record): the next poll finishes the order
    if (t.filled < v.filledE8) return;
    const o = t.order;
    let status: number;
    if (v.state === "filled" && t.filled === o.quantityE8) status = OrderStatusCode.Filled;
    else if (v.state === "cancelled") status = OrderStatusCode.Cancelled;
    else if (v.state === "expired")
      status = o.timeInForce === "fok" ? OrderStatusCode.Expired : OrderStatusCode.Cancelled;
    else if (v.state === "rejected") status = OrderStatusCode.Rejected;
    else status = t.filled > 0n ? OrderStatusCode.PartiallyFilled : OrderStatusCode.Accepted;
    if (status === t.lastStatus && t.filled === t.lastReportedFilled) return;
    if (status === OrderStatusCode.Accepted) return;
    if (status !== OrderStatusCode.PartiallyFilled) t.state = "done";
    this.emitStatus(t, status, RejectReason.None);
  }

  private applyFill(t: TrackedOrder, f: VenueFill): void {
    const o = t.order;
    t.filled += f.quantityE8;
    t.valueE16 += f.priceE8 * f.quantityE8;
    this.counters.fills++;
    this.options.onFill?.(o, f);
    const now = this.clock();
    this.options.publish(
      this.builder
        .begin(now)
        .add("Fill", {
          orderId: o.orderId,
          fillId: this.nextFillId++,
          instrument: o.instrument,
          side: o.side === "buy" ? 1 : 2,
          liquidity: LIQUIDITY[f.liquidity],
          price: f.priceE8,
          quantity: f.quantityE8,
          fee: f.feeE8,
          quantityNative: 0n,
          txHash: ZERO_HASH,
          timestampNs: now,
        })
        .finish(),
    );
  }

  private reject(t: TrackedOrder, reason: number, why: string): void {
    t.state = "done";
    this.counters.rejected++;
    this.options.log?.info(`order ${t.order.orderId}: rejected (${why})`);
    this.emitStatus(t, OrderStatusCode.Rejected, reason);
  }

  private emitStatus(t: TrackedOrder, status: number, reason: number): void {
    t.lastStatus = status;
    t.lastReportedFilled = t.filled;
    const now = this.clock();
    this.options.publish(
      this.builder
        .begin(now)
        .add("OrderStatus", {
          orderId: t.order.orderId,
          venueOrderId: t.localId,
          status,
          reason,
          filledQuantity: t.filled,
          averagePrice: t.filled === 0n ? 0n : t.valueE16 / t.filled,
          timestampNs: now,
        })
        .finish(),
    );
  }
}
