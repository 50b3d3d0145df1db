import { createHmac, timingSafeEqual } from "node:crypto";
import { parseDecimal } from "../../core/fixed-point.ts";
import { type BookLevel, E18, ReplayMatcher, type ReplayOrder, venueText } from "./kraken-orders.ts";

export interface BinanceOrderDeskOptions {
  /** The test key pair the desk accepts (X-MBX-APIKEY and the HMAC secret text). */
  apiKey: string;
  secret: string;
  /** ORDERS rate limit, sliding window (spot: 100 per 10 s). */
  orderLimit?: { limit: number; windowMs: number };
  takerFeeBps?: number;
  makerFeeBps?: number;
}

/** The replay venue's reference book of a symbol: price text -> quantity text, valid once synchronised. */
export interface ReplayedBook {
  bids: Map<string, string>;
  asks: Map<string, string>;
  valid: boolean;
  /** The capture's recorded REST snapshot text. */
  recorded?: string;
}

export interface BinanceDeskRequest {
  method: string;
  path: string;
  /** Arrival, monotonic microseconds. */
  atUs: bigint;
  error?: string;
}

const WEIGHTS: Record<string, number> = {
  "POST /api/v3/order": 1,
  "DELETE /api/v3/order": 1,
  "GET /api/v3/order": 4,
  "GET /api/v3/openOrders": 6,
  "GET /api/v3/myTrades": 20,
};

/**
 * Binance spot's SIGNED order endpoints for the replay venue: POST/DELETE/GET /api/v3/order, GET /api/v3/openOrders,
 * GET /api/v3/myTrades. Checked as Binance checks (X-MBX-APIKEY; HMAC-SHA256 of the query string + body recomputed
 * with node:crypto; timestamp within recvWindow: `timestamp < serverTime + 1000 && serverTime - timestamp <=
 * recvWindow`; the ORDERS limit) and answered in Binance's shapes ({"code":-1022,"msg":...} with its HTTP status).
 * Orders match against the venue's own reference book (the one its derived depth snapshots come from).
 */
export class BinanceOrderDesk {
  readonly matcher: ReplayMatcher;
  readonly requests: BinanceDeskRequest[] = [];
  /** Arrival times (us) of accepted new orders: what the ORDERS limit counts. */
  readonly orderTimesUs: bigint[] = [];
  placed = 0;
  private readonly secret: Buffer;
  private nextOrderId = 1;
  private readonly clientIds = new Map<string, string>();
  private holds = 0;
  private held: (() => void)[] = [];

  constructor(
    private readonly options: BinanceOrderDeskOptions,
    private readonly bookOf: (symbol: string) => ReplayedBook | undefined,
  ) {
    this.secret = Buffer.from(options.secret, "utf8");
    this.matcher = new ReplayMatcher(
      { takerBps: options.takerFeeBps ?? 10, makerBps: options.makerFeeBps ?? 10 },
      (n) => String(n),
    );
  }

  handles(path: string): boolean {
    return path === "/api/v3/order" || path === "/api/v3/openOrders" || path === "/api/v3/myTrades";
  }

  /** A played event of `symbol` (after the venue applied it to its reference book). */
  onEvent(symbol: string, isDepth: boolean, data: string): void {
    if (isDepth) this.applyOwn(symbol, data);
    if (!this.matcher.hasOpen(symbol)) return;
    if (isDepth) {
      const b = this.book(symbol);
      if (b?.valid) this.matcher.onBook(symbol, levels(b));
    } else if (data.includes('"e":"trade"')) {
      const t = JSON.parse(data) as { p: string; q: string };
      this.matcher.onTrade(symbol, parseDecimal(t.p, 18), parseDecimal(t.q, 18));
    }
  }

  /**
   * The book orders match against: the venue's reference book when it is synchronised, else the desk's own (the
   * recorded snapshot plus every later depth event, for captures whose snapshot no event straddles).
   */
  private readonly own = new Map<string, ReplayedBook & { last: number }>();

  private book(symbol: string): ReplayedBook | undefined {
    const ref = this.bookOf(symbol);
    if (ref?.valid) return ref;
    return this.own.get(symbol) ?? ref;
  }

  private applyOwn(symbol: string, data: string): void {
    let b = this.own.get(symbol);
    if (b === undefined) {
      const recorded = this.bookOf(symbol)?.recorded;
      if (recorded === undefined) return;
      const snap = JSON.parse(recorded) as { lastUpdateId: number; bids: string[][]; asks: string[][] };
      b = { bids: new Map(), asks: new Map(), valid: true, last: snap.lastUpdateId };
      for (const [p, q] of snap.bids) b.bids.set(p, q);
      for (const [p, q] of snap.asks) b.asks.set(p, q);
      this.own.set(symbol, b);
    }
    const e = JSON.parse(data) as { u: number; b: string[][]; a: string[][] };
    if (e.u <= b.last) return;
    b.last = e.u;
    for (const [side, levels] of [
      [b.bids, e.b],
      [b.asks, e.a],
    ] as const) {
      for (const [p, q] of levels) {
        if (/^0(\.0*)?$/.test(q)) side.delete(p);
        else side.set(p, q);
      }
    }
  }

  /** The next `n` new-order answers are held (the order IS placed) until release. */
  holdOrderAnswers(n: number): () => void {
    this.holds += n;
    return () => {
      this.holds = 0;
      for (const r of this.held.splice(0)) r();
    };
  }

  async handle(req: Request, url: URL): Promise<Response> {
    const path = url.pathname;
    const seen: BinanceDeskRequest = { method: req.method, path, atUs: process.hrtime.bigint() / 1000n };
    this.requests.push(seen);
    const fail = (status: number, code: number, msg: string, headers: Record<string, string> = {}) => {
      seen.error = `${code} ${msg}`;
      return Response.json({ code, msg }, { status, headers });
    };
    const body = await req.text();
    const key = req.headers.get("X-MBX-APIKEY");
    if (key === null || key === "") return fail(401, -2014, "API-key format invalid.");
    if (key !== this.options.apiKey) return fail(401, -2015, "Invalid API-key, IP, or permissions for action.");
    const raw = url.search.slice(1);
    const at = raw.lastIndexOf("&signature=");
    const signed = at >= 0 ? raw.slice(0, at) : raw;
    const signature = at >= 0 ? raw.slice(at + 11) : "";
    const expected = createHmac("sha256", this.secret)
      .update(signed + body)
      .digest();
    const given = Buffer.from(/^[0-9a-fA-F]{64}$/.test(signature) ? signature : "", "hex");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return fail(400, -1022, "Signature for this request is not valid.");
    }
    const params = new URLSearchParams(signed + (body ? `&${body}` : ""));
    const timestamp = Number(params.get("timestamp"));
    const recvWindow = Number(params.get("recvWindow") ?? 5000);
    const serverTime = Date.now();
    if (!(timestamp < serverTime + 1000 && serverTime - timestamp <= recvWindow)) {
      return fail(400, -1021, "Timestamp for this request is outside of the recvWindow.");
    }
    const weight = { "x-mbx-used-weight-1m": String(WEIGHTS[`${req.method} ${path}`] ?? 1) };
    const symbol = (params.get("symbol") ?? "").toUpperCase();
    if (path === "/api/v3/order" && req.method === "POST") return this.newOrder(params, symbol, seen, fail);
    if (path === "/api/v3/openOrders") {
      const open = [...this.matcher.orders.values()].filter(
        (o) => o.state === "open" && (!symbol || o.symbol === symbol),
      );
      return Response.json(
        open.map((o) => this.orderInfo(o)),
        { headers: weight },
      );
    }
    if (path === "/api/v3/myTrades") {
      const orderId = params.get("orderId");
      const rows = this.matcher.fills
        .filter((f) => f.order.symbol === symbol && (orderId === null || f.order.id === orderId))
        .map((f) => ({
          symbol,
          id: Number(f.id),
          orderId: Number(f.order.id),
          orderListId: -1,
          price: venueText(f.price, 8),
          qty: venueText(f.qty, 8),
          quoteQty: venueText((f.price * f.qty) / E18, 8),
          commission: venueText(f.fee, 8),
          commissionAsset: quoteOf(symbol),
          time: f.timeMs,
          isBuyer: f.order.side === "buy",
          isMaker: f.maker,
          isBestMatch: true,
        }));
      return Response.json(rows, { headers: weight });
    }
    // GET / DELETE /api/v3/order
    const byId = params.get("orderId");
    const id = byId ?? this.clientIds.get(params.get("origClientOrderId") ?? "");
    const o = id === undefined ? undefined : this.matcher.orders.get(id);
    if (o === undefined || o.symbol !== symbol) {
      return req.method === "DELETE"
        ? fail(400, -2011, "Unknown order sent.")
        : fail(400, -2013, "Order does not exist.");
    }
    if (req.method === "DELETE") {
      if (this.matcher.cancel(o.id) === undefined) return fail(400, -2011, "Unknown order sent.");
    }
    return Response.json(this.orderInfo(o), { headers: weight });
  }

  private async newOrder(
    params: URLSearchParams,
    symbol: string,
    seen: BinanceDeskRequest,
    fail: (status: number, code: number, msg: string, headers?: Record<string, string>) => Response,
  ): Promise<Response> {
    const limit = this.options.orderLimit ?? { limit: 100, windowMs: 10_000 };
    const from = seen.atUs - BigInt(limit.windowMs) * 1000n;
    const inWindow = this.orderTimesUs.filter((t) => t > from).length;
    if (inWindow >= limit.limit) {
      return fail(429, -1015, `Too many new orders; current limit is ${limit.limit} orders per ${limit.windowMs} ms.`, {
        "Retry-After": "1",
      });
    }
    if (this.bookOf(symbol) === undefined) return fail(400, -1121, "Invalid symbol.");
    const clientId = params.get("newClientOrderId") ?? `replay-${this.nextOrderId}`;
    const existing = this.clientIds.get(clientId);
    if (existing !== undefined && this.matcher.orders.get(existing)?.state === "open") {
      return fail(400, -2010, "Duplicate order sent.");
    }
    const side = params.get("side");
    const type = params.get("type");
    if ((side !== "BUY" && side !== "SELL") || (type !== "MARKET" && type !== "LIMIT" && type !== "LIMIT_MAKER")) {
      return fail(400, -1102, "Mandatory parameter was not sent, was empty/null, or malformed.");
    }
    let qty: bigint;
    let price = 0n;
    try {
      qty = parseDecimal(params.get("quantity") ?? "", 18);
      if (type !== "MARKET") price = parseDecimal(params.get("price") ?? "", 18);
    } catch {
      return fail(400, -1100, "Illegal characters found in a parameter.");
    }
    const tif = (params.get("timeInForce") ?? "GTC").toLowerCase();
    if (tif !== "gtc" && tif !== "ioc" && tif !== "fok") return fail(400, -1115, "Invalid timeInForce.");
    this.orderTimesUs.push(seen.atUs);
    const o: ReplayOrder = {
      id: String(this.nextOrderId++),
      symbol,
      side: side === "BUY" ? "buy" : "sell",
      type: type === "MARKET" ? "market" : "limit",
      timeInForce: tif,
      postOnly: type === "LIMIT_MAKER",
      price,
      qty,
      filled: 0n,
      cost: 0n,
      fee: 0n,
      state: "open",
      createdMs: Date.now(),
      trades: [],
    };
    const b = this.book(symbol);
    const result = this.matcher.place(o, b?.valid ? levels(b) : undefined);
    if (result === "would_take") return fail(400, -2010, "Order would immediately match and take.");
    this.clientIds.set(clientId, o.id);
    this.placed++;
    const answer = Response.json(this.orderInfo(o, clientId), {
      headers: { "x-mbx-order-count-10s": String(inWindow + 1) },
    });
    if (this.holds > 0) {
      this.holds--;
      await new Promise<void>((resolve) => this.held.push(resolve));
    }
    return answer;
  }

  private orderInfo(o: ReplayOrder, clientId?: string): Record<string, unknown> {
    const status = {
      open: o.filled > 0n ? "PARTIALLY_FILLED" : "NEW",
      filled: "FILLED",
      cancelled: "CANCELED",
      expired: "EXPIRED",
      rejected: "REJECTED",
    }[o.state];
    let cid = clientId;
    if (cid === undefined) for (const [c, id] of this.clientIds) if (id === o.id) cid = c;
    return {
      symbol: o.symbol,
      orderId: Number(o.id),
      orderListId: -1,
      clientOrderId: cid ?? "",
      transactTime: o.createdMs,
      price: venueText(o.price, 8),
      origQty: venueText(o.qty, 8),
      executedQty: venueText(o.filled, 8),
      cummulativeQuoteQty: venueText(o.cost / E18, 8),
      status,
      timeInForce: o.timeInForce.toUpperCase(),
      type: o.type === "market" ? "MARKET" : o.postOnly ? "LIMIT_MAKER" : "LIMIT",
      side: o.side.toUpperCase(),
      workingTime: o.createdMs,
      selfTradePreventionMode: "EXPIRE_MAKER",
    };
  }
}

function levels(b: ReplayedBook): { bids: BookLevel[]; asks: BookLevel[] } {
  const side = (m: Map<string, string>, bid: boolean) =>
    [...m]
      .map(([p, q]) => ({ price: parseDecimal(p, 18), qty: parseDecimal(q, 18), key: `${p}|${q}` }))
      .sort((x, y) => (bid ? (x.price > y.price ? -1 : 1) : x.price < y.price ? -1 : 1));
  return { bids: side(b.bids, true), asks: side(b.asks, false) };
}

const QUOTES = ["USDT", "USDC", "FDUSD", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY"];

function quoteOf(symbol: string): string {
  return QUOTES.find((q) => symbol.endsWith(q) && symbol.length > q.length) ?? "";
}
