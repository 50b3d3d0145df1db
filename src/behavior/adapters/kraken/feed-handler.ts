import { DEFAULT_LIMITS } from "../../../core/limits.ts";
import { InstrumentId } from "../../../data/instrument-id.ts";
import { TlvType } from "../../../data/tlv-layouts.ts";
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
import { setU64, setU64Mul } from "../common/u64-writers.ts";
import { type BookSide, KrakenBook, KrakenLevel } from "./book.ts";
import { E8_BAD, E8_WIDE, rfc3339, rfc3339Ms, scanE8 } from "./e8.ts";
import { instrumentMeta, instrumentsFromV2Snapshot, type KrakenInstrument } from "./instrument-provider.ts";
import { JsonCursor, parseJsonKeepNumbers } from "./json-cursor.ts";
import { levelCrc, scanE8Crc, scanE8CrcTo, textDigitsCrc } from "./level-crc.ts";

export { KrakenBook } from "./book.ts";

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
  /** Read book updates in Kraken's exact form by the fast paths (default true; false: the general path only, tests). */
  fastPaths?: boolean;
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
  /** Book updates read by the fast paths (the exact form Kraken writes)... */
  fastPath: number;
  /** ...and book messages a fast path began and left to the general path (another form, a snapshot, bad input). */
  fastFallbacks: number;
  /** v1 book snapshots read by the snapshot fast path (`{"as":[..],"bs":[..]}` in Kraken's exact form). */
  fastSnapshots: number;
}

interface ChannelInfo {
  kind: "book" | "trade";
  symbol: string;
  /** The pair's book, looked up once (books are never removed). */
  book?: KrakenBook;
  /** The pair's InstrumentId (trade channels), looked up once. */
  id?: InstrumentId;
}

const I64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;
/** 10^(6 - d): µs per unit of a time's d-th fraction digit. */
const POW10_6 = [1e6, 1e5, 1e4, 1e3, 100, 10, 1];
/** A v2 book update as Kraken writes it, up to its symbol (the fast path's first check). */
const V2_UPDATE_HEAD = '{"channel":"book","type":"update","data":[{"symbol":"';
const V1_HEARTBEAT = '{"event":"heartbeat"}';
/** Levels one fast-path message may hold (more: the general path). */
const V1_SUB_HEAD = '{"channelID":';
const V1_SUB_MID = '","event":"subscriptionStatus","pair":"';
const V1_SUB_OK = '","status":"subscribed","subscription":{';
const V1_SYS_HEAD = '{"connectionID":';
const V1_SYS_MID = ',"event":"systemStatus","status":"';
const FAST_MAX_LEVELS = 256;
/** Levels a v1 snapshot may hold to be read by the snapshot fast path (Kraken's deepest book: 1000 a side). */
const SNAP_MAX_LEVELS = 4096;
const CH_CACHE = 64;
const V1_SNAP_HEAD = ',{"as":[';
const V1_SNAP_BIDS = ',"bs":[';
const QUOTE = 34;
const COMMA = 44;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;

/** Where scanV1TimeUs stopped: the index of the time's closing quote. */
let v1TimeEnd = 0;

/**
 * A v1 level time from `start` (after its opening quote): seconds, an optional point and up to 6 digits, as integer
 * µs (scanEpochMicros's value), in the same pass that finds the closing quote (left in v1TimeEnd). -1 for anything
 * else -- empty, more digits, seconds beyond 9e9 (µs past 2^53) -- so the fast path falls back to the general one.
 */
function scanV1TimeUs(text: string, start: number): number {
  let e = start;
  let sec = 0;
  let ch = text.charCodeAt(e);
  for (; ch >= 48 && ch <= 57; ch = text.charCodeAt(++e)) sec = sec * 10 + ch - 48;
  let frac = 0;
  let fd = 0;
  if (ch === 46) {
    for (ch = text.charCodeAt(++e); ch >= 48 && ch <= 57; ch = text.charCodeAt(++e)) {
      if (fd === 6) return -1;
      frac = frac * 10 + ch - 48;
      fd++;
    }
  }
  if (ch !== QUOTE || sec > 9e9 || e === start) return -1;
  v1TimeEnd = e;
  return sec * 1e6 + frac * POW10_6[fd];
}

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
    fastPath: 0,
    fastFallbacks: 0,
    fastSnapshots: 0,
  };
  readonly books = new Map<string, KrakenBook>();
  readonly instruments: Map<string, KrakenInstrument>;
  /** Venue status from v1 systemStatus / v2 status ("online", "maintenance", ...). */
  venueStatus = "";
  private readonly channels = new Map<number, ChannelInfo>();
  /** The last channel a v1 message named, and its info (-1: none; reset whenever `channels` changes). */
  private lastChId = -1;
  private lastCh: ChannelInfo | undefined;
  /**
   * Channels recently named by v1 messages, direct-mapped by id & (CH_CACHE - 1) (book-1000 sessions alternate
   * between their pairs, so the last channel alone rarely hits): id -1 is an empty slot. Entries are only ever ones
   * `channels` holds; any change of `channels` empties the cache.
   */
  private readonly chCacheId: number[] = new Array(CH_CACHE).fill(-1);
  private readonly chCacheInfo: (ChannelInfo | undefined)[] = new Array(CH_CACHE).fill(undefined);
  /** handle() tried this message's v1 fast path already (and fell back). */
  private v1FastTried = false;
  private readonly cur = new JsonCursor();
  private lastV2Book: KrakenBook | undefined;
  /** Exchange time of the book message being read: v1 latest level time in integer µs (0: none)... */
  private msgTsUs = 0;
  /** ...or, for a v1 time with more than 6 fraction digits, in exact ns (0n: none). */
  private msgTsNs = 0n;
  /** The message's exchange time for the frames: whole ms (-1: none, use the receive time) + ns below the ms... */
  private tsMs = -1;
  private tsSub = 0;
  /** ...or exact ns when it came as such (v1 times with more than 6 fraction digits). */
  private tsBig = 0n;
  private levelError = false;
  private levelReason = "";
  /** v2 snapshot without instrument precision: learn it from the literals. */
  private learnV2 = false;
  private readonly maxLevels: number;
  /** Changes of the book message being read (published as one BookDelta), as parallel arrays. */
  private nCh = 0;
  private readonly chP: number[] = [];
  private readonly chPb: (bigint | undefined)[] = [];
  private readonly chS: number[] = [];
  private readonly chSb: (bigint | undefined)[] = [];
  private readonly chSide: number[] = [];
  /** Fast paths: each read level's checksum CRC (g, length), beside its change. */
  private readonly chG: number[] = [];
  private readonly chL: number[] = [];
  /** levelE8's bigint, when its value is 2^53 or more. */
  private levelBig: bigint | undefined;
  /** Deep books: the last level of each side's published view before the message (undefined: view not full). */
  private bidEdge: KrakenLevel | undefined;
  private askEdge: KrakenLevel | undefined;

  constructor(private readonly options: KrakenFeedHandlerOptions) {
    this.instruments = options.instruments ?? new Map();
    this.maxLevels = options.maxLevels ?? DEFAULT_LIMITS.maxOrderLevels;
    this.fast = options.fastPaths ?? true;
  }

  private readonly fast: boolean;

  /** A new connection: channel ids start over and every resync is answered by the new subscriptions. */
  resetSession(): void {
    this.channels.clear();
    this.chCacheId.fill(-1);
    this.lastChId = -1;
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
    this.v1FastTried = false;
    const c0 = text.charCodeAt(0);
    if (c0 === LBRACKET && this.fast) {
      // [id,...: the channel of the last v1 message again, its book synced with known precision: its fast path at once
      // the channel id read again inline (v1Channel reads it with the cursor): the fast path runs before any cursor
      let id = 0;
      let e = 1;
      for (let ch = text.charCodeAt(e); ch >= 48 && ch <= 57 && e < 16; ch = text.charCodeAt(++e))
        id = id * 10 + ch - 48;
      const slot = id & (CH_CACHE - 1);
      const info =
        id === this.lastChId ? this.lastCh : this.chCacheId[slot] === id ? this.chCacheInfo[slot] : undefined;
      const b = info?.book;
      if (e > 1 && text.charCodeAt(e) === COMMA && b !== undefined) {
        if (b.synced && b.priceDecimals >= 0 && b.qtyDecimals >= 0) {
          if (this.v1UpdateFast(b, text, e, recvNs)) {
            this.lastChId = id; // as v1Channel leaves it
            this.lastCh = info;
            return;
          }
          this.counters.fastFallbacks++;
          this.v1FastTried = true; // the general path below reads it without trying again
        }
      }
    } else if (c0 === LBRACE && this.fast) {
      // the two messages of a session that come by the thousand, in the exact form Kraken writes them
      if (text.startsWith(V2_UPDATE_HEAD)) {
        if (this.v2UpdateFast(text, recvNs)) return;
        this.counters.fastFallbacks++;
      }
      if (text === V1_HEARTBEAT) {
        this.counters.heartbeats++;
        return;
      }
      // v1 subscriptionStatus / systemStatus in Kraken's exact form (once per pair / connection): read in place
      if (
        text.startsWith(V1_SUB_HEAD)
          ? this.v1SubscribedFast(text)
          : text.startsWith(V1_SYS_HEAD) && this.v1SystemFast(text)
      )
        return;
    }
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
    let info = channelId === this.lastChId ? this.lastCh : this.channels.get(channelId);
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
      this.lastChId = -1;
      this.chCacheId.fill(-1);
      this.channels.set(channelId, info);
    }
    const slot = channelId & (CH_CACHE - 1);
    this.chCacheId[slot] = channelId;
    this.chCacheInfo[slot] = info;
    this.lastChId = channelId;
    this.lastCh = info;
    if (info.kind === "book") this.v1Book(info, text, recvNs);
    else this.v1Trades(info, text);
  }

  private v1Book(info: ChannelInfo, text: string, recvNs: bigint): void {
    const b = info.book ?? (info.book = this.bookFor(info.symbol));
    if (b === undefined) return;
    const c = this.cur;
    if (b.synced && b.priceDecimals >= 0 && b.qtyDecimals >= 0 && this.fast && !this.v1FastTried) {
      if (this.v1UpdateFast(b, text, c.i, recvNs)) return;
      this.counters.fastFallbacks++;
    }
    if (this.fast && text.startsWith(V1_SNAP_HEAD, c.i)) {
      if (this.v1SnapshotFast(b, text, c.i + V1_SNAP_HEAD.length, recvNs)) return;
      this.counters.fastFallbacks++;
    }
    this.beginMessage(b);
    let snapshot = false;
    let hasChecksum = false;
    let checksum = 0;
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
          hasChecksum = true;
          checksum = digitsValue(text, c.a, c.b);
        } else if ((len === 1 || len === 2) && (k0 === 97 || k0 === 98)) {
          const isSnapshot = len === 2;
          if (isSnapshot && !snapshot) {
            snapshot = true;
            b.clear();
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
    const us = this.msgTsUs;
    if (this.msgTsNs > 0n) {
      const ns = BigInt(us) * 1000n;
      this.tsBig = ns > this.msgTsNs ? ns : this.msgTsNs;
    } else if (us > 0) this.setTsUs(us);
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
    this.finishUpdate(b, hasChecksum, checksum, recvNs);
  }

  /** Reads [[price, volume, time(, "r")], ...] into the book. */
  private v1Levels(b: KrakenBook, bid: boolean, snapshot: boolean): boolean {
    const c = this.cur;
    const text = c.s;
    if (!c.expect(LBRACKET)) return false;
    if (c.eat(RBRACKET)) return true;
    const side = bid ? b.bids : b.asks;
    const code = bid ? 1 : 2;
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
          if (ns > U64_MAX) {
            // a time no u64 of ns holds (the frame's exchange_ts_ns): refused like a level out of range
            this.levelReason = "OutOfRange";
            this.levelError = true;
          } else if (ns > this.msgTsNs) this.msgTsNs = ns;
        }
      }
      while (c.eat(44)) if (!c.skip()) return false; // "r" (republish) and anything newer
      if (!c.expect(RBRACKET)) return false;
      if (snapshot) learnDecimals(b, text, pa, pb, qa, qb);
      this.applyLevel(b, side, code, text, pa, pb, qa, qb, snapshot);
    } while (c.more(RBRACKET));
    return c.ok;
  }

  private v1Trades(info: ChannelInfo, text: string): void {
    const c = this.cur;
    if (!c.expect(44) || !c.expect(LBRACKET)) {
      this.bad("v1 trade message does not parse", text);
      return;
    }
    const id = info.id ?? (info.id = this.idFor(info.symbol));
    if (id === undefined) return;
    if (c.eat(RBRACKET)) return;
    do {
      if (!c.expect(LBRACKET) || !c.str()) break;
      const pa = c.a;
      const pz = c.b;
      if (!c.expect(44) || !c.str()) break;
      const qa = c.a;
      const qz = c.b;
      if (!c.expect(44) || !c.str()) break;
      const ta = c.a;
      const tz = c.b;
      if (!c.expect(44) || !c.str()) break;
      // v1 trade side: "b" buy / "s" sell, the side of the order that triggered the trade (the taker).
      const sideCode = text.charCodeAt(c.a);
      const side = sideCode === 98 ? 1 : sideCode === 115 ? 2 : 0;
      while (c.eat(44)) if (!c.skip()) break;
      if (!c.expect(RBRACKET)) break;
      const price = scanE8(text, pa, pz);
      const size = scanE8(text, qa, qz);
      const us = scanEpochMicros(text, ta, tz);
      if (price >= 0 && size >= 0 && us >= 0) this.publishTradeE8(id, price, size, us, side);
      else {
        // 2^53 or more, more than 6 fraction digits in the time, or refused: the bigint path decides
        const ts = scanEpochSecondsNs(text, ta, tz);
        this.publishTrade(id, scanDecimal(text, pa, pz, 8), scanDecimal(text, qa, qz, 8), ts, side, text);
      }
    } while (c.more(RBRACKET));
    if (!c.ok) this.bad("v1 trade message does not parse", text);
  }

  // ---- fast paths: book updates in the exact form Kraken writes them ---------------------------------------
  //
  // Two phases: the whole message is read first (levels, values and checksum CRCs into the change arrays, checksum,
  // time) without touching the book; anything the template does not expect -- another key order, whitespace, a
  // number that is not a plain decimal, a value of 2^53 or more, a refused level, too many levels -- returns false
  // before a level is applied, and the general path reads the message from the start and decides (counts, errors).
  // Then the levels are applied and the update finishes exactly as the general path finishes it (asserted by the
  // tests: same frames and counters for every captured message and for generated ones).

  /**
   * v1 update [id,{"a":[[p,q,t(,"r")],...]}(,{"b":[...]}),"c":"..."},name,pair]: `i` at the ',' after the channel id.
   * The book is synced and its precision known.
   */
  private v1UpdateFast(b: KrakenBook, text: string, i: number, recvNs: bigint): boolean {
    const pd = b.priceDecimals;
    const qd = b.qtyDecimals;
    this.nCh = 0;
    let checksum = 0;
    let hasChecksum = false;
    let objects = 0;
    let tsUs = 0;
    // objects: ,{"key":...} while they come
    while (text.charCodeAt(i) === COMMA && text.charCodeAt(i + 1) === LBRACE && text.charCodeAt(i + 2) === QUOTE) {
      i += 3;
      for (;;) {
        const k = text.charCodeAt(i);
        if (text.charCodeAt(i + 1) !== QUOTE || text.charCodeAt(i + 2) !== 58) return false;
        if ((k === 97 || k === 98) && text.charCodeAt(i + 3) === LBRACKET) {
          // "a" / "b": [[p, q, t(, "r")], ...]
          i += 4;
          const code = k === 98 ? 1 : 2;
          if (text.charCodeAt(i) === RBRACKET) i++;
          else {
            for (;;) {
              if (text.charCodeAt(i) !== LBRACKET || text.charCodeAt(i + 1) !== QUOTE) return false;
              const p = scanE8CrcTo(text, i + 2, pd, 0, 0);
              i = levelCrc.end;
              if (p < 0 || text.charCodeAt(i) !== QUOTE || text.charCodeAt(i + 1) !== COMMA) return false;
              if (text.charCodeAt(i + 2) !== QUOTE) return false;
              const q = scanE8CrcTo(text, i + 3, qd, levelCrc.g, levelCrc.len);
              i = levelCrc.end;
              if (q < 0 || text.charCodeAt(i) !== QUOTE || text.charCodeAt(i + 1) !== COMMA) return false;
              if (text.charCodeAt(i + 2) !== QUOTE) return false;
              const us = scanV1TimeUs(text, i + 3);
              if (us < 0) return false;
              const e = v1TimeEnd;
              if (us > tsUs) tsUs = us;
              i = e + 1;
              if (text.charCodeAt(i) !== RBRACKET) {
                // a republished level: ,"r"]
                if (text.charCodeAt(i) !== COMMA || text.charCodeAt(i + 1) !== QUOTE) return false;
                if (text.charCodeAt(i + 2) !== 114 || text.charCodeAt(i + 3) !== QUOTE) return false;
                i += 4;
                if (text.charCodeAt(i) !== RBRACKET) return false;
              }
              if (!this.pushFast(p, q, code)) return false;
              const next = text.charCodeAt(i + 1);
              i += 2;
              if (next === RBRACKET) break;
              if (next !== COMMA) return false;
            }
          }
        } else if (k === 99 && text.charCodeAt(i + 3) === QUOTE) {
          // "c": "checksum" (1 to 10 digits)
          // digitsAt inline: a call here costs the per-update path a few % (bench/collector-kraken.ts)
          let v = 0;
          let e = i + 4;
          for (let ch = text.charCodeAt(e); ch >= 48 && ch <= 57; ch = text.charCodeAt(++e)) v = v * 10 + ch - 48;
          if (e === i + 4 || e - (i + 4) > 10 || text.charCodeAt(e) !== QUOTE) return false;
          checksum = v;
          hasChecksum = true;
          i = e + 1;
        } else return false;
        const ch = text.charCodeAt(i);
        if (ch === RBRACE) {
          i++;
          break;
        }
        if (ch !== COMMA || text.charCodeAt(i + 1) !== QUOTE) return false;
        i += 2;
      }
      objects++;
    }
    if (objects === 0 || text.charCodeAt(i) !== COMMA) return false;
    // phase 2
    const n = this.nCh;
    this.beginMessage(b);
    this.applyFast(b, n);
    if (tsUs > 0) {
      // setTsUs inline: the per-update path, measured faster without the call (bench/collector-kraken.ts)
      const ms = Math.floor(tsUs / 1000);
      this.tsMs = ms;
      this.tsSub = (tsUs - ms * 1000) * 1000;
    }
    this.counters.bookUpdates++;
    this.counters.fastPath++;
    this.finishUpdate(b, hasChecksum, checksum, recvNs);
    return true;
  }

  /**
   * v1 snapshot in Kraken's exact form, from `i` (after ',{"as":['): [["p","q","t"],..] asks strictly ascending,
   * ',"bs":[' bids strictly descending, then '},' and no further object. Read in two phases as the update fast path:
   * values, fraction digits and the latest level time first, without touching the book; any other form (a size 0,
   * levels out of order or repeated, a 4th element, more than 6 fraction digits in a time, a value of 2^53 or more,
   * more than SNAP_MAX_LEVELS levels) returns false before the book is cleared and the general path reads the message.
   * The result is the general path's: the levels in order (pushed, not searched: they are sorted), the precision
   * learnt as the widest fraction of the snapshot's texts, the time as the latest level time.
   */
  private v1SnapshotFast(b: KrakenBook, text: string, i: number, recvNs: bigint): boolean {
    const P = this.chP;
    const S = this.chS;
    let n = 0;
    let nAsks = 0;
    let pd = -1;
    let qd = -1;
    let tsUs = 0;
    for (let side = 0; side < 2; side++) {
      const bid = side === 1;
      let prev = -1;
      if (text.charCodeAt(i) === RBRACKET) i++;
      else {
        // The level template is v1UpdateFast's, copied inline on purpose: a shared reader costs the hot loop (bench).
        for (;;) {
          if (text.charCodeAt(i) !== LBRACKET || text.charCodeAt(i + 1) !== QUOTE) return false;
          const p = snapE8(text, i + 2);
          i = levelCrc.end;
          if (p < 0 || text.charCodeAt(i) !== QUOTE || text.charCodeAt(i + 1) !== COMMA) return false;
          if (text.charCodeAt(i + 2) !== QUOTE) return false;
          if (prev >= 0 && (bid ? p >= prev : p <= prev)) return false;
          prev = p;
          if (levelCrc.fd > pd) pd = levelCrc.fd;
          const q = snapE8(text, i + 3);
          i = levelCrc.end;
          if (q <= 0 || text.charCodeAt(i) !== QUOTE || text.charCodeAt(i + 1) !== COMMA) return false;
          if (text.charCodeAt(i + 2) !== QUOTE) return false;
          if (levelCrc.fd > qd) qd = levelCrc.fd;
          const us = scanV1TimeUs(text, i + 3);
          if (us < 0) return false;
          const e = v1TimeEnd;
          if (us > tsUs) tsUs = us;
          if (text.charCodeAt(e + 1) !== RBRACKET || n === SNAP_MAX_LEVELS) return false;
          P[n] = p;
          S[n] = q;
          n++;
          const next = text.charCodeAt(e + 2);
          i = e + 3;
          if (next === RBRACKET) break;
          if (next !== COMMA) return false;
        }
      }
      if (side === 0) {
        if (!text.startsWith(V1_SNAP_BIDS, i)) return false;
        i += V1_SNAP_BIDS.length;
        nAsks = n;
      }
    }
    if (text.charCodeAt(i) !== RBRACE || text.charCodeAt(i + 1) !== COMMA || text.charCodeAt(i + 2) === LBRACE) {
      return false;
    }
    // phase 2
    this.beginMessage(b);
    b.clear();
    b.priceDecimals = pd;
    b.qtyDecimals = qd;
    const depth = b.depth;
    const asks = b.asks.levels;
    const bids = b.bids.levels;
    for (let k = 0; k < nAsks && k < depth; k++) asks.push(new KrakenLevel(P[k], undefined, S[k], undefined, 0, 0, -1));
    for (let k = nAsks; k < n && k - nAsks < depth; k++) {
      bids.push(new KrakenLevel(P[k], undefined, S[k], undefined, 0, 0, -1));
    }
    if (tsUs > 0) this.setTsUs(tsUs);
    this.counters.bookSnapshots++;
    this.counters.fastSnapshots++;
    this.finishSnapshot(b, recvNs);
    return true;
  }

  /**
   * v1 subscriptionStatus of an accepted subscription in Kraken's exact form: {"channelID":N,"channelName":"..",
   * "event":"subscriptionStatus","pair":"..","status":"subscribed","subscription":{"name":"trade"}} or
   * {..,"subscription":{"depth":N,"name":"book"}}. Anything else (other order, escapes, more keys, an error): false,
   * and the general path reads it.
   */
  private v1SubscribedFast(text: string): boolean {
    const channelId = digitsAt(text, V1_SUB_HEAD.length);
    if (channelId < 0 || !text.startsWith(',"channelName":"', digitsEnd)) return false;
    let i = digitsEnd + 16;
    const nameEnd = plainStringEnd(text, i);
    if (nameEnd < 0 || !text.startsWith(V1_SUB_MID, nameEnd)) return false;
    const pairA = nameEnd + V1_SUB_MID.length;
    const pairB = plainStringEnd(text, pairA);
    if (pairB < 0 || !text.startsWith(V1_SUB_OK, pairB)) return false;
    i = pairB + V1_SUB_OK.length;
    let depth = -1;
    if (text.startsWith('"depth":', i)) {
      depth = digitsAt(text, i + 8);
      if (depth <= 0 || text.charCodeAt(digitsEnd) !== COMMA) return false;
      i = digitsEnd + 1;
    }
    if (!text.startsWith('"name":"', i)) return false;
    const subA = i + 8;
    const subB = plainStringEnd(text, subA);
    if (subB < 0 || subB + 3 !== text.length || !text.endsWith('"}}')) return false;
    const d = depth > 0 ? depth : this.options.depth;
    this.subscribedV1(text.slice(subA, subB), text.slice(pairA, pairB), channelId, d);
    return true;
  }

  /** v1 systemStatus in Kraken's exact form: {"connectionID":N,"event":"systemStatus","status":"..","version":".."}. */
  private v1SystemFast(text: string): boolean {
    let e = V1_SYS_HEAD.length;
    while (text.charCodeAt(e) >= 48 && text.charCodeAt(e) <= 57) e++;
    if (e === V1_SYS_HEAD.length || !text.startsWith(V1_SYS_MID, e)) return false;
    const a = e + V1_SYS_MID.length;
    const b = plainStringEnd(text, a);
    if (b < 0 || !text.startsWith('","version":"', b)) return false;
    const v = plainStringEnd(text, b + 13);
    if (v < 0 || v + 2 !== text.length || text.charCodeAt(v + 1) !== RBRACE) return false;
    this.venueStatus = text.slice(a, b);
    return true;
  }

  /** v2 update (V2_UPDATE_HEAD, then symbol, bids, asks, checksum, timestamp, in this order). */
  private v2UpdateFast(text: string, recvNs: bigint): boolean {
    let i = V2_UPDATE_HEAD.length;
    let b = this.lastV2Book;
    if (b === undefined || !text.startsWith(b.symbol, i) || text.charCodeAt(i + b.symbol.length) !== QUOTE) {
      b = undefined;
      for (const x of this.books.values()) {
        if (text.startsWith(x.symbol, i) && text.charCodeAt(i + x.symbol.length) === QUOTE) {
          b = x;
          break;
        }
      }
      if (b === undefined) return false;
    }
    if (!b.synced || b.priceDecimals < 0 || b.qtyDecimals < 0) return false;
    i += b.symbol.length;
    if (!text.startsWith('","bids":[', i)) return false;
    this.nCh = 0;
    i = this.v2FastLevels(text, i + 10, b.priceDecimals, b.qtyDecimals, 1);
    if (i < 0 || !text.startsWith(',"asks":[', i)) return false;
    i = this.v2FastLevels(text, i + 9, b.priceDecimals, b.qtyDecimals, 2);
    if (i < 0 || !text.startsWith(',"checksum":', i)) return false;
    i += 12;
    // digitsAt inline: a call here costs the per-update path a few % (bench/collector-kraken.ts)
    let checksum = 0;
    let e = i;
    for (let ch = text.charCodeAt(e); ch >= 48 && ch <= 57; ch = text.charCodeAt(++e))
      checksum = checksum * 10 + ch - 48;
    if (e === i || e - i > 10 || !text.startsWith(',"timestamp":"', e)) return false;
    const tsA = e + 14;
    const tsB = text.indexOf('"', tsA);
    if (tsB < 0 || tsB + 4 !== text.length || !text.endsWith('"}]}')) return false;
    // phase 2
    const n = this.nCh;
    this.lastV2Book = b;
    this.beginMessage(b);
    this.counters.bookUpdates++;
    this.counters.fastPath++;
    this.applyFast(b, n);
    this.tsMs = rfc3339Ms(text, tsA, tsB);
    this.tsSub = rfc3339.subMsNs;
    this.finishUpdate(b, true, checksum, recvNs);
    return true;
  }

  /** [{"price":n,"qty":n},...] from `i` (after the '['); returns the index after the ']', -1: not the template. */
  private v2FastLevels(text: string, i: number, pd: number, qd: number, code: number): number {
    if (text.charCodeAt(i) === RBRACKET) return i + 1;
    for (;;) {
      if (!text.startsWith('{"price":', i)) return -1;
      const p = scanE8CrcTo(text, i + 9, pd, 0, 0);
      i = levelCrc.end;
      if (p < 0 || !text.startsWith(',"qty":', i)) return -1;
      const q = scanE8CrcTo(text, i + 7, qd, levelCrc.g, levelCrc.len);
      i = levelCrc.end;
      if (q < 0 || text.charCodeAt(i) !== RBRACE) return -1;
      if (!this.pushFast(p, q, code)) return -1;
      const next = text.charCodeAt(i + 1);
      i += 2;
      if (next === RBRACKET) return i;
      if (next !== COMMA) return -1;
    }
  }

  /** Appends a level read by a fast path (value, size, levelCrc) to the change arrays; false when they are full. */
  private pushFast(p: number, q: number, code: number): boolean {
    const n = this.nCh;
    if (n === FAST_MAX_LEVELS) return false;
    this.chP[n] = p;
    this.chS[n] = q;
    this.chG[n] = levelCrc.g;
    this.chL[n] = levelCrc.len;
    this.chSide[n] = code;
    this.nCh = n + 1;
    return true;
  }

  /** Phase 2: the n levels read into the change arrays go into the book, in order; they are the message's changes. */
  private applyFast(b: KrakenBook, n: number): void {
    const epoch = b.epoch;
    for (let k = 0; k < n; k++) {
      const s = this.chS[k];
      this.chPb[k] = undefined;
      this.chSb[k] = undefined;
      (this.chSide[k] === 1 ? b.bids : b.asks).set(
        this.chP[k],
        undefined,
        s,
        undefined,
        this.chG[k],
        this.chL[k],
        s === 0 ? -1 : epoch,
      );
    }
    this.nCh = n;
  }

  // ---- objects: v1 events, v2 channel messages and method responses ----------------------------------------

  private objectMessage(text: string, recvNs: bigint): void {
    const c = this.cur;
    c.i++;
    let channelA = -1;
    let channelB = -1;
    let snapshot = false;
    let typed = false;
    let dataAt = -1;
    let control = false;
    let done = false;
    let systemStatus = false;
    let subStatus = false;
    let pong = false;
    let statusA = -1;
    let statusB = -1;
    let channelId = Number.NaN;
    let pairA = -1;
    let pairB = -1;
    let nameA = -1;
    let nameB = -1;
    let depth = -1;
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
          typed = true;
        } else if (c.is("data")) {
          if (!control && typed && !done && channelA >= 0 && c.equals(channelA, channelB, "book")) {
            // channel and type came first (as Kraken sends them): the book data is read in place, in one pass
            if (!this.v2Book(text, snapshot, recvNs)) {
              c.ok = false;
              break;
            }
            done = true;
            continue;
          }
          dataAt = c.i;
          if (!c.skip()) break;
        } else if (c.is("event")) {
          if (!c.str()) break;
          if (c.is("heartbeat") && c.peek() === RBRACE) {
            this.counters.heartbeats++; // {"event":"heartbeat"}: once a second per idle v1 connection
            return;
          }
          if (c.is("pong")) pong = true;
          else if (c.is("systemStatus")) systemStatus = true;
          else if (c.is("subscriptionStatus")) subStatus = true;
          control = true;
        } else if (c.is("status") && c.peek() === 34) {
          if (!c.str()) break;
          statusA = c.a;
          statusB = c.b;
        } else if (c.is("channelID") && c.peek() !== 34) {
          if (!c.literal()) break;
          channelId = digitsValue(text, c.a, c.b);
        } else if (c.is("pair") && c.peek() === 34) {
          if (!c.str()) break;
          pairA = c.a;
          pairB = c.b;
        } else if (c.is("subscription") && c.peek() === LBRACE) {
          // {"name": "book" | "trade", "depth": 10, ...}
          c.i++;
          if (!c.eat(RBRACE)) {
            do {
              if (!c.key()) break;
              if (c.is("name") && c.peek() === 34) {
                if (!c.str()) break;
                nameA = c.a;
                nameB = c.b;
              } else if (c.is("depth") && c.peek() !== 34) {
                if (!c.literal()) break;
                depth = digitsValue(text, c.a, c.b);
              } else if (!c.skip()) break;
            } while (c.more(RBRACE));
          }
          if (!c.ok) break;
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
    if (done || pong) return; // a pong (v1) says only that the link is alive: nothing to count (as control())
    if (systemStatus && statusA >= 0) {
      // v1 systemStatus (connectionID beside it is > 2^53: never read as a number), read in place
      this.venueStatus = text.slice(statusA, statusB);
      return;
    }
    if (subStatus && statusA >= 0 && c.equals(statusA, statusB, "subscribed") && pairA >= 0 && nameA >= 0) {
      // v1 subscriptionStatus of an accepted subscription, read in place (as control() would)
      if (!Number.isNaN(channelId) && (depth > 0 || depth === -1)) {
        const d = depth > 0 ? depth : this.options.depth;
        this.subscribedV1(text.slice(nameA, nameB), text.slice(pairA, pairB), channelId, d);
        return;
      }
    }
    if (!control && dataAt >= 0 && channelA >= 0) {
      if (c.equals(channelA, channelB, "book")) {
        c.i = dataAt;
        if (!this.v2Book(text, snapshot, recvNs)) this.bad("v2 book message does not parse", text);
        return;
      }
      if (c.equals(channelA, channelB, "trade")) {
        this.v2Trades(text, dataAt);
        return;
      }
    }
    this.control(text);
  }

  /**
   * v2 book data [{symbol, bids, asks, checksum, timestamp}, ...] read in place from the cursor (one pass over the
   * text: levels are applied as they are read when the symbol came first, as Kraken sends it; otherwise they are
   * read after the item). False: the text does not parse.
   */
  private v2Book(text: string, snapshot: boolean, recvNs: bigint): boolean {
    const c = this.cur;
    if (!c.expect(LBRACKET)) return false;
    if (c.eat(RBRACKET)) return true;
    do {
      if (!c.expect(LBRACE)) return false;
      let b: KrakenBook | undefined;
      let symbol = false;
      let bidsAt = -1;
      let asksAt = -1;
      let checksum = -1;
      let tsA = -1;
      let tsB = -1;
      if (!c.eat(RBRACE)) {
        do {
          if (!c.key()) return false;
          const len = c.b - c.a;
          const k0 = text.charCodeAt(c.a);
          if (len === 4 && (k0 === 98 || k0 === 97) && (c.is("bids") || c.is("asks"))) {
            const bid = k0 === 98;
            if (b !== undefined) {
              if (!this.v2Levels(b, bid, snapshot)) return false;
            } else {
              if (bid) bidsAt = c.i;
              else asksAt = c.i;
              if (!c.skip()) return false;
            }
          } else if (len === 6 && c.is("symbol")) {
            if (!c.str()) return false;
            symbol = true;
            b = this.v2ItemBook(text, c.a, c.b, snapshot);
          } else if (len === 8 && c.is("checksum")) {
            if (!c.literal()) return false;
            checksum = digitsValue(text, c.a, c.b);
          } else if (len === 9 && c.is("timestamp")) {
            if (!c.str()) return false;
            tsA = c.a;
            tsB = c.b;
          } else if (!c.skip()) return false;
        } while (c.more(RBRACE));
        if (!c.ok) return false;
      }
      if (!symbol) return false;
      if (b !== undefined && (bidsAt >= 0 || asksAt >= 0)) {
        const after = c.i;
        if (bidsAt >= 0) {
          c.i = bidsAt;
          if (!this.v2Levels(b, true, snapshot)) return false;
        }
        if (asksAt >= 0) {
          c.i = asksAt;
          if (!this.v2Levels(b, false, snapshot)) return false;
        }
        c.i = after;
      }
      if (b !== undefined) this.v2ItemEnd(b, text, snapshot, checksum, tsA, tsB, recvNs);
    } while (c.more(RBRACKET));
    return c.ok;
  }

  /** The book of a v2 item, its message begun; undefined when its levels are to be skipped (counted). */
  private v2ItemBook(text: string, a: number, z: number, snapshot: boolean): KrakenBook | undefined {
    // the symbol string is made once per book, not per message
    const last = this.lastV2Book;
    const symbol = last !== undefined && this.cur.equals(a, z, last.symbol) ? last.symbol : text.slice(a, z);
    const b = this.bookFor(symbol);
    if (b === undefined) return undefined;
    this.lastV2Book = b;
    this.beginMessage(b);
    if (snapshot) {
      this.counters.bookSnapshots++;
      b.clear();
      const inst = this.instruments.get(symbol);
      b.priceDecimals = inst ? inst.priceDecimals : -1;
      b.qtyDecimals = inst ? inst.qtyDecimals : -1;
      this.learnV2 = inst === undefined;
      return b;
    }
    this.counters.bookUpdates++;
    if (!b.synced) {
      this.counters.skippedWhileStale++;
      return undefined;
    }
    return b;
  }

  private v2ItemEnd(
    b: KrakenBook,
    text: string,
    snapshot: boolean,
    checksum: number,
    tsA: number,
    tsB: number,
    recvNs: bigint,
  ): void {
    if (tsA >= 0) {
      this.tsMs = rfc3339Ms(text, tsA, tsB);
      this.tsSub = rfc3339.subMsNs;
    }
    if (this.levelError) {
      this.levelFailure(b, text);
      return;
    }
    if (snapshot) {
      b.truncate(b.depth);
      b.updateId = 1;
      if (checksum >= 0 && !this.verify(b, checksum)) return;
      this.finishSnapshot(b, recvNs, true);
      return;
    }
    this.finishUpdate(b, checksum >= 0, checksum, recvNs);
  }

  /** Reads [{"price": n, "qty": n}, ...] at the cursor into the book. */
  private v2Levels(b: KrakenBook, bid: boolean, snapshot: boolean): boolean {
    const c = this.cur;
    const text = c.s;
    if (!c.expect(LBRACKET)) return false;
    if (c.eat(RBRACKET)) return true;
    const side = bid ? b.bids : b.asks;
    const code = bid ? 1 : 2;
    const learn = snapshot && this.learnV2;
    // v1Levels' framing; the level reader differs (objects, not arrays), and a shared loop would call back per level
    do {
      if (!c.expect(LBRACE)) return false;
      let pa = -1;
      let pb = -1;
      let qa = -1;
      let qb = -1;
      do {
        if (!c.key()) return false;
        const len = c.b - c.a;
        if (len === 5 && c.is("price")) {
          if (!c.scalar()) return false;
          pa = c.a;
          pb = c.b;
        } else if (len === 3 && c.is("qty")) {
          if (!c.scalar()) return false;
          qa = c.a;
          qb = c.b;
        } else if (!c.skip()) return false;
      } while (c.more(RBRACE));
      if (pa < 0 || qa < 0) return false;
      // No instrument metadata yet: take the precision from the literals (full precision on a real v2 wire).
      if (learn) learnDecimals(b, text, pa, pb, qa, qb);
      this.applyLevel(b, side, code, text, pa, pb, qa, qb, snapshot);
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

  /**
   * An accepted v1 subscription (the fast path, the in-place read and control()); channelId undefined: not given
   * (no channel is mapped); depth as the caller resolved it (the book's depth).
   */
  private subscribedV1(name: string, symbol: string, channelId: number | undefined, depth: number): void {
    this.counters.subscriptions++;
    const kind = name === "book" ? "book" : name === "trade" ? "trade" : undefined;
    if (kind && channelId !== undefined) {
      this.lastChId = -1;
      this.chCacheId.fill(-1);
      this.channels.set(channelId, { kind, symbol });
    }
    if (kind === "book") {
      const b = this.bookFor(symbol, depth);
      if (b) b.depth = depth;
    }
    this.options.onSubscribed?.(name, symbol, true);
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
        const channelId = m.channelID === undefined ? undefined : Number(m.channelID);
        this.subscribedV1(name, symbol, channelId, Number(sub.depth ?? this.options.depth));
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

  /** The message time from epoch microseconds: whole ms in tsMs, the rest in ns in tsSub. */
  private setTsUs(us: number): void {
    const ms = Math.floor(us / 1000);
    this.tsMs = ms;
    this.tsSub = (us - ms * 1000) * 1000;
  }

  /** Starts a book message: no changes yet, no time yet, the deep view's edges as they stand. */
  private beginMessage(b: KrakenBook): void {
    this.nCh = 0;
    this.levelError = false;
    this.msgTsUs = 0;
    this.msgTsNs = 0n;
    this.tsMs = -1;
    this.tsSub = 0;
    this.tsBig = 0n;
    if (b.depth > this.maxLevels) {
      const v = this.maxLevels;
      const bids = b.bids.levels;
      const asks = b.asks.levels;
      this.bidEdge = bids.length >= v ? bids[v - 1] : undefined;
      this.askEdge = asks.length >= v ? asks[v - 1] : undefined;
    }
  }

  /**
   * One level of a message: exact e8 Numbers (bigints only for values of 2^53 or more), the level's checksum CRC from
   * its text (updates; snapshot levels get theirs from their value once they are checksummed, since a v1 snapshot's
   * precision is known only at its end), the book, and the change for the BookDelta.
   */
  private applyLevel(
    b: KrakenBook,
    side: BookSide,
    code: number,
    text: string,
    pa: number,
    pz: number,
    qa: number,
    qz: number,
    snapshot: boolean,
  ): void {
    if (!snapshot) {
      // an update: value and checksum digits in one pass each for price and qty
      const p = scanE8Crc(text, pa, pz, b.priceDecimals, 0, 0);
      if (p >= 0) {
        const s = scanE8Crc(text, qa, qz, b.qtyDecimals, levelCrc.g, levelCrc.len);
        if (s >= 0) {
          side.set(p, undefined, s, undefined, levelCrc.g, levelCrc.len, s === 0 ? -1 : b.epoch);
          this.record(p, undefined, s, undefined, code);
          return;
        }
      }
      // values of 2^53 or more, or refused: the general path reads them again
    }
    const p = this.levelE8(text, pa, pz);
    if (p < 0) return;
    const pBig = this.levelBig;
    const s = this.levelE8(text, qa, qz);
    if (s < 0) return;
    const sBig = this.levelBig;
    if (snapshot) {
      side.set(p, pBig, s, sBig, 0, 0, -1);
      return;
    }
    if (s !== 0 || sBig !== undefined) {
      textDigitsCrc(text, pa, pz, b.priceDecimals, 0, 0);
      textDigitsCrc(text, qa, qz, b.qtyDecimals, levelCrc.g, levelCrc.len);
      side.set(p, pBig, s, sBig, levelCrc.g, levelCrc.len, b.epoch);
    } else side.set(p, pBig, 0, undefined, 0, 0, -1);
    this.record(p, pBig, s, sBig, code);
  }

  /**
   * A level's price or qty, text[a, z), at e8: the value, with levelBig its bigint when it is 2^53 or more (else
   * undefined); -1 when it is refused (refuseLevel done).
   */
  private levelE8(text: string, a: number, z: number): number {
    const v = scanE8(text, a, z);
    this.levelBig = undefined;
    if (v >= 0) return v;
    const big = v === E8_BAD ? undefined : this.wide(text, a, z);
    if (big === undefined) {
      this.refuseLevel();
      return -1;
    }
    this.levelBig = big;
    return Number(big);
  }

  /** An e8 value of 2^53 or more as a bigint; undefined when it is not exact at e8 or exceeds an i64. */
  private wide(text: string, a: number, z: number): bigint | undefined {
    const v = scanDecimal(text, a, z, 8);
    if (v === BAD_DECIMAL) return undefined;
    if (v > I64_MAX) {
      decimalScan.error = "";
      this.levelReason = "OutOfRange";
      return undefined;
    }
    return v;
  }

  private refuseLevel(): void {
    if (decimalScan.error === "PrecisionLoss") this.counters.precisionErrors++;
    if (decimalScan.error !== "") this.levelReason = decimalScan.error;
    this.levelError = true;
  }

  private record(p: number, pb: bigint | undefined, s: number, sb: bigint | undefined, side: number): void {
    const k = this.nCh++;
    this.chP[k] = p;
    this.chPb[k] = pb;
    this.chS[k] = s;
    this.chSb[k] = sb;
    this.chSide[k] = side;
  }

  /** An update's levels are applied: depth truncation, checksum, BookDelta. */
  private finishUpdate(b: KrakenBook, hasChecksum: boolean, checksum: number, recvNs: bigint): void {
    b.updateId++;
    if (b.depth > this.maxLevels) this.viewChanges(b);
    else this.truncateWithRemovals(b);
    if (hasChecksum && !this.verify(b, checksum)) return;
    this.publishDelta(b, recvNs);
  }

  /** Truncates to the depth, recording a removal for every level that falls out of scope. */
  private truncateWithRemovals(b: KrakenBook): void {
    const bids = b.bids.levels;
    const asks = b.asks.levels;
    for (let i = b.depth; i < bids.length; i++) this.record(bids[i].p, bids[i].pb, 0, undefined, 1);
    for (let i = b.depth; i < asks.length; i++) this.record(asks[i].p, asks[i].pb, 0, undefined, 2);
    b.truncate(b.depth);
  }

  /**
   * A book deeper than one OrderBook TLV holds (depth > ALPHAPULSE_MAX_ORDER_LEVELS, V levels a side): consumers
   * hold its top V levels per side (the view), and the BookDelta turns the view before the message into the view
   * after it. The message's changes are kept when their price is in the new view (as sent), turned into removals
   * when it was only in the old view, and dropped otherwise; levels pushed out of the view (between the new and
   * the old edge) are removed, and levels pulled into it (behind the old edge) are sent with their size. A consumer
   * applying OrderBook + BookDeltas thus holds exactly the top V levels per side (asserted by the tests against a
   * naive model under random updates, and on the 10-pair capture).
   */
  private viewChanges(b: KrakenBook): void {
    const v = this.maxLevels;
    const n = this.nCh;
    let w = 0;
    for (let k = 0; k < n; k++) {
      const bid = this.chSide[k] === 1;
      const side = bid ? b.bids : b.asks;
      const levels = side.levels;
      const p = this.chP[k];
      const pb = this.chPb[k];
      let s = this.chS[k];
      let sb = this.chSb[k];
      if (levels.length >= v && !side.atOrAhead(p, pb, levels[v - 1])) {
        const edge = bid ? this.bidEdge : this.askEdge;
        if (edge !== undefined && !side.atOrAhead(p, pb, edge)) continue; // in neither view
        s = 0;
        sb = undefined;
      }
      this.chP[w] = p;
      this.chPb[w] = pb;
      this.chS[w] = s;
      this.chSb[w] = sb;
      this.chSide[w] = this.chSide[k];
      w++;
    }
    this.nCh = w;
    this.edgeChanges(b.bids, 1, this.bidEdge);
    this.edgeChanges(b.asks, 2, this.askEdge);
    b.truncate(b.depth);
  }

  private edgeChanges(side: BookSide, code: number, edge: KrakenLevel | undefined): void {
    const v = this.maxLevels;
    const levels = side.levels;
    // pushed out: behind the new view, at or ahead of the old edge (every level there when the old view was short)
    for (let i = v; i < levels.length; i++) {
      const l = levels[i];
      if (edge !== undefined && !side.atOrAhead(l.p, l.pb, edge)) break;
      this.record(l.p, l.pb, 0, undefined, code);
    }
    // pulled in: in the new view, behind the old edge (none when the old view was short: it held the whole side)
    if (edge === undefined) return;
    for (let i = Math.min(levels.length, v) - 1; i >= 0; i--) {
      const l = levels[i];
      if (side.atOrAhead(l.p, l.pb, edge)) break;
      this.record(l.p, l.pb, l.s, l.sb, code);
    }
  }

  private verify(b: KrakenBook, expected: number): boolean {
    const got = b.checksum();
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
      reason: this.levelReason,
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
    b.clear();
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
      b.truncate(b.depth);
      b.updateId = 1;
    }
    b.synced = true;
    b.resyncPending = false;
    this.publishBook(b, recvNs);
  }

  /** The message's exchange time in ns (the receive time when it has none). */
  private exchangeTsNs(recvNs: bigint): bigint {
    if (this.tsBig > 0n) return this.tsBig;
    if (this.tsMs > 0) return BigInt(this.tsMs) * 1_000_000n + BigInt(this.tsSub);
    return recvNs;
  }

  /** The book's top min(depth, ALPHAPULSE_MAX_ORDER_LEVELS) levels per side as an OrderBook snapshot. */
  private publishBook(b: KrakenBook, recvNs: bigint): void {
    const levels = Math.min(b.depth, this.maxLevels);
    this.options.publisher.publish("OrderBook", b.toTlv(this.exchangeTsNs(recvNs), levels, true));
    b.publishedId = b.updateId;
  }

  /**
   * The message's changes as one BookDelta, its value bytes written here (the layout FrameBuilder.add writes:
   * instrument, exchange_ts_ns, first/last_update_id, change_count, pad to 64; per change price i64, size i64,
   * side u8, pad to 24) from the exact Numbers, without a bigint. first_update_id follows the last published id,
   * so a message with no visible change (deep books) leaves no gap. More changes than a BookDelta may hold
   * (2 x ALPHAPULSE_MAX_ORDER_LEVELS): an OrderBook snapshot instead.
   */
  private publishDelta(b: KrakenBook, recvNs: bigint): void {
    const n = this.nCh;
    if (n === 0) return;
    if (n > 2 * this.maxLevels) {
      this.publishBook(b, recvNs);
      return;
    }
    const size = 64 + 24 * n;
    const pub = this.options.publisher;
    const o = pub.beginValue(TlvType.BookDelta, size);
    const v = pub.valueBytes;
    const dv = pub.valueView;
    v.set(b.id.bytes, o);
    if (this.tsMs > 0) setU64Mul(dv, o + 32, this.tsMs, 1_000_000, this.tsSub);
    else if (this.tsBig > 0n) dv.setBigUint64(o + 32, this.tsBig, true);
    else dv.setBigUint64(o + 32, recvNs, true);
    setU64(dv, o + 40, b.publishedId + 1);
    setU64(dv, o + 48, b.updateId);
    dv.setUint32(o + 56, n, true); // change_count u16 (n <= 2 x 1000) and 2 pad bytes
    dv.setUint32(o + 60, 0, true);
    let at = o + 64;
    for (let k = 0; k < n; k++) {
      const pb = this.chPb[k];
      if (pb === undefined) setU64(dv, at, this.chP[k]);
      else dv.setBigInt64(at, pb, true);
      const sb = this.chSb[k];
      if (sb === undefined) setU64(dv, at + 8, this.chS[k]);
      else dv.setBigInt64(at + 8, sb, true);
      dv.setUint32(at + 16, this.chSide[k], true); // side u8 and 3 pad bytes
      dv.setUint32(at + 20, 0, true);
      at += 24;
    }
    pub.finishValue("BookDelta");
    b.publishedId = b.updateId;
  }

  /** A Trade from exact e8 Numbers and a time in integer µs, its value bytes written here (the layout of add()). */
  private publishTradeE8(id: InstrumentId, price: number, size: number, us: number, side: number): void {
    this.counters.trades++;
    const pub = this.options.publisher;
    const o = pub.beginValue(TlvType.Trade, 64);
    const dv = pub.valueView;
    pub.valueBytes.set(id.bytes, o);
    setU64(dv, o + 32, price);
    setU64(dv, o + 40, size);
    setU64Mul(dv, o + 48, us, 1000, 0);
    dv.setUint32(o + 56, side, true); // side u8 and pad
    dv.setUint32(o + 60, 0, true);
    pub.finishValue("Trade");
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

/** Widens the book's precision to the fraction digits of a level's price s[pa, pb) and size s[qa, qb). */
function learnDecimals(b: KrakenBook, s: string, pa: number, pb: number, qa: number, qb: number): void {
  const pd = fractionDigits(s, pa, pb);
  const qd = fractionDigits(s, qa, qb);
  if (pd > b.priceDecimals) b.priceDecimals = pd;
  if (qd > b.qtyDecimals) b.qtyDecimals = qd;
}

/**
 * A snapshot level's value from s[start] as an exact e8 Number, its end in levelCrc.end and its fraction digit count
 * in levelCrc.fd: scanE8CrcTo, and scanE8 over the same run when it has more than 15 significant digits (trailing
 * zeros count: "16666666.00000000"), which gives the exact Number below 2^53; negative: refused or 2^53 and more.
 */
function snapE8(s: string, start: number): number {
  const v = scanE8CrcTo(s, start, 8, 0, 0);
  if (v !== E8_WIDE) return v;
  const end = levelCrc.end;
  levelCrc.fd = fractionDigits(s, start, end);
  return scanE8(s, start, end);
}

/** A non-negative integer of at most 10 digits s[a, b) (a checksum), NaN otherwise. */
function digitsValue(s: string, a: number, b: number): number {
  if (b <= a || b - a > 10) return Number.NaN;
  let v = 0;
  for (let i = a; i < b; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    v = v * 10 + d;
  }
  return v;
}

/** digitsAt's end: the index after the digits it read. */
let digitsEnd = 0;

/** The run of 1 to 10 decimal digits from s[a] as a number, its end in digitsEnd; -1: no digits or more than 10. */
function digitsAt(s: string, a: number): number {
  let v = 0;
  let e = a;
  for (let ch = s.charCodeAt(e); ch >= 48 && ch <= 57; ch = s.charCodeAt(++e)) v = v * 10 + ch - 48;
  digitsEnd = e;
  return e === a || e - a > 10 ? -1 : v;
}

/** Index of the quote closing a string that starts at s[a] with no escape or control character; -1 otherwise. */
function plainStringEnd(s: string, a: number): number {
  for (let i = a; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch === QUOTE) return i;
    if (ch === 92 || ch < 32) return -1;
  }
  return -1;
}
