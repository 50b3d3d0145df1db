import { VENUE_NAME_BY_ID } from "../../../data/venues.ts";
import { bookCurves, type CexBookState, type DexPoolState } from "../common/market-state.ts";
import type { FlashArbitrageConfig } from "./config.ts";
import { breakEvenGasGwei, ceilDiv, gasCostUsdE8, type Opportunity, POW10 } from "./opportunity.ts";
import { INFEASIBLE, poolLeg } from "./pool-leg.ts";
import { NO_PROFIT, sizeBySteps } from "./size-search.ts";

export interface GasQuote {
  gasPriceWei: bigint;
  /** USD e8 per whole native gas token. */
  gasTokenUsdE8: bigint;
}

const E8 = POW10[8];
const E12 = POW10[12];

/**
 * The best CEX-DEX trade between a book and a pool of the same pair (docs/strategies.md "CEX-DEX"), in both
 * directions: buy the base on the pool and sell it into the bids, or buy it from the asks and sell it into the pool.
 * Sizes are whole lots (lotSizeE8) of the CEX quantity q; for each q the DEX leg is quoted exactly (an exact output
 * of q base when buying on the pool, an exact input of q base when selling into it) and the book is walked level
 * by level. Profit in USD e8, the USD-asset quote token counted 1:1:
 *   pool -> CEX:  floor(bids(q)) - ceil(bids(q) * taker) - ceil(in(q)) - ceil(in(q) * flash)
 *   CEX -> pool:  floor(out(q)) - ceil(asks(q)) - ceil(asks(q) * taker) - ceil(asks(q) * flash)
 * Returns the more profitable direction before gas, or undefined when neither pays before gas.
 */
export function findCexDex(
  bookState: CexBookState,
  pool: DexPoolState,
  config: FlashArbitrageConfig,
  gas: GasQuote,
): Opportunity | undefined {
  const s = bookCurves(bookState);
  const baseDecimals = pool.baseIsToken0 ? pool.token0Decimals : pool.token1Decimals;
  const quoteDecimals = pool.baseIsToken0 ? pool.token1Decimals : pool.token0Decimals;
  const baseToken = pool.baseIsToken0 ? pool.token0 : pool.token1;
  const quoteToken = pool.baseIsToken0 ? pool.token1 : pool.token0;
  const venueName = VENUE_NAME_BY_ID.get(s.id.venue) ?? "";
  const takerBps = BigInt(config.takerFeeBps[venueName] ?? config.takerFeeBps.default ?? 0);
  const flashPpm = config.flashFeePpm;
  const feePpm = BigInt(pool.feePpm);
  const lot = config.lotSizeE8;
  const qScale = POW10[quoteDecimals];
  // raw base units of a CEX quantity (e8); exact for tokens with 8 decimals or more, floored below
  const baseRawOf = (qtyE8: bigint): bigint =>
    baseDecimals >= 8 ? qtyE8 * POW10[baseDecimals - 8] : qtyE8 / POW10[8 - baseDecimals];
  const toLots = (baseRaw: bigint): bigint =>
    (baseDecimals >= 8 ? baseRaw / POW10[baseDecimals - 8] : baseRaw * POW10[8 - baseDecimals]) / lot;
  const gasUnits =
    config.gasUnitsOverhead + (pool.state.protocol === 2 ? config.gasUnitsV2Swap : config.gasUnitsV3Swap);
  const gasCost = gasCostUsdE8(gasUnits, gas.gasPriceWei, gas.gasTokenUsdE8);

  let best: Opportunity | undefined;

  // pool -> CEX: pay the quote token into the pool for the base, sell the base into the bids
  const bestBid = s.book.bestBid;
  if (bestBid !== undefined) {
    const leg = poolLeg(pool, !pool.baseIsToken0);
    let maxLots = s.bidCurve.depth / lot;
    const byPool = toLots(leg.maxOut);
    if (byPool < maxLots) maxLots = byPool;
    const byRisk = (config.maxTradeUsdE8 * E8) / (bestBid.price * lot);
    if (byRisk < maxLots) maxLots = byRisk;
    const profitOf = (q: bigint): bigint => {
      const qty = q * lot;
      const proceeds = s.bidCurve.notionalE16(qty);
      const quoteIn = leg.amountIn(baseRawOf(qty));
      if (proceeds < 0n || quoteIn === INFEASIBLE) return NO_PROFIT;
      const cost = ceilDiv(quoteIn * E8, qScale);
      return proceeds / E8 - ceilDiv(proceeds * takerBps, E12) - cost - ceilDiv(cost * flashPpm, 1_000_000n);
    };
    const sized = sizeBySteps(profitOf, maxLots, config.refineSteps);
    if (sized.steps > 0n) {
      const qty = sized.steps * lot;
      const proceeds = s.bidCurve.notionalE16(qty);
      const baseOut = baseRawOf(qty);
      const quoteIn = leg.amountIn(baseOut);
      const cost = ceilDiv(quoteIn * E8, qScale);
      const fees =
        ceilDiv(proceeds * takerBps, E12) + ceilDiv(cost * flashPpm, 1_000_000n) + ceilDiv(cost * feePpm, 1_000_000n);
      best = {
        kind: "cex_dex",
        buyInstrument: pool.id,
        sellInstrument: s.id,
        buyVenue: pool.id.venue,
        sellVenue: s.id.venue,
        chainId: pool.chainId,
        tokenIn: quoteToken,
        tokenOut: baseToken,
        amountIn: quoteIn,
        expectedAmountOut: baseOut,
        cexQuantityE8: qty,
        requiredCapitalUsdE8: cost,
        feesUsdE8: fees,
        gasUnits,
        gasPriceWei: gas.gasPriceWei,
        gasCostUsdE8: gasCost,
        grossProfitUsdE8: sized.profit,
        netProfitUsdE8: sized.profit - gasCost,
        spreadBps: Number(((proceeds / E8 - cost) * 10_000n) / (cost > 0n ? cost : 1n)),
        breakEvenGasGwei: breakEvenGasGwei(sized.profit, gasUnits, gas.gasTokenUsdE8),
      };
    }
  }

  // CEX -> pool: buy the base from the asks, pay it into the pool for the quote token
  const bestAsk = s.book.bestAsk;
  if (bestAsk !== undefined) {
    const leg = poolLeg(pool, pool.baseIsToken0);
    let maxLots = s.askCurve.depth / lot;
    const byPool = toLots(leg.maxIn);
    if (byPool < maxLots) maxLots = byPool;
    const byRisk = (config.maxTradeUsdE8 * E8) / (bestAsk.price * lot);
    if (byRisk < maxLots) maxLots = byRisk;
    const profitOf = (q: bigint): bigint => {
      const qty = q * lot;
      const costE16 = s.askCurve.notionalE16(qty);
      const quoteOut = leg.amountOut(baseRawOf(qty));
      if (costE16 < 0n || quoteOut === INFEASIBLE) return NO_PROFIT;
      const cost = ceilDiv(costE16, E8);
      return (quoteOut * E8) / qScale - cost - ceilDiv(costE16 * takerBps, E12) - ceilDiv(cost * flashPpm, 1_000_000n);
    };
    const sized = sizeBySteps(profitOf, maxLots, config.refineSteps);
    if (sized.steps > 0n && (best === undefined || sized.profit > best.grossProfitUsdE8)) {
      const qty = sized.steps * lot;
      const costE16 = s.askCurve.notionalE16(qty);
      const cost = ceilDiv(costE16, E8);
      const baseIn = baseRawOf(qty);
      const quoteOut = leg.amountOut(baseIn);
      const value = (quoteOut * E8) / qScale;
      const fees =
        ceilDiv(costE16 * takerBps, E12) + ceilDiv(cost * flashPpm, 1_000_000n) + ceilDiv(cost * feePpm, 1_000_000n);
      best = {
        kind: "cex_dex",
        buyInstrument: s.id,
        sellInstrument: pool.id,
        buyVenue: s.id.venue,
        sellVenue: pool.id.venue,
        chainId: pool.chainId,
        tokenIn: baseToken,
        tokenOut: quoteToken,
        amountIn: baseIn,
        expectedAmountOut: quoteOut,
        cexQuantityE8: qty,
        requiredCapitalUsdE8: cost,
        feesUsdE8: fees,
        gasUnits,
        gasPriceWei: gas.gasPriceWei,
        gasCostUsdE8: gasCost,
        grossProfitUsdE8: sized.profit,
        netProfitUsdE8: sized.profit - gasCost,
        spreadBps: Number(((value - cost) * 10_000n) / (cost > 0n ? cost : 1n)),
        breakEvenGasGwei: breakEvenGasGwei(sized.profit, gasUnits, gas.gasTokenUsdE8),
      };
    }
  }
  return best;
}
