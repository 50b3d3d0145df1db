import type { ConsolaInstance } from "consola";
import { formatDecimal, parseDecimal } from "../../../core/fixed-point.ts";
import { nowNs } from "../../../core/time.ts";
import { binanceSignature } from "./binance-sign.ts";
import type { CexCredentials } from "./credentials.ts";
import { type CexError, OutcomeUnknownError, RetrySafeError, VenueRejectedError } from "./errors.ts";
import { venueFetch } from "./http.ts";
import { SlidingWindow } from "./rate-limit.ts";
import type { CexExecutionClient, CexOrder, OrderRef, VenueFill, VenueOrder, VenueOrderState } from "./types.ts";

export interface BinanceClientOptions {
  /** https://api.binance.com, or a replay venue's restUrl. */
  baseUrl: string;
  credentials: CexCredentials;
  timeoutMs?: number;
  /** recvWindow sent with every signed request (docs: default 5000, max 60000). */
  recvWindowMs?: number;
  /** exchangeInfo rateLimits ORDERS (spot: 100 per 10 s; the daily limit is left to the venue's answer). */
  orderLimit?: { limit: number; windowMs: number };
  /** exchangeInfo rateLimits REQUEST_WEIGHT (spot: 6000 per minute). */
  weightLimit?: { limit: number; windowMs: number };
  /** Wall clock in ms for `timestamp` (a test or a server-time offset may shift it). */
  clockMs?: () => number;
  log?: ConsolaInstance;
}

/** Request weights of the spot endpoints used (docs, per endpoint). */
const WEIGHT = { newOrder: 1, cancel: 1, queryOrder: 4, myTrades: 20 } as const;

/** Binance spot REST SIGNED endpoints: POST/DELETE/GET /api/v3/order, GET /api/v3/myTrades. */
export class BinanceExecutionClient implements CexExecutionClient {
  readonly venue = "binance" as const;
  private readonly baseUrl: string;
  private readonly credentials: CexCredentials;
  private readonly timeoutMs: number;
  private readonly recvWindowMs: number;
  private readonly orders: SlidingWindow;
  private readonly weight: SlidingWindow;
  private readonly clockMs: () => number;
  private readonly log: ConsolaInstance | undefined;

  constructor(options: BinanceClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.credentials = options.credentials;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.recvWindowMs = options.recvWindowMs ?? 5_000;
    const o = options.orderLimit ?? { limit: 100, windowMs: 10_000 };
    const w = options.weightLimit ?? { limit: 6_000, windowMs: 60_000 };
    this.orders = new SlidingWindow(o.limit, o.windowMs);
    this.weight = new SlidingWindow(w.limit, w.windowMs);
    this.clockMs = options.clockMs ?? Date.now;
    this.log = options.log;
  }

  /**
   * One SIGNED request, every parameter in the query string (docs example 1): the signature is the HMAC of that
   * exact text, appended as the last parameter.
   */
  private async signed(
    method: "GET" | "POST" | "DELETE",
    path: string,
    params: [string, string][],
    weight: number,
  ): Promise<unknown> {
    const isOrder = method === "POST";
    const releaseWeight = await this.weight.acquire(weight);
    const releaseOrder = isOrder ? await this.orders.acquire(1) : undefined;
    const call = `${method} ${path}`;
    try {
      const totalParams = new URLSearchParams([
        ...params,
        ["recvWindow", String(this.recvWindowMs)],
        ["timestamp", String(this.clockMs())],
      ]).toString();
      const signature = binanceSignature({ totalParams, secret: this.credentials.secretBytes() });
      const answer = await venueFetch({
        venue: "binance",
        url: `${this.baseUrl}${path}?${totalParams}&signature=${signature}`,
        call,
        changesState: method !== "GET",
        timeoutMs: this.timeoutMs,
        init: { method, headers: { "X-MBX-APIKEY": this.credentials.apiKey() } },
      });
      const body = answer.body as { code?: number; msg?: string };
      if (answer.status >= 400 || (typeof body.code === "number" && body.code < 0)) {
        throw binanceError(call, answer.status, body, answer.headers, method !== "GET");
      }
      return answer.body;
    } finally {
      releaseOrder?.();
      releaseWeight();
    }
  }

  async placeOrder(o: CexOrder): Promise<VenueOrder> {
    const params: [string, string][] = [
      ["symbol", o.symbol],
      ["side", o.side === "buy" ? "BUY" : "SELL"],
      ["type", o.type === "market" ? "MARKET" : o.postOnly ? "LIMIT_MAKER" : "LIMIT"],
    ];
    if (o.type === "limit" && !o.postOnly) params.push(["timeInForce", o.timeInForce.toUpperCase()]);
    params.push(["quantity", formatDecimal(o.quantityE8, 8, true)]);
    if (o.type === "limit") params.push(["price", formatDecimal(o.priceE8, 8, true)]);
    params.push(["newClientOrderId", binanceClientOrderId(o.orderId)], ["newOrderRespType", "RESULT"]);
    const r = (await this.signed("POST", "/api/v3/order", params, WEIGHT.newOrder)) as BinanceOrderInfo;
    this.log?.debug(`order ${o.orderId} -> ${r.orderId}`);
    return toVenueOrder(r, o.orderId);
  }

  async cancelOrder(ref: OrderRef): Promise<void> {
    try {
      await this.signed("DELETE", "/api/v3/order", [["symbol", ref.symbol], idParam(ref)], WEIGHT.cancel);
    } catch (e) {
      // -2011 Unknown order sent: already filled, cancelled or expired; the next query tells which.
      if (e instanceof VenueRejectedError && e.venueError?.startsWith("-2011")) return;
      throw e;
    }
  }

  async queryOrder(ref: OrderRef): Promise<VenueOrder | undefined> {
    try {
      const r = await this.signed("GET", "/api/v3/order", [["symbol", ref.symbol], idParam(ref)], WEIGHT.queryOrder);
      return toVenueOrder(r as BinanceOrderInfo, ref.orderId);
    } catch (e) {
      if (e instanceof VenueRejectedError && e.venueError?.startsWith("-2013")) return undefined;
      throw e;
    }
  }

  async queryFills(ref: OrderRef & { venueOrderId: string }): Promise<VenueFill[]> {
    const rows = (await this.signed(
      "GET",
      "/api/v3/myTrades",
      [
        ["symbol", ref.symbol],
        ["orderId", ref.venueOrderId],
      ],
      WEIGHT.myTrades,
    )) as unknown as BinanceTrade[];
    return rows.map((t) => {
      const priceE8 = parseDecimal(t.price, 8);
      const commission = parseDecimal(t.commission, 8);
      // commission in the base asset (a buy's received asset) is valued at the fill price, rounded up
      const isBase = t.commissionAsset !== "" && ref.symbol.startsWith(t.commissionAsset);
      const feeE8 = isBase ? (commission * priceE8 + 99_999_999n) / 100_000_000n : commission;
      return {
        tradeId: String(t.id),
        venueOrderId: String(t.orderId),
        priceE8,
        quantityE8: parseDecimal(t.qty, 8),
        feeE8,
        liquidity: t.isMaker ? "maker" : "taker",
        timestampNs: nowNs(),
      };
    });
  }

  placementFinalAfterMs(sentMs: number): number {
    // the venue refuses a request received more than recvWindow after its timestamp
    return sentMs + this.recvWindowMs + 1000;
  }
}

interface BinanceOrderInfo {
  orderId: number;
  clientOrderId: string;
  origQty: string;
  executedQty: string;
  status: string;
}

interface BinanceTrade {
  id: number;
  orderId: number;
  price: string;
  qty: string;
  commission: string;
  commissionAsset: string;
  isMaker: boolean;
}

/** newClientOrderId / origClientOrderId for our order id (docs: ^[a-zA-Z0-9-_]{1,36}$). */
export function binanceClientOrderId(orderId: bigint): string {
  return `ap-${orderId}`;
}

function idParam(ref: OrderRef): [string, string] {
  return ref.venueOrderId !== undefined
    ? ["orderId", ref.venueOrderId]
    : ["origClientOrderId", binanceClientOrderId(ref.orderId)];
}

function toVenueOrder(r: BinanceOrderInfo, orderId: bigint): VenueOrder {
  const map: Record<string, VenueOrderState> = {
    NEW: "open",
    PARTIALLY_FILLED: "open",
    PENDING_NEW: "pending",
    PENDING_CANCEL: "open",
    FILLED: "filled",
    CANCELED: "cancelled",
    EXPIRED: "expired",
    EXPIRED_IN_MATCH: "expired",
    REJECTED: "rejected",
  };
  return {
    venueOrderId: String(r.orderId),
    orderId,
    state: map[r.status] ?? "open",
    quantityE8: parseDecimal(r.origQty, 8),
    filledE8: parseDecimal(r.executedQty, 8),
  };
}

/**
 * Binance answers (docs "Error codes", "LIMITS"): 429/418 and -1015 (rate limits) and -1021 (timestamp outside
 * recvWindow) were not acted on; 5xx and -1007 (backend timeout) on a state-changing call are "execution status
 * unknown" in the docs' own words; everything else is a refusal.
 */
function binanceError(
  call: string,
  status: number,
  body: { code?: number; msg?: string },
  headers: Headers,
  changesState: boolean,
): CexError {
  const venueError = `${body.code ?? status} ${body.msg ?? ""}`.trim();
  const params = { venue: "binance", venueError, httpStatus: status, facts: { call } };
  const retryAfter = Number(headers.get("Retry-After") ?? 0);
  if (status === 429 || status === 418 || body.code === -1015 || body.code === -1021) {
    return new RetrySafeError({
      ...params,
      code: "VenueRetrySafe",
      message: `binance ${call}: ${venueError}`,
      retryAfterMs: Number.isInteger(retryAfter) ? retryAfter * 1000 : 0,
    });
  }
  if (status >= 500 || body.code === -1007) {
    if (!changesState) {
      return new RetrySafeError({ ...params, code: "VenueRetrySafe", message: `binance ${call}: ${venueError}` });
    }
    return new OutcomeUnknownError({
      ...params,
      code: "OutcomeUnknown",
      message: `binance ${call}: ${venueError}`,
      hint: "do not resend: query by origClientOrderId",
    });
  }
  return new VenueRejectedError({ ...params, code: "VenueRejected", message: `binance ${call}: ${venueError}` });
}
