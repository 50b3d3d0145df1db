import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { formatDecimal, parseDecimal } from "../../core/fixed-point.ts";
import { applyRecorded, type VenueBook } from "./kraken-venue-books.ts";

// ---- the matcher both replay desks share ------------------------------------------------------------------------

/** Prices and quantities at 18 decimals: any venue text parses exactly. */
export const E18 = 10n ** 18n;

export interface BookLevel {
  price: bigint;
  qty: bigint;
  /** The level as the replay has it now ("price|qty|time"): taken liquidity is remembered until it changes. */
  key: string;
}

export interface ReplayOrder {
  id: string;
  symbol: string;
  side: "buy" | "sell";
  type: "market" | "limit";
  timeInForce: "gtc" | "ioc" | "fok";
  postOnly: boolean;
  price: bigint;
  qty: bigint;
  filled: bigint;
  /** sum(price x qty) of the fills, at 36 decimals. */
  cost: bigint;
  fee: bigint;
  state: "open" | "filled" | "cancelled" | "expired" | "rejected";
  createdMs: number;
  trades: string[];
}

export interface ReplayFill {
  id: string;
  order: ReplayOrder;
  price: bigint;
  qty: bigint;
  fee: bigint;
  maker: boolean;
  timeMs: number;
}

/**
 * Matches orders against the book a replay venue is playing. Taker orders walk the opposite side, best first, each
 * level at its own price; what they take is remembered per level (by its recorded text) so the next order cannot
 * take it again until the replay updates that level. Resting limit orders fill as makers, at their own price, when
 * the replayed book crosses them (up to the crossing size not taken yet) or when a replayed trade goes strictly
 * through their price (up to the trade's size). Fees: ceil(price x qty x bps / 10000), in the quote currency.
 */
export class ReplayMatcher {
  readonly orders = new Map<string, ReplayOrder>();
  readonly fills: ReplayFill[] = [];
  private readonly taken = new Map<string, bigint>();
  private nextTrade = 1;

  constructor(
    private readonly fees: { takerBps: number; makerBps: number },
    private readonly newTradeId: (n: number) => string,
  ) {}

  /** Places and matches what crosses now. "would_take" for a post-only order that crosses (nothing changes). */
  place(o: ReplayOrder, book: { bids: BookLevel[]; asks: BookLevel[] } | undefined): "ok" | "would_take" {
    const levels = book === undefined ? [] : o.side === "buy" ? book.asks : book.bids;
    const crosses = (l: BookLevel) =>
      o.type === "market" || (o.side === "buy" ? l.price <= o.price : l.price >= o.price);
    if (o.postOnly && levels.length > 0 && crosses(levels[0])) return "would_take";
    this.orders.set(o.id, o);
    if (!o.postOnly) {
      if (o.timeInForce === "fok") {
        let available = 0n;
        for (const l of levels) if (crosses(l)) available += this.free(o.symbol, l);
        if (available < o.qty) {
          o.state = "expired";
          return "ok";
        }
      }
      for (const l of levels) {
        if (o.filled === o.qty || !crosses(l)) break;
        this.take(o, l, l.price, false);
      }
    }
    if (o.filled === o.qty) o.state = "filled";
    // what a market or IOC order could not take now is dropped by the venue (Binance EXPIRED, Kraken canceled)
    else if (o.type === "market" || o.timeInForce !== "gtc") o.state = "expired";
    return "ok";
  }

  /** The replayed book of `symbol` changed: resting orders it crosses fill at their price. */
  onBook(symbol: string, book: { bids: BookLevel[]; asks: BookLevel[] }): void {
    for (const o of this.orders.values()) {
      if (o.state !== "open" || o.symbol !== symbol) continue;
      for (const l of o.side === "buy" ? book.asks : book.bids) {
        if (o.filled === o.qty) break;
        if (o.side === "buy" ? l.price > o.price : l.price < o.price) break;
        this.take(o, l, o.price, true);
      }
      if (o.filled === o.qty) o.state = "filled";
    }
  }

  /** A replayed trade strictly through a resting order's price fills it, oldest first, up to the trade's size. */
  onTrade(symbol: string, price: bigint, qty: bigint): void {
    let left = qty;
    for (const o of this.orders.values()) {
      if (left === 0n) return;
      if (o.state !== "open" || o.symbol !== symbol) continue;
      if (o.side === "buy" ? price >= o.price : price <= o.price) continue;
      const q = min(o.qty - o.filled, left);
      left -= q;
      this.fill(o, o.price, q, true);
      if (o.filled === o.qty) o.state = "filled";
    }
  }

  cancel(id: string): ReplayOrder | undefined {
    const o = this.orders.get(id);
    if (o === undefined || o.state !== "open") return undefined;
    o.state = "cancelled";
    return o;
  }

  hasOpen(symbol: string): boolean {
    for (const o of this.orders.values()) if (o.state === "open" && o.symbol === symbol) return true;
    return false;
  }

  private free(symbol: string, l: BookLevel): bigint {
    return l.qty - (this.taken.get(`${symbol}|${l.key}`) ?? 0n);
  }

  private take(o: ReplayOrder, l: BookLevel, price: bigint, maker: boolean): void {
    const free = this.free(o.symbol, l);
    if (free <= 0n) return;
    const q = min(o.qty - o.filled, free);
    this.taken.set(`${o.symbol}|${l.key}`, l.qty - free + q);
    this.fill(o, price, q, maker);
  }

  private fill(o: ReplayOrder, price: bigint, qty: bigint, maker: boolean): void {
    const bps = BigInt(maker ? this.fees.makerBps : this.fees.takerBps);
    // price x qty is at 36 decimals; the fee at 18, rounded up
    const fee = (price * qty * bps + 10_000n * E18 - 1n) / (10_000n * E18);
    o.filled += qty;
    o.cost += price * qty;
    o.fee += fee;
    const f: ReplayFill = {
      id: this.newTradeId(this.nextTrade++),
      order: o,
      price,
      qty,
      fee,
      maker,
      timeMs: Date.now(),
    };
    o.trades.push(f.id);
    this.fills.push(f);
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

/** e18 -> venue text with `decimals` places (truncated; every value here is exact at 8). */
export function venueText(e18: bigint, decimals: number): string {
  return formatDecimal(e18 / 10n ** BigInt(18 - decimals), decimals);
}

// ---- the Kraken desk --------------------------------------------------------------------------------------------

/** Kraken's decaying counter, as the venue keeps it: integer micro-units, decay in thousandths per second. */
class VenueCounter {
  private level = 0n;
  private at = 0n;
  constructor(
    readonly max: number,
    readonly decayMilliPerSecond: number,
  ) {}
  charge(cost: number, tUs: bigint): bigint | undefined {
    const decayed = ((tUs - this.at) * BigInt(this.decayMilliPerSecond)) / 1000n;
    const now = this.level - decayed > 0n ? this.level - decayed : 0n;
    const after = now + BigInt(cost) * 1_000_000n;
    if (after > BigInt(this.max) * 1_000_000n) return undefined;
    this.level = after;
    this.at = tUs;
    return after;
  }
}

export interface KrakenOrderDeskOptions {
  /** The test key pair the desk accepts: API-Key text and the base64 private key. */
  apiKey: string;
  secret: string;
  /** API counter (queries): Starter max 15, decay 0.33/s. */
  apiCounter?: { max: number; decayMilliPerSecond: number };
  /** Trading counter per pair (AddOrder +1, CancelOrder +8..0 by order age): Starter max 60, decay 1/s. */
  tradingCounter?: { max: number; decayMilliPerSecond: number };
  takerFeeBps?: number;
  makerFeeBps?: number;
}

/** One private request as the desk saw it: the time it arrived (us, monotonic) and the counter level after it. */
export interface KrakenDeskRequest {
  method: string;
  atUs: bigint;
  pair?: string;
  /** Level of the counter the call charged, micro-units; undefined when refused or not charged. */
  levelAfter?: bigint;
  error?: string;
}

/**
 * Kraken's private REST order endpoints for the replay venue: POST /0/private/{AddOrder, CancelOrder, QueryOrders,
 * OpenOrders, ClosedOrders, QueryTrades}, checked as Kraken checks them (API-Key, API-Sign recomputed with
 * node:crypto, independent of the client's @noble/hashes signer; nonce strictly increasing per key; rate counters)
 * and answered in Kraken's shapes ({"error":[...],"result":{...}}, HTTP 200). Orders match against the books the
 * venue replays (onRecord is called for every played record).
 */
export class KrakenOrderDesk {
  readonly books = new Map<string, VenueBook>();
  readonly matcher: ReplayMatcher;
  readonly requests: KrakenDeskRequest[] = [];
  /** Orders accepted by AddOrder (a duplicate would show here). */
  placed = 0;
  private readonly secret: Buffer;
  private lastNonce = -1n;
  private readonly api: VenueCounter;
  private readonly trading = new Map<string, VenueCounter>();
  private readonly tradingLimit: { max: number; decayMilliPerSecond: number };
  private nextOrder = 1;
  private readonly userrefs = new Map<string, number>();
  private records = 0;
  private recordWaiters: { count: number; resolve: () => void }[] = [];
  private holds = 0;
  private held: (() => void)[] = [];

  /** Pairs the capture has (WebSocket names): orders for them are accepted before their book has played. */
  private readonly pairs = new Set<string>();

  constructor(
    private readonly options: KrakenOrderDeskOptions,
    records: readonly { raw: string }[] = [],
  ) {
    for (const r of records) {
      const pair = r.raw.startsWith("[") ? /"([^"]+)"\]$/.exec(r.raw)?.[1] : /"symbol":"([^"]+)"/.exec(r.raw)?.[1];
      if (pair !== undefined) this.pairs.add(pair);
    }
    this.secret = Buffer.from(options.secret, "base64");
    const a = options.apiCounter ?? { max: 15, decayMilliPerSecond: 330 };
    this.api = new VenueCounter(a.max, a.decayMilliPerSecond);
    this.tradingLimit = options.tradingCounter ?? { max: 60, decayMilliPerSecond: 1000 };
    this.matcher = new ReplayMatcher(
      { takerBps: options.takerFeeBps ?? 26, makerBps: options.makerFeeBps ?? 16 },
      (n) => krakenId("T", n),
    );
  }

  /** Every record the venue plays (on any connection), before faults: the venue's truth. */
  onRecord(raw: string): void {
    const channel = applyRecorded(this.books, raw, 10);
    if (channel !== undefined && this.matcher.hasOpen(channel.pair)) {
      if (channel.kind === "book") {
        const b = this.books.get(channel.pair);
        if (b !== undefined) this.matcher.onBook(channel.pair, levelsOf(b));
      } else {
        try {
          const m = JSON.parse(raw) as unknown[];
          for (const t of m[1] as string[][])
            this.matcher.onTrade(channel.pair, parseDecimal(t[0], 18), parseDecimal(t[1], 18));
        } catch {
          // a garbled record is the replay's fault injection: nothing to match
        }
      }
    }
    this.records++;
    const due = this.recordWaiters.filter((w) => w.count <= this.records);
    this.recordWaiters = this.recordWaiters.filter((w) => w.count > this.records);
    for (const w of due) w.resolve();
  }

  /** Resolves once `count` records have been played (on any connection). */
  playedRecords(count: number): Promise<void> {
    if (this.records >= count) return Promise.resolve();
    return new Promise((resolve) => this.recordWaiters.push({ count, resolve }));
  }

  /**
   * The next `n` AddOrder answers are held (the order IS placed) until the returned release is called: a lost
   * answer, for the outcome-unknown path.
   */
  holdAddOrderAnswers(n: number): () => void {
    this.holds += n;
    return () => {
      this.holds = 0;
      for (const r of this.held.splice(0)) r();
    };
  }

  async handle(req: Request, path: string): Promise<Response> {
    const method = path.slice("/0/private/".length);
    const body = await req.text();
    const seen: KrakenDeskRequest = { method, atUs: process.hrtime.bigint() / 1000n };
    this.requests.push(seen);
    const fail = (error: string) => {
      seen.error = error;
      return Response.json({ error: [error] });
    };
    const key = req.headers.get("API-Key");
    if (key !== this.options.apiKey) return fail("EAPI:Invalid key");
    const params = new URLSearchParams(body);
    const nonceText = params.get("nonce") ?? "";
    const expected = createHmac("sha512", this.secret)
      .update(path)
      .update(
        createHash("sha256")
          .update(nonceText + body)
          .digest(),
      )
      .digest();
    const given = Buffer.from(req.headers.get("API-Sign") ?? "", "base64");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return fail("EAPI:Invalid signature");
    if (!/^\d{1,20}$/.test(nonceText) || BigInt(nonceText) <= this.lastNonce) return fail("EAPI:Invalid nonce");
    this.lastNonce = BigInt(nonceText);

    const trading = method === "AddOrder" || method === "CancelOrder";
    if (!trading) {
      const level = this.api.charge(method === "QueryTrades" ? 2 : 1, seen.atUs);
      if (level === undefined) return fail("EAPI:Rate limit exceeded");
      seen.levelAfter = level;
    }
    switch (method) {
      case "AddOrder":
        return this.addOrder(params, seen, fail);
      case "CancelOrder": {
        const o = this.find(params.get("txid") ?? "");
        if (o === undefined) return fail("EOrder:Unknown order");
        seen.pair = o.symbol;
        const age = Date.now() - o.createdMs;
        const penalty =
          age < 5000 ? 8 : age < 10000 ? 6 : age < 15000 ? 5 : age < 45000 ? 4 : age < 90000 ? 2 : age < 300000 ? 1 : 0;
        const level = this.tradingCounter(o.symbol).charge(penalty, seen.atUs);
        if (level === undefined) return fail("EOrder:Rate limit exceeded");
        seen.levelAfter = level;
        return Response.json({ error: [], result: { count: this.matcher.cancel(o.id) ? 1 : 0 } });
      }
      case "QueryOrders": {
        const withTrades = params.get("trades") === "true";
        const result: Record<string, unknown> = {};
        for (const id of (params.get("txid") ?? "").split(",")) {
          const o = this.matcher.orders.get(id);
          if (o === undefined) return fail("EOrder:Invalid order");
          result[id] = this.orderInfo(o, withTrades);
        }
        return Response.json({ error: [], result });
      }
      case "OpenOrders":
      case "ClosedOrders": {
        const open = method === "OpenOrders";
        const userref = params.get("userref");
        const out: Record<string, unknown> = {};
        for (const o of this.matcher.orders.values()) {
          if ((o.state === "open") !== open) continue;
          if (userref !== null && String(this.userrefs.get(o.id)) !== userref) continue;
          out[o.id] = this.orderInfo(o, params.get("trades") === "true");
        }
        return Response.json({
          error: [],
          result: open ? { open: out } : { closed: out, count: Object.keys(out).length },
        });
      }
      case "QueryTrades": {
        const result: Record<string, unknown> = {};
        for (const id of (params.get("txid") ?? "").split(",")) {
          const f = this.matcher.fills.find((x) => x.id === id);
          if (f === undefined) return fail("EOrder:Invalid order");
          result[id] = {
            ordertxid: f.order.id,
            pair: f.order.symbol.replace("/", ""),
            time: Math.floor(f.timeMs / 1000),
            type: f.order.side,
            ordertype: f.order.type,
            price: venueText(f.price, 8),
            cost: venueText((f.price * f.qty) / E18, 8),
            fee: venueText(f.fee, 8),
            vol: venueText(f.qty, 8),
            margin: "0.00000000",
            maker: f.maker,
            misc: "",
          };
        }
        return Response.json({ error: [], result });
      }
      default:
        return fail("EGeneral:Unknown method");
    }
  }

  private async addOrder(
    params: URLSearchParams,
    seen: KrakenDeskRequest,
    fail: (e: string) => Response,
  ): Promise<Response> {
    const pairText = params.get("pair") ?? "";
    const symbol = [...this.pairs, ...this.books.keys()].find((p) => p.replace("/", "") === pairText.replace("/", ""));
    if (symbol === undefined) return fail("EQuery:Unknown asset pair");
    seen.pair = symbol;
    const level = this.tradingCounter(symbol).charge(1, seen.atUs);
    if (level === undefined) return fail("EOrder:Rate limit exceeded");
    seen.levelAfter = level;
    const side = params.get("type");
    const type = params.get("ordertype");
    if ((side !== "buy" && side !== "sell") || (type !== "market" && type !== "limit")) {
      return fail("EGeneral:Invalid arguments");
    }
    let qty: bigint;
    let price = 0n;
    try {
      qty = parseDecimal(params.get("volume") ?? "", 18);
      if (type === "limit") price = parseDecimal(params.get("price") ?? "", 18);
    } catch {
      return fail("EGeneral:Invalid arguments");
    }
    if (qty <= 0n || (type === "limit" && price <= 0n)) return fail("EGeneral:Invalid arguments");
    const tif = params.get("timeinforce") === "IOC" ? "ioc" : "gtc";
    const o: ReplayOrder = {
      id: krakenId("O", this.nextOrder++),
      symbol,
      side,
      type,
      timeInForce: tif,
      postOnly: (params.get("oflags") ?? "").split(",").includes("post"),
      price,
      qty,
      filled: 0n,
      cost: 0n,
      fee: 0n,
      state: "open",
      createdMs: Date.now(),
      trades: [],
    };
    const b = this.books.get(symbol);
    // Kraken accepts a post-only order that would take and cancels it at once
    if (this.matcher.place(o, b === undefined ? undefined : levelsOf(b)) === "would_take") {
      o.state = "cancelled";
      this.matcher.orders.set(o.id, o);
    }
    this.userrefs.set(o.id, Number(params.get("userref") ?? 0));
    this.placed++;
    const answer = Response.json({
      error: [],
      result: { descr: { order: `${side} ${venueText(qty, 8)} ${pairText} @ ${type}` }, txid: [o.id] },
    });
    if (this.holds > 0) {
      this.holds--;
      await new Promise<void>((resolve) => this.held.push(resolve));
    }
    return answer;
  }

  private find(txidOrUserref: string): ReplayOrder | undefined {
    const direct = this.matcher.orders.get(txidOrUserref);
    if (direct !== undefined) return direct;
    for (const [id, ref] of this.userrefs) if (String(ref) === txidOrUserref) return this.matcher.orders.get(id);
    return undefined;
  }

  private tradingCounter(pair: string): VenueCounter {
    let c = this.trading.get(pair);
    if (c === undefined) {
      c = new VenueCounter(this.tradingLimit.max, this.tradingLimit.decayMilliPerSecond);
      this.trading.set(pair, c);
    }
    return c;
  }

  private orderInfo(o: ReplayOrder, withTrades: boolean): Record<string, unknown> {
    const status = o.state === "filled" ? "closed" : o.state === "open" ? "open" : "canceled";
    const avg = o.filled === 0n ? 0n : o.cost / o.filled;
    return {
      refid: null,
      userref: this.userrefs.get(o.id) ?? 0,
      status,
      opentm: Math.floor(o.createdMs / 1000),
      starttm: 0,
      expiretm: 0,
      descr: {
        pair: o.symbol.replace("/", ""),
        type: o.side,
        ordertype: o.type,
        price: venueText(o.price, 8),
        price2: "0",
        leverage: "none",
        order: `${o.side} ${venueText(o.qty, 8)} ${o.symbol.replace("/", "")} @ ${o.type}`,
        close: "",
      },
      vol: venueText(o.qty, 8),
      vol_exec: venueText(o.filled, 8),
      cost: venueText(o.cost / E18, 8),
      fee: venueText(o.fee, 8),
      price: venueText(avg, 8),
      stopprice: "0.00000000",
      limitprice: "0.00000000",
      misc: "",
      oflags: o.postOnly ? "post,fciq" : "fciq",
      ...(withTrades ? { trades: [...o.trades] } : {}),
    };
  }
}

function levelsOf(b: VenueBook): { bids: BookLevel[]; asks: BookLevel[] } {
  const side = (bid: boolean) => {
    const s = bid ? b.bids : b.asks;
    return (bid ? s.book.bids : s.book.asks).map((l) => {
      const text = s.text.get(l.price)!;
      return { price: l.price, qty: parseDecimal(text[1], 18), key: text.join("|") };
    });
  };
  return { bids: side(true), asks: side(false) };
}

/** Kraken-shaped ids: "O" + 5 + "-" + 5 + "-" + 6 base-36 characters ("OQCLML-BW3P3-BUCMWZ"). */
function krakenId(prefix: "O" | "T", n: number): string {
  const s = n.toString(36).toUpperCase().padStart(16, "0");
  return `${prefix}${s.slice(0, 5)}-${s.slice(5, 10)}-${s.slice(10)}`;
}
