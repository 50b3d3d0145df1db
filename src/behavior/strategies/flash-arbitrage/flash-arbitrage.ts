import { nowNs } from "../../../core/time.ts";
import { RelayDomain, SourceType } from "../../../data/venues.ts";
import { FrameBuilder } from "../../../rules/builder.ts";
import type { FrameParser } from "../../../rules/parser.ts";
import { type CexBookState, type DexPoolState, MarketState, type MarketUpdate } from "../common/market-state.ts";
import { DEFAULT_GAS_ASSETS, TokenTable } from "../common/token-table.ts";
import type { FlashArbitrageConfig } from "./config.ts";
import { findCexDex, type GasQuote } from "./find-cex-dex.ts";
import { findDexDex } from "./find-dex-dex.ts";
import type { Opportunity } from "./opportunity.ts";

export interface FlashArbitrageCounters {
  framesIn: number;
  /** Frames that could not be applied (bad values): counted, skipped, never fatal. */
  badFrames: number;
  evaluations: number;
  signals: number;
  /** Opportunities found but below min_profit_usd_e8 after gas. */
  belowThreshold: number;
  /** The same route and size as the signal still valid for it: not sent again. */
  repeats: number;
  /** Evaluations skipped: no GasPrice for the chain, or no gas token price. */
  noGasPrice: number;
}

const ONE_MS_NS = 1_000_000n;

/**
 * Flash arbitrage (docs/strategies.md): keeps the market state from the market data relay and, on every book, pool or
 * gas update, sizes the CEX-DEX and DEX-DEX trades it touches. A trade whose net profit reaches min_profit_usd_e8
 * leaves as ONE signal-relay frame: SignalIdentity + Economics + ArbitrageSignal.
 *
 * Deterministic mode: signal ids from a counter, the frame header and signal timestamps from the triggering frame's
 * exchange (or block) time, so the same input frames give byte-identical signal frames.
 */
export class FlashArbitrage {
  readonly config: FlashArbitrageConfig;
  readonly market: MarketState;
  readonly counters: FlashArbitrageCounters = {
    framesIn: 0,
    badFrames: 0,
    evaluations: 0,
    signals: 0,
    belowThreshold: 0,
    repeats: 0,
    noGasPrice: 0,
  };
  /** The last signal error, for the service's log (never thrown). */
  lastError: unknown;
  private readonly tokens: TokenTable;
  private readonly builder: FrameBuilder;
  private readonly emit: (frame: Uint8Array) => void;
  private nextSignalId: bigint;
  private readonly booksByPair = new Map<string, CexBookState[]>();
  private readonly poolsByPair = new Map<string, DexPoolState[]>();
  private indexedVersion = -1;
  /** Per route: "amountIn/out" and valid_until of the last signal, to suppress repeats. */
  private readonly lastByRoute = new Map<string, { sizeKey: string; validUntil: bigint }>();

  constructor(config: FlashArbitrageConfig, emit: (frame: Uint8Array) => void) {
    this.config = config;
    this.emit = emit;
    this.tokens = new TokenTable(config.tokens, config.usdAssets);
    this.market = new MarketState(this.tokens);
    this.builder = new FrameBuilder({ domain: RelayDomain.Signal, source: SourceType.ArbitrageStrategy });
    this.nextSignalId = config.firstSignalId;
  }

  /** One market data frame (already checked by the framer). Never throws. */
  onMarketFrame(parser: FrameParser): void {
    this.counters.framesIn++;
    let update: MarketUpdate;
    try {
      update = this.market.apply(parser);
    } catch (e) {
      this.counters.badFrames++;
      this.lastError = e;
      return;
    }
    try {
      this.evaluate(update);
    } catch (e) {
      this.counters.badFrames++;
      this.lastError = e;
    }
  }

  /** Evaluates what an update touched: books against pools of their pair, pools against books and other pools. */
  private evaluate(u: MarketUpdate): void {
    if (u.books.length === 0 && u.pools.length === 0 && u.gasChains.length === 0) return;
    this.reindex();
    const ts = u.eventTsNs;
    if (u.gasChains.length > 0) {
      for (const p of this.market.pools.values()) if (u.gasChains.includes(p.chainId)) this.evaluatePool(p, ts);
      return;
    }
    if (this.config.cexDex) {
      for (const b of u.books) {
        if (b.pairKey === undefined) continue;
        for (const p of this.poolsByPair.get(b.pairKey) ?? []) if (p.valid) this.evaluatePair(b, p, ts);
      }
    }
    for (const p of u.pools) this.evaluatePool(p, ts);
  }

  private evaluatePool(p: DexPoolState, ts: bigint): void {
    if (!p.valid || p.pairKey === undefined || !p.state.ready) return;
    if (this.config.cexDex) {
      for (const b of this.booksByPair.get(p.pairKey) ?? []) if (b.valid) this.evaluatePair(b, p, ts);
    }
    if (this.config.dexDex) {
      for (const q of this.poolsByPair.get(p.pairKey) ?? []) {
        if (q === p || !q.valid || !q.state.ready) continue;
        const gas = this.gasQuote(p.chainId);
        if (gas === undefined) continue;
        this.counters.evaluations++;
        const o = findDexDex(p, q, this.config, gas);
        if (o !== undefined) this.offer(o, ts);
      }
    }
  }

  private evaluatePair(b: CexBookState, p: DexPoolState, ts: bigint): void {
    if (!p.state.ready) return;
    const gas = this.gasQuote(p.chainId);
    if (gas === undefined) return;
    this.counters.evaluations++;
    const o = findCexDex(b, p, this.config, gas);
    if (o !== undefined) this.offer(o, ts);
  }

  /** Gas price of the chain and the gas token's USD price (mid of a valid book of <gas asset>/USD, or config). */
  gasQuote(chainId: number): GasQuote | undefined {
    const g = this.market.gas.get(chainId);
    if (g === undefined) {
      this.counters.noGasPrice++;
      return undefined;
    }
    let usd = 0n;
    const asset = DEFAULT_GAS_ASSETS[chainId];
    if (asset !== undefined) {
      for (const b of this.booksByPair.get(`${asset}/USD`) ?? []) {
        const bid = b.book.bestBid;
        const ask = b.book.bestAsk;
        if (b.valid && bid !== undefined && ask !== undefined) {
          usd = (bid.price + ask.price) / 2n;
          break;
        }
      }
    }
    if (usd === 0n) usd = this.config.gasTokenUsdE8[chainId] ?? 0n;
    if (usd === 0n) {
      this.counters.noGasPrice++;
      return undefined;
    }
    return { gasPriceWei: g.gasPriceWei, gasTokenUsdE8: usd };
  }

  private offer(o: Opportunity, eventTs: bigint): void {
    if (o.netProfitUsdE8 < this.config.minProfitUsdE8) {
      this.counters.belowThreshold++;
      return;
    }
    const ts = this.config.deterministic ? eventTs : nowNs();
    const validUntil = ts + BigInt(this.config.validForMs) * ONE_MS_NS;
    const route = `${o.buyInstrument.toString()}>${o.sellInstrument.toString()}`;
    const sizeKey = `${o.amountIn}/${o.expectedAmountOut}`;
    const last = this.lastByRoute.get(route);
    if (last !== undefined && last.sizeKey === sizeKey && ts < last.validUntil) {
      this.counters.repeats++;
      return;
    }
    this.lastByRoute.set(route, { sizeKey, validUntil });
    this.emit(this.buildSignal(o, ts, validUntil));
  }

  /** SignalIdentity + Economics + ArbitrageSignal in one frame (PROTOCOL.md §6). */
  buildSignal(o: Opportunity, ts: bigint, validUntil: bigint): Uint8Array {
    const c = this.config;
    const signalId = this.nextSignalId++;
    const minOut = (o.expectedAmountOut * BigInt(10_000 - c.slippageBps)) / 10_000n;
    // atomic DEX-DEX round trips are surer than CEX-DEX legs, which can be legged out
    const confidence = o.kind === "dex_dex" ? 90 : 60;
    const dollars = o.netProfitUsdE8 / 100_000_000n;
    this.counters.signals++;
    return this.builder
      .begin(c.deterministic ? ts : undefined)
      .add("SignalIdentity", { signalId, strategyId: c.strategyId, strategyVersion: c.strategyVersion, confidence })
      .add("Economics", {
        expectedProfitUsdE8: o.netProfitUsdE8,
        requiredCapitalUsdE8: o.requiredCapitalUsdE8,
        gasCostUsdE8: o.gasCostUsdE8,
        feesUsdE8: o.feesUsdE8,
      })
      .add("ArbitrageSignal", {
        signalId,
        strategyId: c.strategyId,
        sourceVenue: o.buyVenue,
        targetVenue: o.sellVenue,
        slippageToleranceBps: c.slippageBps,
        chainId: o.chainId,
        maxGasPriceGwei: Number(o.breakEvenGasGwei),
        validUntilNs: validUntil,
        buyInstrument: o.buyInstrument,
        sellInstrument: o.sellInstrument,
        tokenIn: o.tokenIn,
        tokenOut: o.tokenOut,
        amountIn: o.amountIn,
        expectedAmountOut: o.expectedAmountOut,
        minAmountOut: minOut,
        expectedProfitUsdE8: o.netProfitUsdE8,
        spreadBps: Math.max(-2147483648, Math.min(2147483647, o.spreadBps)),
        priority: Number(dollars > 65535n ? 65535n : dollars < 0n ? 0n : dollars),
        timestampNs: ts,
      })
      .finish();
  }

  private reindex(): void {
    const m = this.market;
    if (m.version === this.indexedVersion) return;
    this.booksByPair.clear();
    for (const b of m.books.values()) {
      if (b.pairKey === undefined) continue;
      const list = this.booksByPair.get(b.pairKey) ?? [];
      list.push(b);
      this.booksByPair.set(b.pairKey, list);
    }
    this.poolsByPair.clear();
    for (const p of m.pools.values()) {
      if (p.pairKey === undefined) continue;
      const list = this.poolsByPair.get(p.pairKey) ?? [];
      list.push(p);
      this.poolsByPair.set(p.pairKey, list);
    }
    this.indexedVersion = m.version;
  }
}
