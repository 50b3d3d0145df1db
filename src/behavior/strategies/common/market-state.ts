import type { Address, InstrumentId } from "../../../data/instrument-id.ts";
import type {
  BookDelta,
  GasPrice,
  OrderBook as OrderBookTlv,
  PoolBurn,
  PoolMint,
  PoolState,
  PoolSwap,
  PoolSync,
  Quote,
  StateInvalidation,
} from "../../../data/tlv-layouts.ts";
import { TlvType } from "../../../data/tlv-layouts.ts";
import type { FrameParser } from "../../../rules/parser.ts";
import { applyPoolEvent } from "../../amm/state/applyPoolEvent.ts";
import { applyPoolSnapshot } from "../../amm/state/applyPoolSnapshot.ts";
import { createPoolState } from "../../amm/state/createPoolState.ts";
import type { PoolEvent, TrackedPoolState } from "../../amm/state/types.ts";
import { OrderBook } from "../../market/order-book.ts";
import { BookCurve } from "./book-curve.ts";
import { StrategyError } from "./errors.ts";
import type { TokenTable } from "./token-table.ts";

/** A CEX book kept from OrderBook snapshots and BookDelta updates. */
export interface CexBookState {
  readonly id: InstrumentId;
  readonly key: string;
  /** "ETH/USD" when the quote is a USD asset (see TokenTable), else undefined. */
  readonly pairKey: string | undefined;
  readonly book: OrderBook;
  /** false from a StateInvalidation (or a sequence gap, or a crossed book) until the next OrderBook snapshot. */
  valid: boolean;
  updateId: bigint;
  /** Exchange time of the last snapshot or delta (ns). */
  exchangeTsNs: bigint;
  /** Curves of both sides, rebuilt lazily after a change. */
  readonly bidCurve: BookCurve;
  readonly askCurve: BookCurve;
  curvesDirty: boolean;
}

/** A DEX pool kept from PoolState snapshots and pool events. */
export interface DexPoolState {
  readonly id: InstrumentId;
  readonly key: string;
  readonly chainId: number;
  readonly token0: Address;
  readonly token1: Address;
  readonly token0Decimals: number;
  readonly token1Decimals: number;
  readonly feePpm: number;
  readonly state: TrackedPoolState;
  /** "ETH/USD" when one token is a USD asset and the other is listed in the TokenTable, else undefined. */
  readonly pairKey: string | undefined;
  /** Which token is the base (non-USD) asset; meaningful only with a pairKey. */
  readonly baseIsToken0: boolean;
  /** false from a StateInvalidation or a removed (reorg) event until the next PoolState snapshot. */
  valid: boolean;
  /** Block time of the last snapshot or event (ns, 0 when unknown). */
  timestampNs: bigint;
}

export interface GasState {
  chainId: number;
  blockNumber: bigint;
  /** base + priority, wei per gas. */
  gasPriceWei: bigint;
}

/** What one frame changed; reused between frames (read it before the next apply). */
export interface MarketUpdate {
  books: CexBookState[];
  pools: DexPoolState[];
  gasChains: number[];
  /** Books and pools dropped by this frame (StateInvalidation, gap, reorg). */
  invalidated: (CexBookState | DexPoolState)[];
  /** Exchange or block time of the frame's data, or its header timestamp when the data carries none. */
  eventTsNs: bigint;
}

export interface MarketStateCounters {
  snapshots: number;
  deltas: number;
  poolSnapshots: number;
  poolEvents: number;
  gasPrices: number;
  invalidations: number;
  /** Deltas that did not continue the book's update ids: the book waits for a snapshot. */
  sequenceGaps: number;
  /** Deltas and pool events for a book or pool never snapshotted. */
  orphanUpdates: number;
}

const FLAG_SNAPSHOT = 1;

/**
 * Market state of a strategy, kept from the market data relay: CEX books per instrument, DEX pool states (the exact
 * AMM state module), the gas price per chain. Any book or pool named by a StateInvalidation is dropped (valid =
 * false) until its next snapshot. apply() throws StrategyError / PoolStateError on values it cannot take; the caller
 * counts and skips the frame.
 */
export class MarketState {
  readonly books = new Map<string, CexBookState>();
  readonly pools = new Map<string, DexPoolState>();
  readonly gas = new Map<number, GasState>();
  readonly counters: MarketStateCounters = {
    snapshots: 0,
    deltas: 0,
    poolSnapshots: 0,
    poolEvents: 0,
    gasPrices: 0,
    invalidations: 0,
    sequenceGaps: 0,
    orphanUpdates: 0,
  };
  /** Goes up when a book or pool is added or replaced (indexes built over the maps are then stale). */
  version = 0;
  private readonly tokens: TokenTable;
  /** Books changed by the current frame's BookDelta TLVs, checked once the frame is applied. */
  private readonly deltaBooks: CexBookState[] = [];
  private readonly update: MarketUpdate = { books: [], pools: [], gasChains: [], invalidated: [], eventTsNs: 0n };

  constructor(tokens: TokenTable) {
    this.tokens = tokens;
  }

  /** Applies every market-data TLV of a checked frame. */
  apply(parser: FrameParser): MarketUpdate {
    const u = this.update;
    u.books.length = 0;
    u.pools.length = 0;
    u.gasChains.length = 0;
    u.invalidated.length = 0;
    u.eventTsNs = 0n;
    for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
      const t = parser.tlvType;
      switch (t) {
        case TlvType.OrderBook:
          this.applyBook(parser.readTlv() as unknown as OrderBookTlv);
          break;
        case TlvType.BookDelta:
          this.applyDelta(parser.readTlv() as unknown as BookDelta);
          break;
        case TlvType.Quote:
          this.applyQuote(parser.readTlv() as unknown as Quote);
          break;
        case TlvType.PoolState:
          this.applyPoolState(parser.readTlv() as unknown as PoolState);
          break;
        case TlvType.PoolSwap:
        case TlvType.PoolMint:
        case TlvType.PoolBurn:
        case TlvType.PoolSync:
          this.applyPoolEventTlv(t, parser.readTlv() as unknown as PoolSwap);
          break;
        case TlvType.GasPrice:
          this.applyGas(parser.readTlv() as unknown as GasPrice);
          break;
        case TlvType.StateInvalidation:
          this.applyInvalidation(parser.readTlv() as unknown as StateInvalidation);
          break;
        default:
          break; // trades, instrument metadata: not used by these strategies
      }
    }
    for (const s of this.deltaBooks) if (s.valid && s.book.crossed) this.drop(s);
    this.deltaBooks.length = 0;
    if (u.eventTsNs === 0n) u.eventTsNs = parser.timestampNs;
    return u;
  }

  applyBook(v: OrderBookTlv): CexBookState {
    const s = this.bookFor(v.instrument);
    const book = s.book;
    book.clear();
    // levels arrive best first (PROTOCOL.md OrderBook); set() keeps them sorted whatever the order
    for (const l of v.bids) book.set("bid", l.price, l.size);
    for (const l of v.asks) book.set("ask", l.price, l.size);
    s.updateId = v.updateId;
    s.exchangeTsNs = v.exchangeTsNs;
    s.curvesDirty = true;
    // a full snapshot makes the book usable again; a partial one (flags bit 0 clear) only refreshes a valid book
    const valid = !book.crossed && ((v.flags & FLAG_SNAPSHOT) !== 0 || s.valid);
    if (!valid) {
      if ((v.flags & FLAG_SNAPSHOT) === 0) this.counters.orphanUpdates++;
      this.drop(s);
    }
    s.valid = valid;
    this.counters.snapshots++;
    this.touchBook(s, v.exchangeTsNs);
    return s;
  }

  applyDelta(v: BookDelta): void {
    const s = this.books.get(v.instrument.toString());
    if (s === undefined || !s.valid) {
      this.counters.orphanUpdates++;
      return;
    }
    // update ids are continuous when the venue numbers them (0 = the venue has none)
    if (s.updateId !== 0n && v.firstUpdateId !== 0n && v.firstUpdateId > s.updateId + 1n) {
      this.counters.sequenceGaps++;
      this.drop(s);
      return;
    }
    for (const c of v.changes) s.book.set(c.side === 1 ? "bid" : "ask", c.price, c.size);
    if (v.lastUpdateId !== 0n) s.updateId = v.lastUpdateId;
    s.exchangeTsNs = v.exchangeTsNs;
    s.curvesDirty = true;
    this.counters.deltas++;
    // A crossed book is judged after the whole frame (apply()): one venue event may span several BookDelta TLVs
    // of one frame and cross half-way (docs/protocol-decisions.md #18).
    if (!this.deltaBooks.includes(s)) this.deltaBooks.push(s);
    this.touchBook(s, v.exchangeTsNs);
  }

  /** A Quote is a one-level book: used only for instruments that have no OrderBook feed. */
  applyQuote(v: Quote): void {
    const key = v.instrument.toString();
    const existing = this.books.get(key);
    if (existing !== undefined && existing.updateId !== 0n) return; // a depth feed exists: it is the better truth
    const s = existing ?? this.bookFor(v.instrument);
    s.book.clear();
    if (v.bidSize > 0n) s.book.set("bid", v.bidPrice, v.bidSize);
    if (v.askSize > 0n) s.book.set("ask", v.askPrice, v.askSize);
    s.exchangeTsNs = v.exchangeTsNs;
    s.curvesDirty = true;
    s.valid = !s.book.crossed;
    this.touchBook(s, v.exchangeTsNs);
  }

  applyPoolState(v: PoolState): DexPoolState {
    const key = v.pool.toString();
    let p = this.pools.get(key);
    if (p !== undefined && (p.state.protocol !== v.protocol || p.feePpm !== v.feePpm)) {
      this.pools.delete(key); // the pool was re-described: start over
      p = undefined;
    }
    if (p === undefined) {
      if (v.protocol !== 2 && v.protocol !== 3) {
        throw new StrategyError({
          code: "UnknownPoolProtocol",
          message: `PoolState protocol ${v.protocol} is neither 2 (V2) nor 3 (V3)`,
          facts: { pool: key, protocol: v.protocol },
        });
      }
      const state = createPoolState({
        pool: v.pool,
        protocol: v.protocol,
        feePpm: v.feePpm,
        tickSpacing: v.protocol === 3 ? v.tickSpacing : undefined,
        token0Decimals: v.token0Decimals,
        token1Decimals: v.token1Decimals,
      });
      const a0 = this.tokens.assetOfToken(v.pool.chainId, v.token0);
      const a1 = this.tokens.assetOfToken(v.pool.chainId, v.token1);
      let pairKey: string | undefined;
      let baseIsToken0 = true;
      if (a0 !== undefined && a1 !== undefined && (a0 === "USD") !== (a1 === "USD")) {
        baseIsToken0 = a1 === "USD";
        pairKey = `${baseIsToken0 ? a0 : a1}/USD`;
      }
      p = {
        id: v.pool,
        key,
        chainId: v.pool.chainId,
        token0: v.token0,
        token1: v.token1,
        token0Decimals: v.token0Decimals,
        token1Decimals: v.token1Decimals,
        feePpm: v.feePpm,
        state,
        pairKey,
        baseIsToken0,
        valid: false,
        timestampNs: 0n,
      };
      this.pools.set(key, p);
      this.version++;
    }
    applyPoolSnapshot(p.state, v);
    p.valid = v.protocol === 2 ? v.reserve0 > 0n && v.reserve1 > 0n : v.sqrtPriceX96 !== 0n;
    p.timestampNs = v.timestampNs;
    this.counters.poolSnapshots++;
    this.touchPool(p, v.timestampNs);
    return p;
  }

  private applyPoolEventTlv(type: number, v: PoolSwap | PoolSync | PoolMint | PoolBurn): void {
    const p = this.pools.get(v.pool.toString());
    if (p === undefined) {
      this.counters.orphanUpdates++;
      return;
    }
    const outcome = applyPoolEvent(p.state, { type, value: v } as PoolEvent);
    this.counters.poolEvents++;
    if (outcome === "removed") {
      this.drop(p);
      return;
    }
    if (outcome !== "applied") return;
    p.timestampNs = v.timestampNs;
    if (p.valid) this.touchPool(p, v.timestampNs);
  }

  private applyGas(v: GasPrice): void {
    const g = this.gas.get(v.chainId);
    const gasPriceWei = v.baseFeeWei + v.priorityFeeWei;
    if (g === undefined) this.gas.set(v.chainId, { chainId: v.chainId, blockNumber: v.blockNumber, gasPriceWei });
    else if (v.blockNumber >= g.blockNumber) {
      g.blockNumber = v.blockNumber;
      g.gasPriceWei = gasPriceWei;
    }
    this.counters.gasPrices++;
    this.update.gasChains.push(v.chainId);
  }

  private applyInvalidation(v: StateInvalidation): void {
    const key = v.instrument.toString();
    this.counters.invalidations++;
    const b = this.books.get(key);
    if (b !== undefined) this.drop(b);
    const p = this.pools.get(key);
    if (p !== undefined) this.drop(p);
  }

  private drop(s: CexBookState | DexPoolState): void {
    if (!s.valid) return;
    s.valid = false;
    this.update.invalidated.push(s);
  }

  private bookFor(id: InstrumentId): CexBookState {
    const key = id.toString();
    let s = this.books.get(key);
    if (s === undefined) {
      s = {
        id,
        key,
        pairKey: id.kind <= 2 ? this.tokens.cexPairKey(id.base, id.quote) : undefined,
        book: new OrderBook(),
        valid: false,
        updateId: 0n,
        exchangeTsNs: 0n,
        bidCurve: new BookCurve(),
        askCurve: new BookCurve(),
        curvesDirty: true,
      };
      this.books.set(key, s);
      this.version++;
    }
    return s;
  }

  private touchBook(s: CexBookState, ts: bigint): void {
    if (s.valid) this.update.books.push(s);
    if (ts > this.update.eventTsNs) this.update.eventTsNs = ts;
  }

  private touchPool(p: DexPoolState, ts: bigint): void {
    if (p.valid) this.update.pools.push(p);
    if (ts > this.update.eventTsNs) this.update.eventTsNs = ts;
  }
}

/** The book's curves, rebuilt if the book changed since the last call. */
export function bookCurves(s: CexBookState): CexBookState {
  if (s.curvesDirty) {
    s.bidCurve.rebuild(s.book.bids);
    s.askCurve.rebuild(s.book.asks);
    s.curvesDirty = false;
  }
  return s;
}
