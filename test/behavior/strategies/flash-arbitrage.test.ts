import { describe, expect, test } from "bun:test";
import { applyPoolEvent } from "../../../src/behavior/amm/state/applyPoolEvent.ts";
import { createPoolState } from "../../../src/behavior/amm/state/createPoolState.ts";
import type { V3PoolState } from "../../../src/behavior/amm/state/types.ts";
import { getSqrtRatioAtTick } from "../../../src/behavior/amm/v3/getSqrtRatioAtTick.ts";
import { bookCurves } from "../../../src/behavior/strategies/common/market-state.ts";
import { resolveFlashArbitrageConfig } from "../../../src/behavior/strategies/flash-arbitrage/config.ts";
import { findCexDex } from "../../../src/behavior/strategies/flash-arbitrage/find-cex-dex.ts";
import { findDexDex } from "../../../src/behavior/strategies/flash-arbitrage/find-dex-dex.ts";
import { FlashArbitrage } from "../../../src/behavior/strategies/flash-arbitrage/flash-arbitrage.ts";
import { ceilDiv } from "../../../src/behavior/strategies/flash-arbitrage/opportunity.ts";
import { INFEASIBLE, poolLeg } from "../../../src/behavior/strategies/flash-arbitrage/pool-leg.ts";
import type { PoolState } from "../../../src/data/tlv-layouts.ts";
import { FrameParser } from "../../../src/rules/parser.ts";
import { DAY_FEE, DAY_POOL, DAY_TICK_SPACING, loadPolygonDay } from "../amm/polygon-day.ts";
import {
  book,
  E8,
  gasPrice,
  KRAKEN_ETH,
  KRAKEN_POL,
  MarketFrames,
  QUICK_POOL,
  SUSHI_POOL,
  sha256,
  USDCE,
  v2Pool,
  WETH,
} from "./helpers.ts";

const CONFIG = resolveFlashArbitrageConfig({
  deterministic: true,
  min_profit_usd_e8: 100_000_000, // 1 USD
  taker_fee_bps: { kraken: 10 },
  flash_fee_ppm: 0,
});
const T0 = 1_700_000_000_000_000_000n;
const POL_BOOK = book(KRAKEN_POL, T0, [[50_000_000n, 1_000_000n * E8]], [[50_010_000n, 1_000_000n * E8]]);

/** A strategy fed with frames; returns it and the signal frames it emitted. */
function run(config = CONFIG, feed: (m: MarketFrames, fa: FlashArbitrage) => void) {
  const out: Uint8Array[] = [];
  const fa = new FlashArbitrage(config, (f) => out.push(f.slice()));
  const m = new MarketFrames();
  feed(m, fa);
  return { fa, out };
}

function signalOf(frame: Uint8Array) {
  const p = new FrameParser();
  expect(p.check(frame)).toBe(0);
  const types: number[] = [];
  let signal: Record<string, unknown> | undefined;
  let economics: Record<string, unknown> | undefined;
  for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) {
    types.push(p.tlvType);
    if (p.tlvType === 32) signal = p.readTlv();
    if (p.tlvType === 22) economics = p.readTlv();
  }
  return { types, signal: signal!, economics: economics!, domain: p.domain };
}

/** Exact profit (USD e8, before gas) of selling q lots bought on the pool, recomputed here from the definitions. */
function poolToCexProfit(fa: FlashArbitrage, q: bigint): bigint {
  const b = bookCurves(fa.market.books.get(KRAKEN_ETH.toString())!);
  const pool = [...fa.market.pools.values()][0];
  const leg = poolLeg(pool, !pool.baseIsToken0);
  const qty = q * CONFIG.lotSizeE8;
  const proceeds = b.bidCurve.notionalE16(qty);
  const quoteIn = leg.amountIn(qty * 10n ** 10n);
  if (proceeds < 0n || quoteIn === INFEASIBLE) return -1n << 200n;
  const cost = quoteIn * 100n; // USDC.e 6 decimals -> USD e8
  return proceeds / E8 - ceilDiv(proceeds * 10n, 10n ** 12n) - cost;
}

describe("flash arbitrage: CEX-DEX", () => {
  test("finds a V2 pool below the Kraken bids and sizes it to the exact optimum (brute force over every lot)", () => {
    const { fa, out } = run(CONFIG, (m, fa) => {
      fa.onMarketFrame(m.frame(T0, ["GasPrice", gasPrice(30_000_000_000n, 30_000_000_000n)]));
      fa.onMarketFrame(m.frame(T0, ["OrderBook", POL_BOOK]));
      fa.onMarketFrame(m.frame(T0, ["PoolState", v2Pool(QUICK_POOL, 2_000_000n * 10n ** 6n, 1000n * 10n ** 18n)]));
      // pool at 2000 USD/ETH; bids 2030 (2 ETH), 2020 (3 ETH), 2010 (5 ETH)
      const bids: [bigint, bigint][] = [
        [2030n * E8, 2n * E8],
        [2020n * E8, 3n * E8],
        [2010n * E8, 5n * E8],
      ];
      fa.onMarketFrame(m.frame(T0 + 1n, ["OrderBook", book(KRAKEN_ETH, T0 + 1n, bids, [[2031n * E8, E8]])]));
    });
    expect(out.length).toBe(1);
    const { types, signal, economics, domain } = signalOf(out[0]);
    expect(domain).toBe(2);
    expect(types).toEqual([20, 22, 32]);
    expect(String(signal.buyInstrument)).toBe(QUICK_POOL.toString());
    expect(String(signal.sellInstrument)).toBe(KRAKEN_ETH.toString());
    expect(signal.tokenIn).toBe(USDCE);
    expect(signal.tokenOut).toBe(WETH);
    // brute force: every lot the book can take
    let bestQ = 0n;
    let best = 0n;
    for (let q = 1n; q <= 100_000n; q++) {
      const p = poolToCexProfit(fa, q);
      if (p > best) {
        best = p;
        bestQ = q;
      }
    }
    expect(bestQ).toBeGreaterThan(0n);
    expect(signal.expectedAmountOut).toBe(bestQ * CONFIG.lotSizeE8 * 10n ** 10n);
    expect(economics.expectedProfitUsdE8 as bigint).toBe(best - (economics.gasCostUsdE8 as bigint));
    expect(signal.minAmountOut).toBe(((signal.expectedAmountOut as bigint) * 9970n) / 10_000n);
    expect(signal.validUntilNs).toBe(T0 + 1n + 2_000_000_000n);
    expect(signal.timestampNs).toBe(T0 + 1n);
  });

  test("real V3 pool state of the captured Polygon day against a Kraken book priced around it: exact optimum", () => {
    const { events } = loadPolygonDay();
    const st = createPoolState({
      pool: DAY_POOL,
      protocol: 3,
      feePpm: DAY_FEE,
      tickSpacing: DAY_TICK_SPACING,
      token0Decimals: 6,
      token1Decimals: 18,
    }) as V3PoolState;
    // replay the day until the price sits at least 5 bps above its tick-spacing window's lower edge (room to sell into)
    let roomBps = 0n;
    for (const e of events) {
      applyPoolEvent(st, e);
      if (!st.ready || e.type !== 11) continue;
      const lower = getSqrtRatioAtTick(Math.floor(st.v3.tick / DAY_TICK_SPACING) * DAY_TICK_SPACING);
      roomBps = 10_000n - (10_000n * lower * lower) / (st.v3.sqrtPriceX96 * st.v3.sqrtPriceX96);
      if (roomBps >= 5n) break;
    }
    expect(roomBps).toBeGreaterThanOrEqual(5n);
    const snap: PoolState = {
      pool: DAY_POOL,
      blockNumber: st.validAt!.blockNumber,
      timestampNs: T0,
      token0: USDCE,
      token1: WETH,
      feePpm: DAY_FEE,
      tickSpacing: DAY_TICK_SPACING,
      token0Decimals: 6,
      token1Decimals: 18,
      protocol: 3,
      reserve0: 0n,
      reserve1: 0n,
      sqrtPriceX96: st.v3.sqrtPriceX96,
      liquidity: st.v3.liquidity,
      tick: st.v3.tick,
    };
    // pool price in USD e8 per ETH: 2^192 * 10^12 * 10^8 / sqrtP^2
    const poolE8 = ((1n << 192n) * 10n ** 20n) / (snap.sqrtPriceX96 * snap.sqrtPriceX96);
    expect(poolE8).toBeGreaterThan(1900n * E8);
    expect(poolE8).toBeLessThan(2200n * E8);
    // asks below the pool: buy on Kraken, sell into the pool. Pool fee 5 bps + taker 1 bp: a level pays while the
    // pool price is more than 6 bps above it. A small level 6 + room bps under, then a deep one 6 + room/2 under:
    // the pool price meets the deep level inside the window, an interior optimum.
    const ask = (bps: bigint) => poolE8 - (poolE8 * bps) / 10_000n;
    const asks: [bigint, bigint][] = [
      [ask(6n + roomBps), E8 / 5n],
      [ask(6n + roomBps / 2n), 500n * E8],
    ];
    const config = resolveFlashArbitrageConfig({
      deterministic: true,
      min_profit_usd_e8: 1_000_000,
      taker_fee_bps: { kraken: 1 },
      flash_fee_ppm: 0,
    });
    const { fa, out } = run(config, (m, fa) => {
      fa.onMarketFrame(m.frame(T0, ["GasPrice", gasPrice(30_000_000_000n)]));
      fa.onMarketFrame(m.frame(T0, ["OrderBook", POL_BOOK]));
      fa.onMarketFrame(m.frame(T0, ["OrderBook", book(KRAKEN_ETH, T0, [[ask(40n), E8]], asks)]));
      fa.onMarketFrame(m.frame(T0 + 5n, ["PoolState", snap]));
    });
    expect(out.length).toBe(1);
    const { signal, economics } = signalOf(out[0]);
    expect(String(signal.buyInstrument)).toBe(KRAKEN_ETH.toString());
    expect(String(signal.sellInstrument)).toBe(DAY_POOL.toString());
    // brute force over every lot the V3 window and the asks allow, same exact math
    const b = bookCurves(fa.market.books.get(KRAKEN_ETH.toString())!);
    const pool = fa.market.pools.get(DAY_POOL.toString())!;
    const leg = poolLeg(pool, false); // pay WETH (token1) into the pool
    const maxLots = leg.maxIn / 10n ** 10n / config.lotSizeE8;
    expect(maxLots).toBeGreaterThan(100n);
    let bestQ = 0n;
    let best = 0n;
    for (let q = 1n; q <= maxLots && q <= 730_000n; q++) {
      const qty = q * config.lotSizeE8;
      const cost16 = b.askCurve.notionalE16(qty);
      const out = leg.amountOut(qty * 10n ** 10n);
      if (cost16 < 0n || out === INFEASIBLE) continue;
      const p = out * 100n - ceilDiv(cost16, E8) - ceilDiv(cost16 * 1n, 10n ** 12n);
      if (p > best) {
        best = p;
        bestQ = q;
      }
    }
    expect(bestQ).toBeGreaterThan(0n);
    expect(bestQ).toBeLessThan(maxLots); // an interior optimum: the book, not the V3 window, stops it
    expect(signal.amountIn).toBe(bestQ * config.lotSizeE8 * 10n ** 10n);
    expect(economics.expectedProfitUsdE8 as bigint).toBe(best - (economics.gasCostUsdE8 as bigint));
  });

  test("an opportunity that pays before gas but not after is not signalled", () => {
    const { fa, out } = run(CONFIG, (m, fa) => {
      fa.onMarketFrame(m.frame(T0, ["GasPrice", gasPrice(2_000_000_000_000_000n)])); // 2e15 wei/gas
      fa.onMarketFrame(m.frame(T0, ["OrderBook", POL_BOOK]));
      fa.onMarketFrame(m.frame(T0, ["PoolState", v2Pool(QUICK_POOL, 2_000_000n * 10n ** 6n, 1000n * 10n ** 18n)]));
      fa.onMarketFrame(m.frame(T0, ["OrderBook", book(KRAKEN_ETH, T0, [[2030n * E8, 2n * E8]], [[2031n * E8, E8]])]));
    });
    expect(out.length).toBe(0);
    expect(fa.counters.belowThreshold).toBeGreaterThan(0);
  });

  test("inside the fees: no opportunity at all", () => {
    const { fa, out } = run(CONFIG, (m, fa) => {
      fa.onMarketFrame(m.frame(T0, ["GasPrice", gasPrice(1n)]));
      fa.onMarketFrame(m.frame(T0, ["OrderBook", POL_BOOK]));
      fa.onMarketFrame(m.frame(T0, ["PoolState", v2Pool(QUICK_POOL, 2_000_000n * 10n ** 6n, 1000n * 10n ** 18n)]));
      // 0.3 % pool fee + 0.1 % taker: bids 0.35 % above the pool do not pay
      fa.onMarketFrame(m.frame(T0, ["OrderBook", book(KRAKEN_ETH, T0, [[2007n * E8, 9n * E8]], [[2008n * E8, E8]])]));
    });
    expect(out.length).toBe(0);
    expect(fa.counters.belowThreshold).toBe(0);
  });

  test("a StateInvalidation suppresses signals until the next snapshot", () => {
    const bids: [bigint, bigint][] = [[2030n * E8, 2n * E8]];
    const { fa, out } = run(CONFIG, (m, fa) => {
      fa.onMarketFrame(m.frame(T0, ["GasPrice", gasPrice(30_000_000_000n)]));
      fa.onMarketFrame(m.frame(T0, ["OrderBook", POL_BOOK]));
      fa.onMarketFrame(m.frame(T0, ["OrderBook", book(KRAKEN_ETH, T0, bids, [[2031n * E8, E8]])]));
      fa.onMarketFrame(m.frame(T0, ["StateInvalidation", { instrument: KRAKEN_ETH, reason: 2, venueSequence: 7n }]));
      // the pool arrives while the book is invalid: nothing
      fa.onMarketFrame(m.frame(T0 + 1n, ["PoolState", v2Pool(QUICK_POOL, 2_000_000n * 10n ** 6n, 1000n * 10n ** 18n)]));
      // a delta does not revive an invalidated book
      fa.onMarketFrame(
        m.frame(T0 + 2n, [
          "BookDelta",
          {
            instrument: KRAKEN_ETH,
            exchangeTsNs: T0 + 2n,
            firstUpdateId: 2n,
            lastUpdateId: 2n,
            changes: [{ price: 2029n * E8, size: E8, side: 1 }],
          },
        ]),
      );
    });
    expect(out.length).toBe(0);
    // the next snapshot revives it
    const m = new MarketFrames();
    fa.onMarketFrame(m.frame(T0 + 3n, ["OrderBook", book(KRAKEN_ETH, T0 + 3n, bids, [[2031n * E8, E8]], 3n)]));
    expect(fa.counters.signals).toBe(1);
    // and an invalidated pool stops it again
    fa.onMarketFrame(m.frame(T0 + 4n, ["StateInvalidation", { instrument: QUICK_POOL, reason: 4, venueSequence: 0n }]));
    fa.onMarketFrame(m.frame(T0 + 5n, ["OrderBook", book(KRAKEN_ETH, T0 + 5n, bids, [[2031n * E8, E8]], 5n)]));
    expect(fa.counters.signals).toBe(1);
  });

  test("bad input is counted, never thrown", () => {
    const { fa, out } = run(CONFIG, (m, fa) => {
      fa.onMarketFrame(m.frame(T0, ["PoolState", { ...v2Pool(QUICK_POOL, 1n, 1n), protocol: 7 }]));
      fa.onMarketFrame(m.frame(T0, ["PoolState", { ...v2Pool(SUSHI_POOL, 1n, 1n), protocol: 3, tickSpacing: 0 }]));
    });
    expect(out.length).toBe(0);
    expect(fa.counters.badFrames).toBe(2);
  });
});

describe("flash arbitrage: DEX-DEX", () => {
  test("two V2 pools of one pair: the flash round trip is sized to the exact optimum (brute force)", () => {
    const config = resolveFlashArbitrageConfig({ deterministic: true, min_profit_usd_e8: 1_000_000 });
    const { fa, out } = run(config, (m, fa) => {
      fa.onMarketFrame(m.frame(T0, ["GasPrice", gasPrice(30_000_000_000n)]));
      fa.onMarketFrame(m.frame(T0, ["OrderBook", POL_BOOK]));
      fa.onMarketFrame(m.frame(T0, ["PoolState", v2Pool(QUICK_POOL, 200_000n * 10n ** 6n, 100n * 10n ** 18n)]));
      fa.onMarketFrame(m.frame(T0 + 1n, ["PoolState", v2Pool(SUSHI_POOL, 204_000n * 10n ** 6n, 100n * 10n ** 18n)]));
    });
    expect(out.length).toBe(1);
    const { signal } = signalOf(out[0]);
    expect(String(signal.buyInstrument)).toBe(QUICK_POOL.toString());
    expect(String(signal.sellInstrument)).toBe(SUSHI_POOL.toString());
    expect(signal.tokenIn).toBe(USDCE);
    expect(signal.tokenOut).toBe(USDCE);
    const quick = fa.market.pools.get(QUICK_POOL.toString())!;
    const sushi = fa.market.pools.get(SUSHI_POOL.toString())!;
    const buy = poolLeg(quick, true);
    const sell = poolLeg(sushi, false);
    const step = 10_000n; // 0.01 USDC.e
    let bestK = 0n;
    let best = 0n;
    for (let k = 1n; k <= 200_000n; k++) {
      const p = sell.amountOut(buy.amountOut(k * step)) - k * step;
      if (p > best) {
        best = p;
        bestK = k;
      }
    }
    expect(signal.amountIn).toBe(bestK * step);
    expect(signal.expectedAmountOut).toBe(bestK * step + best);
    const direct = findDexDex(quick, sushi, config, fa.gasQuote(137)!);
    expect(direct?.amountIn).toBe(bestK * step);
  });
});

describe("flash arbitrage: determinism", () => {
  test("the same input frames give byte-identical signal frames on two runs", () => {
    const feed = (m: MarketFrames, fa: FlashArbitrage) => {
      fa.onMarketFrame(m.frame(T0, ["GasPrice", gasPrice(30_000_000_000n)]));
      fa.onMarketFrame(m.frame(T0, ["OrderBook", POL_BOOK]));
      fa.onMarketFrame(m.frame(T0, ["PoolState", v2Pool(QUICK_POOL, 2_000_000n * 10n ** 6n, 1000n * 10n ** 18n)]));
      for (let i = 0n; i < 20n; i++) {
        const px = 2010n * E8 + i * 3n * E8;
        fa.onMarketFrame(
          m.frame(T0 + i * 1000n, [
            "OrderBook",
            book(KRAKEN_ETH, T0 + i * 1000n, [[px, 4n * E8]], [[px + E8, E8]], i + 1n),
          ]),
        );
      }
    };
    const a = run(CONFIG, feed);
    const b = run(CONFIG, feed);
    expect(a.out.length).toBeGreaterThanOrEqual(5);
    expect(a.fa.counters.repeats).toBeGreaterThan(0);
    expect(sha256(a.out)).toBe(sha256(b.out));
    const ids = a.out.map((f) => signalOf(f).signal.signalId);
    expect(ids).toEqual(ids.map((_, i) => BigInt(i + 1)));
    // findCexDex is pure: the same state gives the same answer
    const bk = a.fa.market.books.get(KRAKEN_ETH.toString())!;
    const pool = a.fa.market.pools.get(QUICK_POOL.toString())!;
    const gas = a.fa.gasQuote(137)!;
    expect(findCexDex(bk, pool, CONFIG, gas)).toEqual(findCexDex(bk, pool, CONFIG, gas));
  });
});
