import { DEFAULT_LIMITS } from "../../../core/limits.ts";
import { type BookDelta, TlvType } from "../../../data/tlv-layouts.ts";
import type { MarketPublisher } from "../common/market-publisher.ts";
import type { BinanceMarket } from "./config.ts";
import { DepthBook } from "./depth-book.ts";
import { BinanceParseError } from "./errors.ts";
import { BinanceFastReader, FastKind } from "./fast-reader.ts";
import type { BinanceInstrument } from "./instrument-provider.ts";
import {
  BinanceScanner,
  Field,
  type LevelBuffer,
  MessageKind,
  parseDepthSnapshot,
  parseDepthSnapshotInto,
} from "./parsing.ts";
import { MAX_MS_FOR_U64_NS, setI64, setMsAsNs, setTimeNs, setU64 } from "./tlv-writer.ts";

/**
 * Per-symbol diff-depth sync, by Binance's "How to manage a local order book correctly" (spot: web-socket-streams;
 * USD-M: websocket-market-streams):
 *   AwaitingSnapshot  events are buffered (raw text) while the REST snapshot is fetched;
 *   AwaitingStraddle  snapshot loaded (lastUpdateId L): drop events with u <= L (spot) / u < L (futures); the first
 *                     kept event must straddle: U <= L+1 <= u (spot) / U <= L <= u (futures), otherwise the snapshot
 *                     is older than the stream and is fetched again;
 *   Live              continuity: spot U == previous u + 1, futures pu == previous u; anything else is a gap:
 *                     StateInvalidation (reason 2), book cleared, back to AwaitingSnapshot.
 */
export const SyncState = { AwaitingSnapshot: 0, AwaitingStraddle: 1, Live: 2 } as const;
export type SyncState = (typeof SyncState)[keyof typeof SyncState];

/** StateInvalidation reasons (PROTOCOL.md §6). */
export const InvalidationReason = { Checksum: 1, SequenceGap: 2, Disconnected: 3, Reorg: 4, Stale: 5 } as const;

export interface SymbolBook {
  instrument: BinanceInstrument;
  book: DepthBook;
  state: SyncState;
  /** lastUpdateId of the loaded snapshot (AwaitingStraddle) or u of the last applied event (Live). */
  lastUpdateId: number;
  buffer: string[];
  /** Counters for this symbol. */
  applied: number;
  dropped: number;
  gaps: number;
  resyncs: number;
  staleSnapshots: number;
  crossed: number;
  /**
   * This symbol's Trade / Quote TLV values, written from Numbers and published with publishRaw (no bigint, no
   * value object); the instrument id (bytes 0-31) is written once, here, when the book is made.
   */
  tradeValue: Uint8Array;
  tradeDv: DataView;
  quoteValue: Uint8Array;
  quoteDv: DataView;
}

export interface BinanceCounters {
  msgsIn: number;
  depthEvents: number;
  /** Depth events applied to a synced book (after the straddle, the straddle included). */
  applied: number;
  /** Events dropped as older than the snapshot. */
  dropped: number;
  /** Events buffered while a snapshot was awaited. */
  buffered: number;
  gaps: number;
  /** Snapshots requested after the first one per symbol (gap, reconnect, stale snapshot). */
  resyncs: number;
  syncs: number;
  staleSnapshots: number;
  snapshots: number;
  trades: number;
  quotes: number;
  /** Messages refused: malformed text, missing fields. */
  parseErrors: number;
  /** Values with more than 8 decimals (refused, never rounded). */
  precisionErrors: number;
  /** Events for symbols we did not subscribe to, and unknown event types. */
  ignored: number;
  crossedBooks: number;
  venueErrors: number;
  /** Messages handled whole by the fast path (fast-reader.ts). */
  fastPath: number;
  /**
   * Messages the fast path passed to the general one: another form (whitespace, escapes, key repeated, unknown
   * event, a value beyond 2^53, malformed input), or a case it leaves to it (a book not yet live, a symbol we do not
   * follow, a book holding bigints, a time beyond u64 ns).
   */
  fallbacks: number;
}

export interface BinanceNormalizerOptions {
  market: BinanceMarket;
  publisher: MarketPublisher;
  instruments: Map<string, BinanceInstrument>;
  /** Levels per side in published OrderBook TLVs. */
  bookDepth?: number;
  /** Called when a symbol needs a (new) REST snapshot; the answer comes back through applySnapshot(). */
  requestSnapshot: (symbol: string) => void;
  /** Called after each message and state change (tests wait on it instead of sleeping). */
  onProgress?: () => void;
  /** Log line for refused input (rate-limited by the caller if needed). */
  onBadInput?: (error: BinanceParseError) => void;
  /** The fast path for messages in Binance's own compact form (default true; false: the general path only). */
  fastPath?: boolean;
}

const BID = 1;
const ASK = 2;

export class BinanceNormalizer {
  readonly counters: BinanceCounters = {
    msgsIn: 0,
    depthEvents: 0,
    applied: 0,
    dropped: 0,
    buffered: 0,
    gaps: 0,
    resyncs: 0,
    syncs: 0,
    staleSnapshots: 0,
    snapshots: 0,
    trades: 0,
    quotes: 0,
    parseErrors: 0,
    precisionErrors: 0,
    ignored: 0,
    crossedBooks: 0,
    venueErrors: 0,
    fastPath: 0,
    fallbacks: 0,
  };
  readonly books = new Map<string, SymbolBook>();
  private readonly scanner = new BinanceScanner();
  private readonly futures: boolean;
  private readonly depth: number;
  private readonly maxChanges: number;
  // Parsed levels of the current event: parsed in full before the book is touched, so a bad level never leaves a
  // half-applied event. Reused across messages. `lv` holds exact e8 Numbers (the hot path); an event with a value
  // beyond 2^53 is re-read into the bigint arrays below and takes the original object path (publishAll).
  /** The book of the last message's symbol (symbolBook()). */
  private lastBook: SymbolBook | undefined;
  private lastSymbol = "";
  /** The REST snapshot's levels as Numbers (reused). */
  private readonly snapBids: LevelBuffer = { prices: [], sizes: [], sides: [], n: 0, unsafe: false };
  private readonly snapAsks: LevelBuffer = { prices: [], sizes: [], sides: [], n: 0, unsafe: false };
  private readonly lv: LevelBuffer = { prices: [], sizes: [], sides: [], n: 0, unsafe: false };
  /** The fast path's reader (undefined: disabled); it reads a depth event's levels into `lv`. */
  private readonly fast: BinanceFastReader | undefined;
  /** Followed symbols and their books, for the fast path's in-place symbol match. */
  private readonly bookList: SymbolBook[] = [];
  private readonly bookSymbols: string[] = [];
  /**
   * TLV values written here from Numbers and published with publishRaw: no bigint, no value object per level
   * (Trade and Quote values: per symbol, in its SymbolBook).
   * BookDelta: 64-byte fixed part + 24 bytes per change (up to maxChanges per TLV; several TLVs per frame above).
   */
  private deltaValue = new Uint8Array(64 + 24 * 64);
  private deltaDv = new DataView(this.deltaValue.buffer);
  private prices: bigint[] = [];
  private sizes: bigint[] = [];
  private sides: number[] = [];
  private nLevels = 0;
  private side = BID;
  private readonly widenLevel = (bid: boolean, price: bigint, size: bigint) => {
    this.collect(bid ? BID : ASK, price, size, this.nLevels++);
  };
  private readonly collectLevel = (price: bigint, size: bigint) => {
    const n = this.nLevels++;
    this.prices[n] = price;
    this.sizes[n] = size;
    this.sides[n] = this.side;
  };

  constructor(private readonly options: BinanceNormalizerOptions) {
    this.futures = options.market === "usdm";
    this.depth = Math.min(options.bookDepth ?? 50, DEFAULT_LIMITS.maxOrderLevels);
    this.maxChanges = 2 * DEFAULT_LIMITS.maxOrderLevels;
    for (const [symbol, instrument] of options.instruments) {
      const tradeValue = new Uint8Array(64);
      const quoteValue = new Uint8Array(72);
      tradeValue.set(instrument.id.bytes, 0);
      quoteValue.set(instrument.id.bytes, 0);
      this.books.set(symbol, {
        instrument,
        book: new DepthBook(),
        state: SyncState.AwaitingSnapshot,
        lastUpdateId: 0,
        buffer: [],
        applied: 0,
        dropped: 0,
        gaps: 0,
        resyncs: 0,
        staleSnapshots: 0,
        crossed: 0,
        tradeValue,
        tradeDv: new DataView(tradeValue.buffer),
        quoteValue,
        quoteDv: new DataView(quoteValue.buffer),
      });
    }
    for (const [symbol, sb] of this.books) {
      this.bookSymbols.push(symbol);
      this.bookList.push(sb);
    }
    this.fast = options.fastPath === false ? undefined : new BinanceFastReader(this.lv, BID, ASK);
  }

  /** InstrumentMeta for every symbol (after exchangeInfo). */
  publishInstrumentMeta(): void {
    for (const { instrument: i } of this.books.values()) {
      this.options.publisher.publish("InstrumentMeta", {
        instrument: i.id,
        priceDecimals: i.priceDecimals,
        sizeDecimals: i.sizeDecimals,
        status: i.status,
        tickSize: i.tickSize,
        minSize: i.minSize,
      });
    }
  }

  /** One WebSocket text message. Bad input is counted and skipped, never thrown. */
  handleMessage(text: string): void {
    this.counters.msgsIn++;
    try {
      this.dispatch(text, true);
    } catch (e) {
      this.refuse(e);
    }
    this.options.onProgress?.();
  }

  private refuse(e: unknown): void {
    if (e instanceof BinanceParseError) {
      if (e.code === "PrecisionLoss") this.counters.precisionErrors++;
      else this.counters.parseErrors++;
      this.options.onBadInput?.(e);
    } else {
      this.counters.parseErrors++;
      this.options.onBadInput?.(
        new BinanceParseError({
          code: "Unexpected",
          message: e instanceof Error ? e.message : String(e),
          hint: "the message is counted and skipped",
        }),
      );
    }
  }

  private dispatch(text: string, fresh: boolean): void {
    const fast = this.fast;
    if (fast !== undefined) {
      if (this.dispatchFast(fast, fast.read(text), text, fresh)) {
        this.counters.fastPath++;
        return;
      }
      this.counters.fallbacks++;
    }
    const sc = this.scanner;
    const kind = sc.scan(text);
    switch (kind) {
      case MessageKind.DepthUpdate:
        if (fresh) this.counters.depthEvents++;
        this.onDepth(text);
        return;
      case MessageKind.Trade:
      case MessageKind.AggTrade:
        this.onTrade();
        return;
      case MessageKind.BookTicker:
        this.onBookTicker();
        return;
      case MessageKind.Response:
        return;
      case MessageKind.Error:
        this.counters.venueErrors++;
        return;
      default:
        if (sc.failReason) throw sc.error("Malformed", sc.failReason);
        this.counters.ignored++;
    }
  }

  /**
   * The fast path: a message fast-reader.ts accepted, handled as the general path handles it (the same frames, byte
   * for byte, and counters). Returns false, having changed nothing, for a case left to the general path.
   */
  private dispatchFast(fast: BinanceFastReader, kind: FastKind, text: string, fresh: boolean): boolean {
    switch (kind) {
      case FastKind.Miss:
        return false;
      case FastKind.BookTicker:
        return this.onBookTickerFast(fast);
      case FastKind.Trade:
        return this.onTradeFast(fast);
      default: {
        const sb = this.fastSymbolBook(fast);
        // Sync phases (buffering, the straddle) and a book holding bigints: the general path.
        if (sb === undefined || sb.state !== SyncState.Live || sb.book.isBig || fast.E > MAX_MS_FOR_U64_NS) {
          return false;
        }
        if (fresh) this.counters.depthEvents++;
        this.onDepthLiveFast(fast, sb, text);
        return true;
      }
    }
  }

  /** symbolBook() from the fast reader's symbol: the last one again, else a match in place; undefined: not ours. */
  private fastSymbolBook(fast: BinanceFastReader): SymbolBook | undefined {
    const last = this.lastBook;
    // the reader compared the symbol with the last one as it read it (symbolHint)
    if (last !== undefined && fast.sameSymbol && fast.symbolHint === this.lastSymbol) return last;
    const text = fast.text;
    const start = fast.symStart;
    const len = fast.symEnd - start;
    const symbols = this.bookSymbols;
    for (let k = 0; k < symbols.length; k++) {
      if (sameText(text, start, len, symbols[k])) {
        this.lastBook = this.bookList[k];
        this.lastSymbol = fast.symbolHint = symbols[k];
        return this.lastBook;
      }
    }
    return undefined; // not followed: the general path counts it
  }

  /** onDepth() for a Live book, from the fast reader's values (its levels are in `lv`). */
  private onDepthLiveFast(fast: BinanceFastReader, sb: SymbolBook, text: string): void {
    const U = fast.U;
    const u = fast.u;
    if (!this.follows(sb, U, u, fast.pu, text)) return;
    const lv = this.lv;
    setLevels(sb.book, lv);
    this.widenApplied(sb, u);
    this.publishDeltaRaw(sb, U, u, lv.n, fast.E);
  }

  /** After the event's levels went into the book: widen() it, then applied(). */
  private widenApplied(sb: SymbolBook, u: number): void {
    // The levels that came into the consumers' published depth from beyond what they hold travel with the event.
    sb.book.widen(this.lv, BID, ASK);
    this.applied(sb, u);
  }

  /** The event is in the book: `u` is its last update; counted (and counted as crossed if the book is). */
  private applied(sb: SymbolBook, u: number): void {
    const book = sb.book;
    sb.lastUpdateId = u;
    sb.applied++;
    this.counters.applied++;
    if (book.crossed) {
      sb.crossed++;
      this.counters.crossedBooks++;
    }
  }

  // onTradeFast and onBookTickerFast open alike on purpose: sharing the time check and book lookup (a helper)
  // measured ~3-5% slower per trade/bookTicker message. Their values are the symbol's own (SymbolBook.tradeValue /
  // quoteValue, the instrument id written once), so there is no cached-id check left to share.
  /** onTrade() from the fast reader's values. */
  private onTradeFast(fast: BinanceFastReader): boolean {
    const ms = fast.T >= 0 ? fast.T : fast.E;
    if (ms > MAX_MS_FOR_U64_NS) return false;
    const sb = this.fastSymbolBook(fast);
    if (sb === undefined) return false;
    const dv = sb.tradeDv;
    setU64(dv, 32, fast.p);
    setU64(dv, 40, fast.q);
    if (ms < 0) setU64(dv, 48, 0);
    else setMsAsNs(dv, 48, ms);
    dv.setUint32(56, fast.m ? 2 : 1, true); // side u8 then pad
    this.options.publisher.publishRaw(TlvType.Trade, "Trade", sb.tradeValue);
    this.counters.trades++;
    return true;
  }

  /** onBookTicker() from the fast reader's values. */
  private onBookTickerFast(fast: BinanceFastReader): boolean {
    const ms = fast.T >= 0 ? fast.T : fast.E;
    if (ms > MAX_MS_FOR_U64_NS) return false;
    const sb = this.fastSymbolBook(fast);
    if (sb === undefined) return false;
    const dv = sb.quoteDv;
    setU64(dv, 32, fast.b);
    setU64(dv, 40, fast.B);
    setU64(dv, 48, fast.a);
    setU64(dv, 56, fast.A);
    if (ms < 0) setU64(dv, 64, 0);
    else setMsAsNs(dv, 64, ms);
    this.options.publisher.publishRaw(TlvType.Quote, "Quote", sb.quoteValue);
    this.counters.quotes++;
    return true;
  }

  private symbolBook(): SymbolBook | undefined {
    const sc = this.scanner;
    // The last symbol's book again when the text says the same symbol (compared in place: no slice, no hash);
    // otherwise a Map lookup by the sliced string.
    const last = this.lastBook;
    if (last !== undefined && sc.is(Field.s, this.lastSymbol)) return last;
    const symbol = sc.str(Field.s);
    const sb = this.books.get(symbol);
    if (sb === undefined) this.counters.ignored++;
    else {
      this.lastBook = sb;
      this.lastSymbol = symbol;
    }
    return sb;
  }

  private onDepth(text: string): void {
    const sb = this.symbolBook();
    if (sb === undefined) return;
    const sc = this.scanner;
    if (sb.state === SyncState.AwaitingSnapshot) {
      sb.buffer.push(text);
      this.counters.buffered++;
      return;
    }
    const U = sc.int(Field.U);
    const u = sc.int(Field.u);
    const L = sb.lastUpdateId;
    if (sb.state === SyncState.AwaitingStraddle) {
      if (this.futures ? u < L : u <= L) {
        sb.dropped++;
        this.counters.dropped++;
        return;
      }
      const straddles = this.futures ? U <= L && L <= u : U <= L + 1 && L + 1 <= u;
      if (!straddles) {
        // The stream is already past the snapshot: events between them are missing. Fetch a newer snapshot.
        sb.staleSnapshots++;
        this.counters.staleSnapshots++;
        this.resync(sb, text, 0);
        return;
      }
      this.parseLevels();
      // The synced book: the snapshot (state L), published just before the straddling event's delta.
      this.options.publisher.publish(
        "OrderBook",
        sb.book.toTlv(sb.instrument.id, sc.msAsNs(Field.E), BigInt(L), this.depth, true),
      );
      sb.book.markPublished(this.depth);
      this.counters.snapshots++;
      this.counters.syncs++;
      sb.state = SyncState.Live;
      this.applyParsed(sb, U, u);
      return;
    }
    // Live: continuity (pu read only where it counts: futures).
    if (!this.follows(sb, U, u, this.futures ? sc.intOr(Field.pu) : -1, text)) return;
    this.parseLevels();
    this.applyParsed(sb, U, u);
  }

  /**
   * A Live book's continuity: true when the event follows the last applied one (futures: pu = last u; spot:
   * U = last u + 1); otherwise it is stale (already held) or a gap (resync), and false.
   */
  private follows(sb: SymbolBook, U: number, u: number, pu: number, text: string): boolean {
    const L = sb.lastUpdateId;
    if (this.futures ? pu === L : U === L + 1) return true;
    if (u <= L) this.stale(sb);
    else this.gap(sb, text);
    return false;
  }

  /** An event the book already holds (a duplicate after a reconnect): ignored, as the spot document says. */
  private stale(sb: SymbolBook): void {
    sb.dropped++;
    this.counters.dropped++;
  }

  private gap(sb: SymbolBook, text: string): void {
    sb.gaps++;
    this.counters.gaps++;
    this.resync(sb, text, InvalidationReason.SequenceGap);
  }

  /**
   * Starts over for one symbol: invalidates the published book (reason 0: none published yet, nothing to say),
   * clears it, buffers `firstEvent` and asks for a snapshot.
   */
  resync(sb: SymbolBook, firstEvent: string | undefined, reason: number): void {
    this.invalidate(
      sb,
      reason,
      reason !== 0 && (sb.state === SyncState.Live || reason === InvalidationReason.Disconnected),
    );
    if (firstEvent !== undefined) {
      sb.buffer.push(firstEvent);
      this.counters.buffered++;
    }
    sb.resyncs++;
    this.counters.resyncs++;
    this.options.requestSnapshot(sb.instrument.symbol);
  }

  /** Every symbol after the connection was lost: StateInvalidation (3) for the synced ones, then resync. */
  invalidateAll(reason: number): void {
    for (const sb of this.books.values()) this.invalidate(sb, reason, sb.state === SyncState.Live);
    this.options.onProgress?.();
  }

  /** StateInvalidation for `sb` (when `publish`), then its book is emptied, unbuffered and awaits a snapshot. */
  private invalidate(sb: SymbolBook, reason: number, publish: boolean): void {
    if (publish) {
      this.options.publisher.publish("StateInvalidation", {
        instrument: sb.instrument.id,
        reason,
        venueSequence: BigInt(sb.lastUpdateId),
      });
    }
    sb.book.clear();
    sb.state = SyncState.AwaitingSnapshot;
    sb.buffer.length = 0;
  }

  /** Initial sync of every symbol (on each new connection). */
  requestAllSnapshots(countAsResync: boolean): void {
    for (const sb of this.books.values()) {
      if (countAsResync) {
        sb.resyncs++;
        this.counters.resyncs++;
      }
      this.options.requestSnapshot(sb.instrument.symbol);
    }
  }

  /**
   * The REST depth body for `symbol`: loads it (state AwaitingStraddle) and replays the buffered events through the
   * sync rules. Returns false (and counts) when the body cannot be read.
   */
  applySnapshot(symbol: string, body: string): boolean {
    const sb = this.books.get(symbol);
    if (sb === undefined || sb.state !== SyncState.AwaitingSnapshot) return false;
    const bids = this.snapBids;
    const asks = this.snapAsks;
    let lastUpdateId: number;
    try {
      lastUpdateId = parseDepthSnapshotInto(body, bids, asks);
    } catch (e) {
      this.refuse(e);
      return false;
    }
    const book = sb.book;
    book.clear();
    // Binance sends bids best-first and asks best-first: append in order (set() keeps the sort either way).
    if (!bids.unsafe && !asks.unsafe) {
      for (let i = 0; i < bids.n; i++) if (bids.sizes[i] !== 0) book.setNum(true, bids.prices[i], bids.sizes[i]);
      for (let i = 0; i < asks.n; i++) if (asks.sizes[i] !== 0) book.setNum(false, asks.prices[i], asks.sizes[i]);
    } else {
      // a value beyond 2^53: the same body as bigints (it parsed above, so it parses again)
      const snap = parseDepthSnapshot(body);
      for (const l of snap.bids) if (l.size !== 0n) book.set("bid", l.price, l.size);
      for (const l of snap.asks) if (l.size !== 0n) book.set("ask", l.price, l.size);
    }
    sb.lastUpdateId = lastUpdateId;
    sb.state = SyncState.AwaitingStraddle;
    const buffered = sb.buffer.splice(0);
    for (let k = 0; k < buffered.length; k++) {
      try {
        this.dispatch(buffered[k], false);
      } catch (e) {
        this.refuse(e);
      }
      if ((sb.state as SyncState) === SyncState.AwaitingSnapshot) {
        // A gap or a stale snapshot inside the buffer: the rest belongs to the next attempt.
        for (let j = k + 1; j < buffered.length; j++) sb.buffer.push(buffered[j]);
        break;
      }
    }
    this.options.onProgress?.();
    return true;
  }

  private parseLevels(): void {
    const lv = this.lv;
    lv.n = 0;
    lv.unsafe = false;
    this.scanner.levelsInto(Field.b, lv, BID);
    this.scanner.levelsInto(Field.a, lv, ASK);
    // The raw path writes E as a u64 of ns; a time beyond that (or malformed: the original path throws after the
    // book is updated) takes the original path too.
    const ms = this.scanner.msOrNaN(Field.E);
    if (!lv.unsafe && ms <= MAX_MS_FOR_U64_NS) return;
    // a value beyond 2^53: the same text again, as bigints (the original path)
    lv.unsafe = true;
    this.nLevels = 0;
    this.side = BID;
    this.scanner.forEachLevel(Field.b, this.collectLevel);
    this.side = ASK;
    this.scanner.forEachLevel(Field.a, this.collectLevel);
  }

  private applyParsed(sb: SymbolBook, U: number, u: number): void {
    const lv = this.lv;
    if (lv.unsafe) {
      this.applyParsedBig(sb, U, u);
      return;
    }
    setLevels(sb.book, lv);
    if (sb.book.isBig) {
      // The book holds a value beyond 2^53 (an earlier event): the levels widen() adds may not fit a Number.
      const n = lv.n;
      for (let i = 0; i < n; i++) this.collect(lv.sides[i], BigInt(lv.prices[i]), BigInt(lv.sizes[i]), i);
      this.nLevels = n;
      this.finishBig(sb, U, u);
      return;
    }
    this.widenApplied(sb, u);
    this.publishDeltaRaw(sb, U, u, lv.n, this.scanner.ms(Field.E));
  }

  private collect(side: number, price: bigint, size: bigint, i: number): void {
    this.prices[i] = price;
    this.sizes[i] = size;
    this.sides[i] = side;
  }

  /** applyParsed for an event with a value beyond 2^53: bigints into the book, value objects into publishAll. */
  private applyParsedBig(sb: SymbolBook, U: number, u: number): void {
    const book = sb.book;
    const n = this.nLevels;
    const prices = this.prices;
    const sizes = this.sizes;
    const sides = this.sides;
    for (let i = 0; i < n; i++) book.set(sides[i] === BID ? "bid" : "ask", prices[i], sizes[i]);
    this.finishBig(sb, U, u);
  }

  private finishBig(sb: SymbolBook, U: number, u: number): void {
    const book = sb.book;
    if (book.isBig) book.widenBig(this.widenLevel);
    else {
      // the event's values did not fit a Number, the book's do: widen() into Numbers, then bigints
      const lv = this.lv;
      lv.n = 0;
      book.widen(lv, BID, ASK);
      for (let i = 0; i < lv.n; i++)
        this.collect(lv.sides[i], BigInt(lv.prices[i]), BigInt(lv.sizes[i]), this.nLevels++);
    }
    this.applied(sb, u);
    this.publishDelta(sb, U, u, this.nLevels);
  }

  /**
   * publishDelta written straight into BookDelta value bytes (the layout FrameBuilder.add writes: instrument,
   * exchange_ts_ns, first/last_update_id, change_count, pad to 64; then per change price i64, size i64, side u8, pad
   * to 24). Events over maxChanges changes become several TLVs in one frame, as publishDelta does.
   */
  private publishDeltaRaw(sb: SymbolBook, U: number, u: number, n: number, ms: number): void {
    const max = this.maxChanges;
    const tlvs = n === 0 ? 1 : Math.ceil(n / max);
    const bytes = tlvs * 64 + 24 * n;
    if (this.deltaValue.length < bytes) {
      this.deltaValue = new Uint8Array(bytes * 2);
      this.deltaDv = new DataView(this.deltaValue.buffer);
    }
    const v = this.deltaValue;
    const dv = this.deltaDv;
    const lv = this.lv;
    const prices = lv.prices;
    const sizes = lv.sizes;
    const sides = lv.sides;
    const iid = sb.instrument.id.bytes;
    let at = 0;
    let parts: Uint8Array[] | undefined;
    for (let start = 0; start < n || start === 0; start += max) {
      const end = Math.min(n, start + max);
      const tlvStart = at;
      v.set(iid, at);
      setTimeNs(dv, at + 32, ms);
      setU64(dv, at + 40, U);
      setU64(dv, at + 48, u);
      dv.setUint16(at + 56, end - start, true);
      dv.setUint16(at + 58, 0, true);
      dv.setUint32(at + 60, 0, true);
      at += 64;
      for (let i = start; i < end; i++) {
        setI64(dv, at, prices[i]);
        setI64(dv, at + 8, sizes[i]);
        dv.setUint32(at + 16, sides[i], true); // side u8 then 3 pad bytes
        dv.setUint32(at + 20, 0, true);
        at += 24;
      }
      if (n > max) (parts ??= []).push(v.subarray(tlvStart, at));
      if (n === 0) break;
    }
    const p = this.options.publisher;
    if (parts === undefined) p.publishRaw(TlvType.BookDelta, "BookDelta", v.subarray(0, at));
    else p.publishRawAll(TlvType.BookDelta, "BookDelta", parts);
  }

  /**
   * One frame per applied event. A BookDelta holds at most 2·ALPHAPULSE_MAX_ORDER_LEVELS changes, and a busy
   * BTCUSDT event carries up to ~770: such an event becomes several BookDelta TLVs with the same U/u in one frame,
   * so a consumer applies the event whole or not at all.
   */
  private publishDelta(sb: SymbolBook, U: number, u: number, n: number): void {
    const ts = this.scanner.msAsNs(Field.E);
    const first = BigInt(U);
    const last = BigInt(u);
    const deltas: BookDelta[] = [];
    for (let start = 0; start < n || start === 0; start += this.maxChanges) {
      const end = Math.min(n, start + this.maxChanges);
      const changes: BookDelta["changes"] = new Array(end - start);
      for (let i = start; i < end; i++) {
        changes[i - start] = { price: this.prices[i], size: this.sizes[i], side: this.sides[i] };
      }
      deltas.push({
        instrument: sb.instrument.id,
        exchangeTsNs: ts,
        firstUpdateId: first,
        lastUpdateId: last,
        changes,
      });
      if (n === 0) break;
    }
    this.options.publisher.publishAll("BookDelta", deltas);
  }

  private onTrade(): void {
    const sb = this.symbolBook();
    if (sb === undefined) return;
    const sc = this.scanner;
    const p = sc.e8n(Field.p);
    const q = sc.e8n(Field.q);
    const buyerMaker = sc.bool(Field.m);
    const ms = sc.has(Field.T) ? sc.ms(Field.T) : sc.ms(Field.E);
    // NaN: beyond 2^53; a time the builder refuses: the original path
    if (Number.isNaN(p) || Number.isNaN(q) || ms > MAX_MS_FOR_U64_NS) {
      this.onTradeBig(sb);
      return;
    }
    const dv = sb.tradeDv;
    setI64(dv, 32, p);
    setI64(dv, 40, q);
    setTimeNs(dv, 48, ms);
    dv.setUint32(56, buyerMaker ? 2 : 1, true); // side u8 then pad
    dv.setUint32(60, 0, true);
    this.options.publisher.publishRaw(TlvType.Trade, "Trade", sb.tradeValue);
    this.counters.trades++;
  }

  /** onTrade with bigints (a value beyond 2^53, or a time the builder refuses): the original path. */
  private onTradeBig(sb: SymbolBook): void {
    const sc = this.scanner;
    const price = sc.e8(Field.p);
    const size = sc.e8(Field.q);
    // m: the buyer is the maker, so the seller took liquidity -> side 2 (PROTOCOL.md Trade side).
    const side = sc.bool(Field.m) ? 2 : 1;
    const ts = sc.has(Field.T) ? sc.msAsNs(Field.T) : sc.msAsNs(Field.E);
    this.options.publisher.publish("Trade", { instrument: sb.instrument.id, price, size, exchangeTsNs: ts, side });
    this.counters.trades++;
  }

  private onBookTicker(): void {
    const sb = this.symbolBook();
    if (sb === undefined) return;
    const sc = this.scanner;
    const bp = sc.e8n(Field.b);
    const bq = sc.e8n(Field.B);
    const ap = sc.e8n(Field.a);
    const aq = sc.e8n(Field.A);
    const ms = sc.has(Field.T) ? sc.ms(Field.T) : sc.ms(Field.E);
    if (Number.isNaN(bp) || Number.isNaN(bq) || Number.isNaN(ap) || Number.isNaN(aq) || ms > MAX_MS_FOR_U64_NS) {
      this.onBookTickerBig(sb);
      return;
    }
    const dv = sb.quoteDv;
    setI64(dv, 32, bp);
    setI64(dv, 40, bq);
    setI64(dv, 48, ap);
    setI64(dv, 56, aq);
    setTimeNs(dv, 64, ms);
    this.options.publisher.publishRaw(TlvType.Quote, "Quote", sb.quoteValue);
    this.counters.quotes++;
  }

  /** onBookTicker with bigints: the original path (values beyond 2^53, a time the builder refuses). */
  private onBookTickerBig(sb: SymbolBook): void {
    const sc = this.scanner;
    const bidPrice = sc.e8(Field.b);
    const bidSize = sc.e8(Field.B);
    const askPrice = sc.e8(Field.a);
    const askSize = sc.e8(Field.A);
    // Spot bookTicker carries no time (0 = unknown); USD-M has T (transaction time) and E.
    const ts = sc.has(Field.T) ? sc.msAsNs(Field.T) : sc.msAsNs(Field.E);
    this.options.publisher.publish("Quote", {
      instrument: sb.instrument.id,
      bidPrice,
      bidSize,
      askPrice,
      askSize,
      exchangeTsNs: ts,
    });
    this.counters.quotes++;
  }
}

function sameText(text: string, start: number, len: number, s: string): boolean {
  if (s.length !== len) return false;
  for (let k = 0; k < len; k++) if (text.charCodeAt(start + k) !== s.charCodeAt(k)) return false;
  return true;
}

/** The levels in `lv` (Numbers) into the book. */
function setLevels(book: DepthBook, lv: LevelBuffer): void {
  const n = lv.n;
  const prices = lv.prices;
  const sizes = lv.sizes;
  const sides = lv.sides;
  for (let i = 0; i < n; i++) book.setNum(sides[i] === BID, prices[i], sizes[i]);
}
