import { DEFAULT_LIMITS } from "../../../core/limits.ts";
import { InstrumentId } from "../../../data/instrument-id.ts";
import type { BookDelta } from "../../../data/tlv-layouts.ts";
import { OrderBook } from "../../market/order-book.ts";
import {
  BAD_DECIMAL,
  decimalScan,
  fractionDigits,
  scanDecimal,
  scanEpochMicros,
  scanEpochSecondsNs,
  scanRfc3339Ns,
} from "../common/decimal-scan.ts";
import type { MarketPublisher } from "../common/market-publisher.ts";
import { BookChecksum } from "./checksum.ts";
import { instrumentMeta, instrumentsFromV2Snapshot, type KrakenInstrument } from "./instrument-provider.ts";
import { JsonCursor, parseJsonKeepNumbers } from "./json-cursor.ts";

/**
 * Kraken market data -> Protocol V2 frames, without I/O: one text message in, zero or more frames out through the
 * MarketPublisher. The data client feeds it from the socket; the benchmark feeds it from a capture.
 *
 * Books (docs.kraken.com "Book checksum (WebSocket v1/v2)"): a snapshot replaces the book; an update applies every
 * level of the message (qty 0 removes), then the book is truncated to the subscribed depth (Kraken never sends the
 * removal of a level that falls out of scope), then the CRC32 of the top 10 levels is compared with the message's.
 * v2 snapshots carry a checksum too and are verified the same way. A mismatch publishes StateInvalidation (reason 1),
 * drops the book and asks the owner to resubscribe it (onResync); its updates are ignored until the next snapshot.
 *
 * Kraken has no book sequence number: update ids are a per-book message counter (1 = the snapshot), restarted at
 * every snapshot. A BookDelta carries the message's changes plus a size-0 removal for every level the depth
 * truncation dropped, so a consumer replaying OrderBook + BookDeltas gets the same book without knowing the depth.
 */
export type KrakenApi = "v1" | "v2";

export const InvalidationReason = { ChecksumMismatch: 1, SequenceGap: 2, Disconnected: 3, Stale: 5 } as const;

export interface KrakenFeedHandlerOptions {
  api: KrakenApi;
  /** Subscribed book depth (10, 25, 100, 500, 1000); v1 subscriptionStatus messages override it per pair. */
  depth: number;
  publisher: MarketPublisher;
  /** Known instruments by venue symbol (precision for the v2 checksum, InstrumentMeta). */
  instruments?: Map<string, KrakenInstrument>;
  /** A book is out of sync: the owner resubscribes it for a fresh snapshot. Called once until that snapshot. */
  onResync?: (symbol: string, reason: string) => void;
  /** A subscription was answered (channel "book" | "trade" | "instrument"): acknowledged (ok) or refused. */
  onSubscribed?: (channel: string, symbol: string, ok: boolean) => void;
  /** ALPHAPULSE_MAX_ORDER_LEVELS of the publisher's FrameBuilder (default 50). */
  maxLevels?: number;
  /** Warnings (bad input); counted in any case. */
  onWarning?: (message: string, facts: Record<string, unknown>) => void;
}

export interface KrakenCounters {
  messages: number;
  bookSnapshots: number;
  bookUpdates: number;
  checksumsVerified: number;
  checksumMismatches: number;
  /** Book rebuilds requested (mismatch or bad level). */
  resyncs: number;
  trades: number;
  heartbeats: number;
  subscriptions: number;
  subscribeErrors: number;
  /** Messages that are not JSON or not the expected shape. */
  parseErrors: number;
  /** Prices or sizes with more than 8 decimals (never rounded: the level or trade is refused). */
  precisionErrors: number;
  /** Updates for a book waiting for its snapshot. */
  skippedWhileStale: number;
  unknownMessages: number;
  invalidations: number;
}

/** One book per venue symbol. */
export class KrakenBook {
  readonly book = new OrderBook();
  readonly checksum = new BookChecksum();
  synced = false;
  /** Per-book message counter since the last snapshot (Kraken has no book sequence). */
  updateId = 0;
  priceDecimals = -1;
  qtyDecimals = -1;
  checksumsVerified = 0;
  checksumMismatches = 0;
  lastChecksum = 0;
  /** A resubscription was asked for and its snapshot has not come yet. */
  resyncPending = false;

  constructor(
    readonly symbol: string,
    readonly id: InstrumentId,
    public depth: number,
  ) {}
}

interface ChannelInfo {
  kind: "book" | "trade";
  symbol: string;
}

const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;

export class KrakenFeedHandler {
  readonly counters: KrakenCounters = {
    messages: 0,
    bookSnapshots: 0,
    bookUpdates: 0,
    checksumsVerified: 0,
    checksumMismatches: 0,
    resyncs: 0,
    trades: 0,
    heartbeats: 0,
    subscriptions: 0,
    subscribeErrors: 0,
    parseErrors: 0,
    precisionErrors: 0,
    skippedWhileStale: 0,
    unknownMessages: 0,
    invalidations: 0,
  };
  readonly books = new Map<string, KrakenBook>();
  readonly instruments: Map<string, KrakenInstrument>;
  /** Venue status from v1 systemStatus / v2 status ("online", "maintenance", ...). */
  venueStatus = "";
  private readonly channels = new Map<number, ChannelInfo>();
  private readonly cur = new JsonCursor();
  private readonly changes: BookDelta["changes"] = [];
  private msgTsNs = 0n;
  private lastV2Book: KrakenBook | undefined;
  /** Latest v1 level time of the message in integer microseconds (one bigint per message, not per level). */
  private msgTsUs = 0;
  private levelError = false;
  private readonly maxLevels: number;

  constructor(private readonly options: KrakenFeedHandlerOptions) {
    this.instruments = options.instruments ?? new Map();
    this.maxLevels = options.maxLevels ?? DEFAULT_LIMITS.maxOrderLevels;
  }

  /** A new connection: channel ids start over and every resync is answered by the new subscriptions. */
  resetSession(): void {
    this.channels.clear();
    for (const b of this.books.values()) b.resyncPending = false;
  }

  /** Marks every synced book unusable (connection lost): StateInvalidation with `reason`. */
  invalidateAll(reason: number): void {
    for (const b of this.books.values()) if (b.synced) this.invalidate(b, reason);
  }

  /** Publishes InstrumentMeta for the given symbols that are known (all known ones when omitted). */
  publishInstruments(symbols?: readonly string[]): number {
    let n = 0;
    for (const s of symbols ?? this.instruments.keys()) {
      const i = this.instruments.get(s);
      if (!i) continue;
      this.options.publisher.publish("InstrumentMeta", instrumentMeta(i));
      n++;
    }
    return n;
  }

  /** One venue message. Never throws on bad input: it is counted and reported through onWarning. */
  handle(text: string, recvNs: bigint): void {
    this.counters.messages++;
    const c = this.cur.reset(text);
    const first = c.peek();
    if (first === LBRACKET) this.v1Channel(text, recvNs);
    else if (first === LBRACE) this.objectMessage(text, recvNs);
    else this.bad("message is not a JSON object or array", text);
  }

  // ---- v1: [channelID, payload..., channelName, pair] ------------------------------------------------------

  private v1Channel(text: string, recvNs: bigint): void {
    const c = this.cur;
    c.i++;
    if (!c.literal()) {
      this.bad("v1 message without a channel id", text);
      return;
    }
    let channelId = 0;
    for (let i = c.a; i < c.b && channelId < 1e15; i++) channelId = channelId * 10 + text.charCodeAt(i) - 48;
    let info = this.channels.get(channelId);
    if (info === undefined) {
      // No subscriptionStatus seen for this id (e.g. joined mid-session): name and pair close the array.
      const end = text.lastIndexOf('"');
      const start = text.lastIndexOf('"', end - 1);
      const nameEnd = text.lastIndexOf('"', start - 1);
      const nameStart = text.lastIndexOf('"', nameEnd - 1);
      if (nameStart < 0) {
        this.bad("v1 message without channel name and pair", text);
        return;
      }
      const name = text.slice(nameStart + 1, nameEnd);
      const kind = name.startsWith("book") ? "book" : name === "trade" ? "trade" : undefined;
      if (kind === undefined) {
        this.counters.unknownMessages++;
        return;
      }
      info = { kind, symbol: text.slice(start + 1, end) };
      if (kind === "book" && !this.books.has(info.symbol)) {
        const depth = Number(name.slice(5));
        if (Number.isInteger(depth) && depth > 0) this.bookFor(info.symbol, depth);
      }
      this.channels.set(channelId, info);
    }
    if (info.kind === "book") this.v1Book(info.symbol, text, recvNs);
    else this.v1Trades(info.symbol, text);
  }

  private v1Book(symbol: string, text: string, recvNs: bigint): void {
    const b = this.bookFor(symbol);
    if (b === undefined) return;
    const c = this.cur;
    const changes = this.changes;
    changes.length = 0;
    this.msgTsNs = 0n;
    this.msgTsUs = 0;
    this.levelError = false;
    let snapshot = false;
    let checksumAt = -1;
    let checksumEnd = -1;
    while (c.eat(44) && c.peek() === LBRACE) {
      c.i++;
      if (c.eat(RBRACE)) continue;
      do {
        if (!c.key()) break;
        const k0 = text.charCodeAt(c.a);
        const len = c.b - c.a;
        if (len === 1 && k0 === 99) {
          // "c": checksum, a decimal string
          if (!c.str()) break;
          checksumAt = c.a;
          checksumEnd = c.b;
        } else if ((len === 1 || len === 2) && (k0 === 97 || k0 === 98)) {
          const isSnapshot = len === 2;
          if (isSnapshot && !snapshot) {
            snapshot = true;
            b.book.clear();
            b.priceDecimals = -1;
            b.qtyDecimals = -1;
          } else if (!isSnapshot && !b.synced && !snapshot) {
            this.counters.skippedWhileStale++;
            return;
          }
          if (!this.v1Levels(b, k0 === 98, isSnapshot)) break;
        } else if (!c.skip()) break;
      } while (c.more(RBRACE));
    }
    if (!c.ok) {
      this.bad("v1 book message does not parse", text);
      return;
    }
    if (this.msgTsUs > 0) {
      const ns = BigInt(this.msgTsUs) * 1000n;
      if (ns > this.msgTsNs) this.msgTsNs = ns;
    }
    if (snapshot) {
      this.counters.bookSnapshots++;
      this.finishSnapshot(b, recvNs);
      return;
    }
    this.counters.bookUpdates++;
    if (!b.synced) {
      this.counters.skippedWhileStale++;
      return;
    }
    if (this.levelError) {
      this.levelFailure(b, text);
      return;
    }
    b.updateId++;
    this.truncateWithRemovals(b);
    if (checksumAt >= 0 && !this.verify(b, Number(text.slice(checksumAt, checksumEnd)))) return;
    this.publishDelta(b, recvNs);
  }

  /** Reads [[price, volume, time(, "r")], ...] into the book. */
  private v1Levels(b: KrakenBook, bid: boolean, snapshot: boolean): boolean {
    const c = this.cur;
    const text = c.s;
    if (!c.expect(LBRACKET)) return false;
    if (c.eat(RBRACKET)) return true;
    const side = bid ? "bid" : "ask";
    do {
      if (!c.expect(LBRACKET) || !c.str()) return false;
      const pa = c.a;
      const pb = c.b;
      if (!c.expect(44) || !c.str()) return false;
      const qa = c.a;
      const qb = c.b;
      if (c.eat(44) && c.str()) {
        const us = scanEpochMicros(text, c.a, c.b);
        if (us > this.msgTsUs) this.msgTsUs = us;
        else if (us < 0) {
          const ns = scanEpochSecondsNs(text, c.a, c.b); // more than 6 fraction digits: exact, slower
          if (ns > this.msgTsNs) this.msgTsNs = ns;
        }
      }
      while (c.eat(44)) if (!c.skip()) return false; // "r" (republish) and anything newer
      if (!c.expect(RBRACKET)) return false;
      if (snapshot) {
        const pd = fractionDigits(text, pa, pb);
        const qd = fractionDigits(text, qa, qb);
        if (pd > b.priceDecimals) b.priceDecimals = pd;
        if (qd > b.qtyDecimals) b.qtyDecimals = qd;
      }
      this.applyLevel(b, side, text, pa, pb, qa, qb, !snapshot);
    } while (c.more(RBRACKET));
    return c.ok;
  }

  private v1Trades(symbol: string, text: string): void {
    const c = this.cur;
    if (!c.expect(44) || !c.expect(LBRACKET)) {
      this.bad("v1 trade message does not parse", text);
      return;
    }
    const id = this.idFor(symbol);
    if (id === undefined) return;
    if (c.eat(RBRACKET)) return;
    do {
      if (!c.expect(LBRACKET) || !c.str()) break;
      const price = scanDecimal(text, c.a, c.b, 8);
      if (!c.expect(44) || !c.str()) break;
      const size = scanDecimal(text, c.a, c.b, 8);
      if (!c.expect(44) || !c.str()) break;
      const ts = scanEpochSecondsNs(text, c.a, c.b);
      if (!c.expect(44) || !c.str()) break;
      // v1 trade side: "b" buy / "s" sell, the side of the order that triggered the trade (the taker).
      const sideCode = text.charCodeAt(c.a);
      while (c.eat(44)) if (!c.skip()) break;
      if (!c.expect(RBRACKET)) break;
      this.publishTrade(id, price, size, ts, sideCode === 98 ? 1 : sideCode === 115 ? 2 : 0, text);
    } while (c.more(RBRACKET));
    if (!c.ok) this.bad("v1 trade message does not parse", text);
  }

  // ---- objects: v1 events, v2 channel messages and method responses ----------------------------------------

  private objectMessage(text: string, recvNs: bigint): void {
    const c = this.cur;
    c.i++;
    let channelA = -1;
    let channelB = -1;
    let snapshot = false;
    let dataAt = -1;
    let control = false;
    if (!c.eat(RBRACE)) {
      do {
        if (!c.key()) break;
        if (c.is("channel")) {
          if (!c.str()) break;
          channelA = c.a;
          channelB = c.b;
        } else if (c.is("type")) {
          if (!c.str()) break;
          snapshot = c.is("snapshot");
        } else if (c.is("data")) {
          dataAt = c.i;
          if (!c.skip()) break;
        } else if (c.is("event")) {
          if (!c.str()) break;
          if (c.is("heartbeat") && c.peek() === RBRACE) {
            this.counters.heartbeats++; // {"event":"heartbeat"}: once a second per idle v1 connection
            return;
          }
          control = true;
        } else {
          if (c.is("method")) control = true;
          if (!c.skip()) break;
        }
      } while (c.more(RBRACE));
    }
    if (!c.ok) {
      this.bad("message does not parse", text);
      return;
    }
    if (!control && dataAt >= 0 && channelA >= 0) {
      if (c.equals(channelA, channelB, "book")) {
        this.v2Book(text, dataAt, snapshot, recvNs);
        return;
      }
      if (c.equals(channelA, channelB, "trade")) {
        this.v2Trades(text, dataAt);
        return;
      }
    }
    this.control(text);
  }

  private v2Book(text: string, dataAt: number, snapshot: boolean, recvNs: bigint): void {
    const c = this.cur;
    c.i = dataAt;
    if (!c.expect(LBRACKET)) {
      this.bad("v2 book data is not an array", text);
      return;
    }
    if (c.eat(RBRACKET)) return;
    do {
      if (!c.expect(LBRACE)) break;
      let symA = -1;
      let symB = -1;
      let bidsAt = -1;
      let asksAt = -1;
      let checksum = -1;
      let tsA = -1;
      let tsB = -1;
      if (!c.eat(RBRACE)) {
        do {
          if (!c.key()) break;
          if (c.is("symbol")) {
            if (!c.str()) break;
            symA = c.a;
            symB = c.b;
          } else if (c.is("bids")) {
            bidsAt = c.i;
            if (!c.skip()) break;
          } else if (c.is("asks")) {
            asksAt = c.i;
            if (!c.skip()) break;
          } else if (c.is("checksum")) {
            if (!c.literal()) break;
            checksum = Number(text.slice(c.a, c.b));
          } else if (c.is("timestamp")) {
            if (!c.str()) break;
            tsA = c.a;
            tsB = c.b;
          } else if (!c.skip()) break;
        } while (c.more(RBRACE));
      }
      if (!c.ok || symA < 0) break;
      const after = c.i;
      // the symbol string is made once per book, not per message
      const last = this.lastV2Book;
      const symbol = last !== undefined && c.equals(symA, symB, last.symbol) ? last.symbol : text.slice(symA, symB);
      this.v2BookItem(text, symbol, bidsAt, asksAt, checksum, tsA, tsB, snapshot, recvNs);
      c.i = after;
      c.ok = true;
    } while (c.more(RBRACKET));
    if (!c.ok) this.bad("v2 book message does not parse", text);
  }

  private v2BookItem(
    text: string,
    symbol: string,
    bidsAt: number,
    asksAt: number,
    checksum: number,
    tsA: number,
    tsB: number,
    snapshot: boolean,
    recvNs: bigint,
  ): void {
    const b = this.bookFor(symbol);
    if (b === undefined) return;
    this.lastV2Book = b;
    this.changes.length = 0;
    this.levelError = false;
    this.msgTsNs = tsA >= 0 ? scanRfc3339Ns(text, tsA, tsB) : 0n;
    if (snapshot) {
      this.counters.bookSnapshots++;
      b.book.clear();
      const inst = this.instruments.get(symbol);
      b.priceDecimals = inst ? inst.priceDecimals : -1;
      b.qtyDecimals = inst ? inst.qtyDecimals : -1;
    } else {
      this.counters.bookUpdates++;
      if (!b.synced) {
        this.counters.skippedWhileStale++;
        return;
      }
    }
    if (
      (bidsAt >= 0 && !this.v2Levels(b, bidsAt, true, snapshot)) ||
      (asksAt >= 0 && !this.v2Levels(b, asksAt, false, snapshot))
    ) {
      this.bad("v2 book levels do not parse", text);
      return;
    }
    if (snapshot) {
      if (this.levelError) {
        this.levelFailure(b, text);
        return;
      }
      b.book.truncate(b.depth);
      b.updateId = 1;
      if (checksum >= 0 && !this.verify(b, checksum)) return;
      this.finishSnapshot(b, recvNs, true);
      return;
    }
    if (this.levelError) {
      this.levelFailure(b, text);
      return;
    }
    b.updateId++;
    this.truncateWithRemovals(b);
    if (checksum >= 0 && !this.verify(b, checksum)) return;
    this.publishDelta(b, recvNs);
  }

  /** Reads [{"price": n, "qty": n}, ...] at `at`. */
  private v2Levels(b: KrakenBook, at: number, bid: boolean, snapshot: boolean): boolean {
    const c = this.cur;
    const text = c.s;
    c.i = at;
    if (!c.expect(LBRACKET)) return false;
    if (c.eat(RBRACKET)) return true;
    const side = bid ? "bid" : "ask";
    const learn = snapshot && b.priceDecimals < 0;
    do {
      if (!c.expect(LBRACE)) return false;
      let pa = -1;
      let pb = -1;
      let qa = -1;
      let qb = -1;
      do {
        if (!c.key()) return false;
        if (c.is("price")) {
          if (!c.scalar()) return false;
          pa = c.a;
          pb = c.b;
        } else if (c.is("qty")) {
          if (!c.scalar()) return false;
          qa = c.a;
          qb = c.b;
        } else if (!c.skip()) return false;
      } while (c.more(RBRACE));
      if (pa < 0 || qa < 0) return false;
      if (learn) {
        // No instrument metadata yet: take the precision from the literals (full precision on a real v2 wire).
        const pd = fractionDigits(text, pa, pb);
        const qd = fractionDigits(text, qa, qb);
        if (pd > b.priceDecimals) b.priceDecimals = pd;
        if (qd > b.qtyDecimals) b.qtyDecimals = qd;
      }
      this.applyLevel(b, side, text, pa, pb, qa, qb, !snapshot);
    } while (c.more(RBRACKET));
    return c.ok;
  }

  private v2Trades(text: string, dataAt: number): void {
    const c = this.cur;
    c.i = dataAt;
    if (!c.expect(LBRACKET)) {
      this.bad("v2 trade data is not an array", text);
      return;
    }
    if (c.eat(RBRACKET)) return;
    do {
      if (!c.expect(LBRACE)) break;
      let id: InstrumentId | undefined;
      let price = BAD_DECIMAL;
      let size = BAD_DECIMAL;
      let ts = 0n;
      let side = 0;
      do {
        if (!c.key()) break;
        if (c.is("symbol")) {
          if (!c.str()) break;
          id = this.idFor(c.text());
        } else if (c.is("price")) {
          if (!c.scalar()) break;
          price = scanDecimal(text, c.a, c.b, 8);
        } else if (c.is("qty")) {
          if (!c.scalar()) break;
          size = scanDecimal(text, c.a, c.b, 8);
        } else if (c.is("side")) {
          // v2 trade side: "buy" / "sell" = the taker's side (docs.kraken.com spot-websocket-v2/trade).
          if (!c.str()) break;
          side = c.is("buy") ? 1 : c.is("sell") ? 2 : 0;
        } else if (c.is("timestamp")) {
          if (!c.str()) break;
          ts = scanRfc3339Ns(text, c.a, c.b);
        } else if (!c.skip()) break;
      } while (c.more(RBRACE));
      if (!c.ok) break;
      if (id !== undefined) this.publishTrade(id, price, size, ts, side, text);
    } while (c.more(RBRACKET));
    if (!c.ok) this.bad("v2 trade message does not parse", text);
  }

  /** Control, status and metadata messages: rare, parsed whole with number literals kept as text. */
  private control(text: string): void {
    let m: Record<string, unknown>;
    try {
      m = parseJsonKeepNumbers(text) as Record<string, unknown>;
    } catch {
      this.bad("message is not JSON", text);
      return;
    }
    const event = m.event;
    if (event === "heartbeat") {
      this.counters.heartbeats++;
      return;
    }
    if (event === "pong" || m.method === "pong") return;
    if (event === "systemStatus") {
      this.venueStatus = String(m.status ?? "");
      return;
    }
    if (event === "subscriptionStatus") {
      const symbol = String(m.pair ?? "");
      const sub = (m.subscription ?? {}) as Record<string, unknown>;
      const name = String(sub.name ?? "");
      if (m.status === "subscribed") {
        this.counters.subscriptions++;
        const kind = name === "book" ? "book" : name === "trade" ? "trade" : undefined;
        if (kind && m.channelID !== undefined) this.channels.set(Number(m.channelID), { kind, symbol });
        if (kind === "book") {
          const depth = Number(sub.depth ?? this.options.depth);
          const b = this.bookFor(symbol, depth);
          if (b) b.depth = depth;
        }
        this.options.onSubscribed?.(name, symbol, true);
      } else if (m.status === "error") {
        this.counters.subscribeErrors++;
        this.warn("subscription refused", { pair: symbol, error: String(m.errorMessage ?? "") });
        this.options.onSubscribed?.(name, symbol, false);
      }
      return;
    }
    if (m.method === "subscribe") {
      const r = (m.result ?? {}) as Record<string, unknown>;
      if (m.success === true || m.success === "true") {
        this.counters.subscriptions++;
        const channel = String(r.channel ?? "");
        const symbol = String(r.symbol ?? "");
        if (channel === "book" && r.depth !== undefined) {
          const b = this.bookFor(symbol, Number(r.depth));
          if (b) b.depth = Number(r.depth);
        }
        this.options.onSubscribed?.(channel, symbol, true);
      } else {
        this.counters.subscribeErrors++;
        this.warn("subscription refused", { error: String(m.error ?? ""), symbol: String(m.symbol ?? "") });
        // v2 puts the refused symbol beside the error; the channel is in the request only
        const symbol = String(m.symbol ?? "");
        for (const channel of ["book", "trade"]) this.options.onSubscribed?.(channel, symbol, false);
      }
      return;
    }
    const channel = m.channel;
    if (channel === "heartbeat") {
      this.counters.heartbeats++;
      return;
    }
    if (channel === "status") {
      const d = (m.data as Record<string, unknown>[] | undefined)?.[0];
      this.venueStatus = String(d?.system ?? "");
      return;
    }
    if (channel === "instrument") {
      const set = instrumentsFromV2Snapshot(text);
      for (const [s, i] of set.bySymbol) this.instruments.set(s, i);
      const subscribed: string[] = [];
      for (const b of this.books.values()) {
        const i = set.bySymbol.get(b.symbol);
        if (i) subscribed.push(b.symbol);
      }
      this.publishInstruments(subscribed);
      return;
    }
    if (event === "error" || m.error !== undefined) {
      this.warn("venue error", { error: String(m.errorMessage ?? m.error ?? "") });
    }
    this.counters.unknownMessages++;
  }

  // ---- book upkeep and publishing --------------------------------------------------------------------------

  /** The book of a venue symbol, created on first use; undefined (counted) if the symbol makes no InstrumentId. */
  bookFor(symbol: string, depth = this.options.depth): KrakenBook | undefined {
    let b = this.books.get(symbol);
    if (b === undefined) {
      const id = this.idFor(symbol);
      if (id === undefined) return undefined;
      b = new KrakenBook(symbol, id, depth);
      this.books.set(symbol, b);
    }
    return b;
  }

  private readonly ids = new Map<string, InstrumentId>();

  private idFor(symbol: string): InstrumentId | undefined {
    let id = this.ids.get(symbol);
    if (id === undefined) {
      try {
        id = InstrumentId.fromVenueSymbol("kraken", symbol);
      } catch {
        this.counters.unknownMessages++;
        this.warn("symbol makes no InstrumentId", { symbol });
        return undefined;
      }
      this.ids.set(symbol, id);
    }
    return id;
  }

  private applyLevel(
    b: KrakenBook,
    side: "bid" | "ask",
    text: string,
    pa: number,
    pb: number,
    qa: number,
    qb: number,
    record: boolean,
  ): void {
    const price = scanDecimal(text, pa, pb, 8);
    const size = scanDecimal(text, qa, qb, 8);
    if (price === BAD_DECIMAL || size === BAD_DECIMAL) {
      if (decimalScan.error === "PrecisionLoss") this.counters.precisionErrors++;
      this.levelError = true;
      return;
    }
    b.book.set(side, price, size);
    if (record) this.changes.push({ price, size, side: side === "bid" ? 1 : 2 });
  }

  /** Truncates to the depth, recording a removal for every level that falls out of scope. */
  private truncateWithRemovals(b: KrakenBook): void {
    const { bids, asks } = b.book;
    for (let i = b.depth; i < bids.length; i++) this.changes.push({ price: bids[i].price, size: 0n, side: 1 });
    for (let i = b.depth; i < asks.length; i++) this.changes.push({ price: asks[i].price, size: 0n, side: 2 });
    b.book.truncate(b.depth);
  }

  private verify(b: KrakenBook, expected: number): boolean {
    const got = b.checksum.compute(b.book, b.priceDecimals, b.qtyDecimals);
    b.lastChecksum = got;
    if (got === expected) {
      b.checksumsVerified++;
      this.counters.checksumsVerified++;
      return true;
    }
    b.checksumMismatches++;
    this.counters.checksumMismatches++;
    this.warn("book checksum mismatch: rebuilding from a fresh snapshot", {
      symbol: b.symbol,
      update_id: b.updateId,
      expected,
      calculated: got,
    });
    this.resync(b, InvalidationReason.ChecksumMismatch, `checksum mismatch on ${b.symbol}`);
    return false;
  }

  private levelFailure(b: KrakenBook, text: string): void {
    this.warn("book level refused (not an exact e8 decimal): rebuilding", {
      symbol: b.symbol,
      reason: decimalScan.error,
      message: text.slice(0, 200),
    });
    this.resync(b, InvalidationReason.Stale, `bad level on ${b.symbol}`);
  }

  private resync(b: KrakenBook, reason: number, why: string): void {
    this.invalidate(b, reason);
    this.counters.resyncs++;
    if (!b.resyncPending) {
      b.resyncPending = true;
      this.options.onResync?.(b.symbol, why);
    }
  }

  private invalidate(b: KrakenBook, reason: number): void {
    b.synced = false;
    b.book.clear();
    this.counters.invalidations++;
    this.options.publisher.publish("StateInvalidation", {
      instrument: b.id,
      reason,
      venueSequence: BigInt(b.updateId),
    });
  }

  private finishSnapshot(b: KrakenBook, recvNs: bigint, truncated = false): void {
    if (!truncated) {
      if (this.levelError) {
        this.levelFailure(b, "");
        return;
      }
      b.book.truncate(b.depth);
      b.updateId = 1;
    }
    b.synced = true;
    b.resyncPending = false;
    this.publishBook(b, recvNs);
  }

  /** The book's top min(depth, ALPHAPULSE_MAX_ORDER_LEVELS) levels per side as an OrderBook snapshot. */
  private publishBook(b: KrakenBook, recvNs: bigint): void {
    const ts = this.msgTsNs > 0n ? this.msgTsNs : recvNs;
    const levels = Math.min(b.depth, this.maxLevels);
    this.options.publisher.publish("OrderBook", b.book.toTlv(b.id, ts, BigInt(b.updateId), levels, true));
  }

  private publishDelta(b: KrakenBook, recvNs: bigint): void {
    if (this.changes.length === 0) return;
    // A book deeper than one OrderBook TLV may carry (book-1000) is published as its top levels, re-sent whole on
    // every change: a delta could not tell a consumer which deeper level moves up into view.
    if (b.depth > this.maxLevels || this.changes.length > 2 * this.maxLevels) {
      this.publishBook(b, recvNs);
      return;
    }
    const id = BigInt(b.updateId);
    this.options.publisher.publish("BookDelta", {
      instrument: b.id,
      exchangeTsNs: this.msgTsNs > 0n ? this.msgTsNs : recvNs,
      firstUpdateId: id,
      lastUpdateId: id,
      changes: this.changes,
    });
  }

  private publishTrade(id: InstrumentId, price: bigint, size: bigint, ts: bigint, side: number, text: string): void {
    if (price === BAD_DECIMAL || size === BAD_DECIMAL || ts < 0n) {
      if (decimalScan.error === "PrecisionLoss") this.counters.precisionErrors++;
      else this.counters.parseErrors++;
      this.warn("trade refused (price or size not an exact e8 decimal)", { message: text.slice(0, 200) });
      return;
    }
    this.counters.trades++;
    this.options.publisher.publish("Trade", { instrument: id, price, size, exchangeTsNs: ts, side });
  }

  private bad(why: string, text: string): void {
    this.counters.parseErrors++;
    this.warn(why, { message: text.slice(0, 200) });
  }

  private warn(message: string, facts: Record<string, unknown>): void {
    this.options.onWarning?.(message, facts);
  }
}
