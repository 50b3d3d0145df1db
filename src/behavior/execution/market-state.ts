import type { InstrumentId } from "../../data/instrument-id.ts";
import type {
  BookDelta,
  GasPrice,
  OrderBook as OrderBookTlv,
  PoolState,
  Quote,
  StateInvalidation,
  Trade,
} from "../../data/tlv-layouts.ts";
import {
  applyPoolEvent,
  applyPoolSnapshot,
  applyTickWords,
  createPoolState,
  type PoolEvent,
  type TickWords,
  type TrackedPoolState,
} from "../amm/index.ts";
import { OrderBook } from "../market/order-book.ts";

/** One CEX instrument as the engine sees it. Prices e8, sizes e8. */
export interface BookEntry {
  readonly instrument: InstrumentId;
  readonly book: OrderBook;
  /** false before the first OrderBook and after a StateInvalidation (until the next OrderBook) or an update-id gap. */
  usable: boolean;
  /** Engine clock (ns) of the last snapshot, delta, quote or trade. */
  updatedNs: bigint;
  lastUpdateId: bigint;
  /** Quote top of book when no depth is known (marks only). */
  quoteBid: bigint;
  quoteAsk: bigint;
  lastTradePrice: bigint;
}

export interface PoolEntry {
  readonly state: TrackedPoolState;
  readonly token0: string;
  readonly token1: string;
  /** false after a StateInvalidation until the next PoolState. */
  usable: boolean;
  updatedNs: bigint;
}

/**
 * The market as the execution engine knows it: CEX books from OrderBook snapshots and BookDelta, marks from
 * Quote/Trade, DEX pools through the AMM state module (src/behavior/amm/state), gas per chain. Keyed by the
 * instrument's canonical text. A StateInvalidation makes a book or pool unusable until its next snapshot.
 */
export class MarketState {
  readonly books = new Map<string, BookEntry>();
  readonly pools = new Map<string, PoolEntry>();
  /** base + priority fee in wei, per chain id. */
  readonly gasWei = new Map<number, bigint>();
  /** Pool events that arrived before the pool's first PoolState (no fee/protocol known yet). */
  unknownPoolEvents = 0;
  /** BookDeltas that did not follow the previous update id. */
  bookGaps = 0;

  book(instrument: InstrumentId): BookEntry {
    const key = instrument.toString();
    let e = this.books.get(key);
    if (e === undefined) {
      e = {
        instrument,
        book: new OrderBook(),
        usable: false,
        updatedNs: 0n,
        lastUpdateId: 0n,
        quoteBid: 0n,
        quoteAsk: 0n,
        lastTradePrice: 0n,
      };
      this.books.set(key, e);
    }
    return e;
  }

  applyOrderBook(v: OrderBookTlv, nowNs: bigint): BookEntry {
    const e = this.book(v.instrument);
    e.book.clear();
    for (const l of v.bids) e.book.set("bid", l.price, l.size);
    for (const l of v.asks) e.book.set("ask", l.price, l.size);
    e.usable = !e.book.crossed;
    e.lastUpdateId = v.updateId;
    e.updatedNs = nowNs;
    return e;
  }

  applyBookDelta(v: BookDelta, nowNs: bigint): BookEntry {
    const e = this.book(v.instrument);
    if (!e.usable) return e; // waits for a snapshot
    if (e.lastUpdateId !== 0n && v.firstUpdateId !== 0n && v.firstUpdateId > e.lastUpdateId + 1n) {
      this.bookGaps++;
      e.usable = false;
      return e;
    }
    for (const c of v.changes) e.book.set(c.side === 1 ? "bid" : "ask", c.price, c.size);
    if (v.lastUpdateId !== 0n) e.lastUpdateId = v.lastUpdateId;
    // Not checked for a crossed book here: one venue event can span several BookDelta TLVs of one frame
    // (docs/protocol-decisions.md #18) and may cross half-way. settleBook() checks once the frame is applied.
    e.updatedNs = nowNs;
    return e;
  }

  /** After a frame's deltas: a crossed book cannot be right, it waits for the next snapshot. */
  settleBook(e: BookEntry): void {
    if (e.usable && e.book.crossed) e.usable = false;
  }

  applyQuote(v: Quote, nowNs: bigint): BookEntry {
    const e = this.book(v.instrument);
    e.quoteBid = v.bidPrice;
    e.quoteAsk = v.askPrice;
    e.updatedNs = nowNs;
    return e;
  }

  applyTrade(v: Trade, nowNs: bigint): BookEntry {
    const e = this.book(v.instrument);
    e.lastTradePrice = v.price;
    e.updatedNs = nowNs;
    return e;
  }

  applyPoolState(v: PoolState, nowNs: bigint): PoolEntry {
    const key = v.pool.toString();
    let e = this.pools.get(key);
    if (e === undefined || e.state.protocol !== v.protocol) {
      const state = createPoolState({
        pool: v.pool,
        protocol: v.protocol === 3 ? 3 : 2,
        feePpm: v.feePpm,
        tickSpacing: v.protocol === 3 ? v.tickSpacing : undefined,
        token0Decimals: v.token0Decimals,
        token1Decimals: v.token1Decimals,
      });
      e = { state, token0: v.token0, token1: v.token1, usable: false, updatedNs: 0n };
      this.pools.set(key, e);
    }
    applyPoolSnapshot(e.state, v);
    e.usable = true;
    e.updatedNs = nowNs;
    return e;
  }

  applyPoolEvent(event: PoolEvent, nowNs: bigint): PoolEntry | undefined {
    const e = this.pools.get(event.value.pool.toString());
    if (e === undefined) {
      this.unknownPoolEvents++;
      return undefined;
    }
    if (applyPoolEvent(e.state, event) === "applied") e.updatedNs = nowNs;
    return e;
  }

  /**
   * Installs V3 tick-bitmap words read from the chain (a TickDataLoader's answer). Paper swaps never guess a word:
   * one that walks into an unloaded word fails (TickDataMissing), so whoever runs the engine loads them here.
   */
  applyTickWords(pool: InstrumentId, words: TickWords): boolean {
    const e = this.pools.get(pool.toString());
    if (e === undefined || e.state.protocol !== 3) return false;
    applyTickWords(e.state, words);
    return true;
  }

  applyGasPrice(v: GasPrice): void {
    this.gasWei.set(v.chainId, v.baseFeeWei + v.priorityFeeWei);
  }

  /** Returns what was invalidated ("book", "pool" or undefined when the instrument is unknown). */
  invalidate(v: StateInvalidation): "book" | "pool" | undefined {
    const key = v.instrument.toString();
    const b = this.books.get(key);
    if (b) {
      b.usable = false;
      return "book";
    }
    const p = this.pools.get(key);
    if (p) {
      p.usable = false;
      return "pool";
    }
    return undefined;
  }
}

/**
 * Reference price of a CEX instrument, e8: the book mid (rounded down), else the quote mid, else the last trade;
 * 0n when nothing is known.
 */
export function referencePrice(e: BookEntry | undefined): bigint {
  if (e === undefined) return 0n;
  const bid = e.book.bestBid?.price;
  const ask = e.book.bestAsk?.price;
  if (e.usable && bid !== undefined && ask !== undefined) return (bid + ask) / 2n;
  if (e.quoteBid > 0n && e.quoteAsk > 0n) return (e.quoteBid + e.quoteAsk) / 2n;
  return e.lastTradePrice;
}
