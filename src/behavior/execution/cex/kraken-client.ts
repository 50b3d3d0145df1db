import type { ConsolaInstance } from "consola";
import { formatDecimal, parseDecimal } from "../../../core/fixed-point.ts";
import { nowNs } from "../../../core/time.ts";
import type { CexCredentials } from "./credentials.ts";
import { type CexError, OutcomeUnknownError, RetrySafeError, VenueRejectedError } from "./errors.ts";
import { venueFetch } from "./http.ts";
import { krakenSignature } from "./kraken-sign.ts";
import { DecayingCounter } from "./rate-limit.ts";
import type { CexExecutionClient, CexOrder, OrderRef, VenueFill, VenueOrder, VenueOrderState } from "./types.ts";

export interface KrakenClientOptions {
  /** https://api.kraken.com, or a replay venue's restUrl. */
  baseUrl: string;
  credentials: CexCredentials;
  timeoutMs?: number;
  /** API counter (every private call but AddOrder/CancelOrder): Starter tier max 15, decay 0.33/s. */
  apiCounter?: { max: number; decayMilliPerSecond: number };
  /** Trading counter per pair (AddOrder, CancelOrder): Starter tier max 60, decay 1/s. */
  tradingCounter?: { max: number; decayMilliPerSecond: number };
  /** AddOrder `deadline`: the venue refuses the order if it arrives later than this after sending (2-60 s). */
  deadlineMs?: number;
  log?: ConsolaInstance;
}

/** Kraken spot REST private API: AddOrder, CancelOrder, QueryOrders, OpenOrders, ClosedOrders, QueryTrades. */
export class KrakenExecutionClient implements CexExecutionClient {
  readonly venue = "kraken" as const;
  private readonly baseUrl: string;
  private readonly credentials: CexCredentials;
  private readonly timeoutMs: number;
  private readonly deadlineMs: number;
  private readonly api: DecayingCounter;
  private readonly tradingLimit: { max: number; decayMilliPerSecond: number };
  private readonly trading = new Map<string, DecayingCounter>();
  private readonly log: ConsolaInstance | undefined;
  private lastNonce = 0n;

  constructor(options: KrakenClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.deadlineMs = options.deadlineMs ?? 10_000;
    const a = options.apiCounter ?? { max: 15, decayMilliPerSecond: 330 };
    this.api = new DecayingCounter(a.max, a.decayMilliPerSecond);
    this.tradingLimit = options.tradingCounter ?? { max: 60, decayMilliPerSecond: 1000 };
    this.log = options.log;
  }

  /** Strictly increasing u64 per key (docs): wall-clock microseconds, bumped when two calls share one. */
  private nonce(): string {
    const t = BigInt(Date.now()) * 1000n;
    this.lastNonce = t > this.lastNonce ? t : this.lastNonce + 1n;
    return this.lastNonce.toString();
  }

  private tradingCounter(pair: string): DecayingCounter {
    let c = this.trading.get(pair);
    if (c === undefined) {
      c = new DecayingCounter(this.tradingLimit.max, this.tradingLimit.decayMilliPerSecond);
      this.trading.set(pair, c);
    }
    return c;
  }

  /**
   * One signed POST. The nonce is taken after the rate-limit wait, so calls that waited still reach the venue in
   * nonce order when they run one at a time per key; Kraken refuses a nonce below the last one seen (EAPI:Invalid
   * nonce, retry-safe).
   */
  private async call(
    method: string,
    params: [string, string][],
    limit: { counter: DecayingCounter; cost: number },
    changesState: boolean,
  ): Promise<Record<string, unknown>> {
    const release = await limit.counter.acquire(limit.cost);
    try {
      const nonce = this.nonce();
      const postData = new URLSearchParams([["nonce", nonce], ...params]).toString();
      const uriPath = `/0/private/${method}`;
      const sign = krakenSignature({ uriPath, nonce, postData, secret: this.credentials.secretBytes() });
      const answer = await venueFetch({
        venue: "kraken",
        url: this.baseUrl + uriPath,
        call: method,
        changesState,
        timeoutMs: this.timeoutMs,
        init: {
          method: "POST",
          headers: {
            "API-Key": this.credentials.apiKey(),
            "API-Sign": sign,
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "User-Agent": "ap",
          },
          body: postData,
        },
      });
      const body = answer.body as { error?: string[]; result?: Record<string, unknown> };
      const errors = body.error ?? [];
      if (errors.length > 0) throw krakenError(method, errors, answer.status, changesState);
      if (answer.status >= 500) {
        throw krakenError(method, [`EService:HTTP ${answer.status}`], answer.status, changesState);
      }
      return body.result ?? {};
    } finally {
      release();
    }
  }

  async placeOrder(o: CexOrder): Promise<VenueOrder> {
    if (o.timeInForce === "fok") {
      throw new VenueRejectedError({
        code: "UnsupportedOrder",
        message: "Kraken spot has no fill-or-kill time in force",
        venue: "kraken",
        facts: { order_id: o.orderId },
      });
    }
    const pair = krakenPair(o.symbol);
    const params: [string, string][] = [
      ["ordertype", o.type],
      ["type", o.side],
      ["volume", formatDecimal(o.quantityE8, 8, true)],
      ["pair", pair],
      ["userref", String(krakenUserref(o.orderId))],
    ];
    if (o.type === "limit") params.push(["price", formatDecimal(o.priceE8, 8, true)]);
    if (o.timeInForce === "ioc") params.push(["timeinforce", "IOC"]);
    if (o.postOnly) params.push(["oflags", "post"]);
    params.push(["deadline", rfc3339Seconds(Date.now() + this.deadlineMs)]);
    const result = await this.call("AddOrder", params, { counter: this.tradingCounter(pair), cost: 1 }, true);
    const txid = (result.txid as string[] | undefined)?.[0];
    if (txid === undefined) {
      throw new OutcomeUnknownError({
        code: "OutcomeUnknown",
        message: "kraken AddOrder: answer without txid",
        venue: "kraken",
        hint: "query the order by userref",
      });
    }
    this.log?.debug(`AddOrder ${o.orderId} -> ${txid}`);
    return { venueOrderId: txid, orderId: o.orderId, state: "open", quantityE8: o.quantityE8, filledE8: 0n };
  }

  async cancelOrder(ref: OrderRef): Promise<void> {
    const pair = krakenPair(ref.symbol);
    const txid = ref.venueOrderId ?? String(krakenUserref(ref.orderId));
    try {
      // CancelOrder's cost on the trading counter depends on the order's age (up to +8); 8 is the safe bound.
      await this.call("CancelOrder", [["txid", txid]], { counter: this.tradingCounter(pair), cost: 8 }, true);
    } catch (e) {
      if (e instanceof VenueRejectedError && e.venueError === "EOrder:Unknown order") return;
      throw e;
    }
  }

  async queryOrder(ref: OrderRef): Promise<VenueOrder | undefined> {
    const api = { counter: this.api, cost: 1 };
    if (ref.venueOrderId !== undefined) {
      try {
        const r = await this.call("QueryOrders", [["txid", ref.venueOrderId]], api, false);
        const info = r[ref.venueOrderId] as KrakenOrderInfo | undefined;
        return info === undefined ? undefined : toVenueOrder(ref.venueOrderId, ref.orderId, info);
      } catch (e) {
        if (e instanceof VenueRejectedError && e.venueError === "EOrder:Invalid order") return undefined;
        throw e;
      }
    }
    const userref = String(krakenUserref(ref.orderId));
    const open = await this.call("OpenOrders", [["userref", userref]], api, false);
    const closed = await this.call("ClosedOrders", [["userref", userref]], api, false);
    const found = {
      ...((open.open ?? {}) as Record<string, KrakenOrderInfo>),
      ...((closed.closed ?? {}) as Record<string, KrakenOrderInfo>),
    };
    const txids = Object.keys(found);
    if (txids.length === 0) return undefined;
    if (txids.length > 1) {
      throw new VenueRejectedError({
        code: "AmbiguousUserref",
        message: "kraken: several orders carry this userref",
        venue: "kraken",
        facts: { order_id: ref.orderId, userref, orders: txids.length },
        hint: "userref is our order id modulo 2^31: order ids this far apart collide",
      });
    }
    return toVenueOrder(txids[0], ref.orderId, found[txids[0]]);
  }

  async queryFills(ref: OrderRef & { venueOrderId: string }): Promise<VenueFill[]> {
    const r = await this.call(
      "QueryOrders",
      [
        ["txid", ref.venueOrderId],
        ["trades", "true"],
      ],
      { counter: this.api, cost: 1 },
      false,
    );
    const info = r[ref.venueOrderId] as KrakenOrderInfo | undefined;
    const ids = info?.trades ?? [];
    const fills: VenueFill[] = [];
    for (let i = 0; i < ids.length; i += 20) {
      const batch = ids.slice(i, i + 20);
      const t = await this.call("QueryTrades", [["txid", batch.join(",")]], { counter: this.api, cost: 2 }, false);
      for (const id of batch) {
        const x = t[id] as KrakenTradeInfo | undefined;
        if (x === undefined) continue;
        fills.push({
          tradeId: id,
          venueOrderId: x.ordertxid,
          priceE8: parseDecimal(x.price, 8),
          quantityE8: parseDecimal(x.vol, 8),
          feeE8: ceilE8(x.fee),
          liquidity: x.maker === true ? "maker" : "taker",
          timestampNs: nowNs(),
        });
      }
    }
    return fills;
  }

  placementFinalAfterMs(sentMs: number): number {
    return sentMs + this.deadlineMs + 1000;
  }
}

interface KrakenOrderInfo {
  status: string;
  userref?: number;
  vol: string;
  vol_exec: string;
  trades?: string[];
}

interface KrakenTradeInfo {
  ordertxid: string;
  price: string;
  vol: string;
  fee: string;
  maker?: boolean;
}

function toVenueOrder(txid: string, orderId: bigint, info: KrakenOrderInfo): VenueOrder {
  const quantityE8 = parseDecimal(info.vol, 8);
  const filledE8 = parseDecimal(info.vol_exec, 8);
  const map: Record<string, VenueOrderState> = {
    pending: "pending",
    open: "open",
    closed: "filled",
    canceled: "cancelled",
    expired: "expired",
  };
  let state = map[info.status] ?? "open";
  // A market order's unfilled rest is cancelled by the venue; "closed" with less than the volume is that.
  if (state === "filled" && filledE8 < quantityE8) state = "cancelled";
  return { venueOrderId: txid, orderId, state, quantityE8, filledE8 };
}

/** Kraken's REST pair name from the WebSocket name: "XBT/USD" -> "XBTUSD". */
export function krakenPair(symbol: string): string {
  return symbol.replace("/", "");
}

/** userref is a signed 32-bit integer: our order id modulo 2^31 (positive). */
export function krakenUserref(orderId: bigint): number {
  return Number(orderId & 0x7fff_ffffn);
}

function rfc3339Seconds(ms: number): string {
  return new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** A fee text with more than 8 decimals, rounded up to e8 (fees are never rounded in our favour). */
function ceilE8(text: string): bigint {
  const e18 = parseDecimal(text, 18);
  return (e18 + 9_999_999_999n) / 10_000_000_000n;
}

/**
 * Kraken errors (docs "Spot REST API errors"): rate limits, nonce and lockouts mean the request was not acted on;
 * EService:* and EGeneral:Internal error on AddOrder/CancelOrder leave the outcome unknown; the rest are refusals.
 */
function krakenError(method: string, errors: string[], status: number, changesState: boolean): CexError {
  const first = errors[0];
  const params = {
    venue: "kraken",
    venueError: first,
    httpStatus: status,
    facts: { call: method, errors: errors.join("; ") },
  };
  if (
    first === "EAPI:Rate limit exceeded" ||
    first === "EOrder:Rate limit exceeded" ||
    first === "EAPI:Invalid nonce" ||
    first === "EGeneral:Temporary lockout"
  ) {
    return new RetrySafeError({ ...params, code: "VenueRetrySafe", message: `kraken ${method}: ${first}` });
  }
  if (first.startsWith("EService:") || first === "EGeneral:Internal error") {
    if (changesState) {
      return new OutcomeUnknownError({
        ...params,
        code: "OutcomeUnknown",
        message: `kraken ${method}: ${first}`,
        hint: "do not resend: query the order by userref",
      });
    }
    return new RetrySafeError({ ...params, code: "VenueRetrySafe", message: `kraken ${method}: ${first}` });
  }
  return new VenueRejectedError({ ...params, code: "VenueRejected", message: `kraken ${method}: ${first}` });
}
