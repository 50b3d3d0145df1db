import type { DexPoolState } from "../common/market-state.ts";
import type { FlashArbitrageConfig } from "./config.ts";
import type { GasQuote } from "./find-cex-dex.ts";
import { breakEvenGasGwei, ceilDiv, gasCostUsdE8, type Opportunity, POW10 } from "./opportunity.ts";
import { INFEASIBLE, poolLeg } from "./pool-leg.ts";
import { NO_PROFIT, sizeBySteps } from "./size-search.ts";

const E8 = POW10[8];

/**
 * The best DEX-DEX round trip between two pools of the same token pair on one chain (docs/strategies.md "DEX-DEX"),
 * taken atomically with a flash swap: borrow x of the USD-asset token, buy the base on `buy`, sell it on `sell`,
 * repay. x is a whole number of steps (dexStepUsdE8). Profit in the USD token's raw units:
 *   out_sell(out_buy(x)) - x - ceil(x * dexFlashFeePpm / 1e6)
 * both legs exact-input quotes with the exact AMM math (pool fees inside the quotes). Tries buy/sell both ways
 * round and returns the better one before gas, or undefined when neither pays.
 */
export function findDexDex(
  a: DexPoolState,
  b: DexPoolState,
  config: FlashArbitrageConfig,
  gas: GasQuote,
): Opportunity | undefined {
  if (a.chainId !== b.chainId || a.token0 !== b.token0 || a.token1 !== b.token1 || a.pairKey === undefined) {
    return undefined;
  }
  const x = roundTrip(a, b, config, gas);
  const y = roundTrip(b, a, config, gas);
  if (x === undefined) return y;
  if (y === undefined) return x;
  return y.grossProfitUsdE8 > x.grossProfitUsdE8 ? y : x;
}

function roundTrip(
  buy: DexPoolState,
  sell: DexPoolState,
  config: FlashArbitrageConfig,
  gas: GasQuote,
): Opportunity | undefined {
  const quoteDecimals = buy.baseIsToken0 ? buy.token1Decimals : buy.token0Decimals;
  const quoteToken = buy.baseIsToken0 ? buy.token1 : buy.token0;
  const qScale = POW10[quoteDecimals];
  // pay the quote token into `buy` (zeroForOne when the quote is token0), the base into `sell`
  const legBuy = poolLeg(buy, !buy.baseIsToken0);
  const legSell = poolLeg(sell, sell.baseIsToken0);
  let step = (config.dexStepUsdE8 * qScale) / E8;
  if (step < 1n) step = 1n;
  let maxSteps = (config.maxTradeUsdE8 * qScale) / E8 / step;
  const byPool = legBuy.maxIn / step;
  if (byPool < maxSteps) maxSteps = byPool;
  const flashPpm = config.dexFlashFeePpm;
  const profitOf = (k: bigint): bigint => {
    const x = k * step;
    const mid = legBuy.amountOut(x);
    if (mid === INFEASIBLE) return NO_PROFIT;
    const out = mid === 0n ? 0n : legSell.amountOut(mid);
    if (out === INFEASIBLE) return NO_PROFIT;
    return out - x - ceilDiv(x * flashPpm, 1_000_000n);
  };
  const sized = sizeBySteps(profitOf, maxSteps, config.refineSteps);
  if (sized.steps === 0n) return undefined;
  const amountIn = sized.steps * step;
  const mid = legBuy.amountOut(amountIn);
  const out = legSell.amountOut(mid);
  const gasUnits =
    config.gasUnitsOverhead +
    (buy.state.protocol === 2 ? config.gasUnitsV2Swap : config.gasUnitsV3Swap) +
    (sell.state.protocol === 2 ? config.gasUnitsV2Swap : config.gasUnitsV3Swap);
  const gasCost = gasCostUsdE8(gasUnits, gas.gasPriceWei, gas.gasTokenUsdE8);
  const gross = (sized.profit * E8) / qScale;
  const capital = ceilDiv(amountIn * E8, qScale);
  // pool fees: the buy leg's on its input; the sell leg's on the base it is paid, valued at what it returns
  const fees =
    ceilDiv(capital * BigInt(buy.feePpm), 1_000_000n) +
    ceilDiv(((out * E8) / qScale) * BigInt(sell.feePpm), 1_000_000n) +
    ceilDiv(capital * flashPpm, 1_000_000n);
  return {
    kind: "dex_dex",
    buyInstrument: buy.id,
    sellInstrument: sell.id,
    buyVenue: buy.id.venue,
    sellVenue: sell.id.venue,
    chainId: buy.chainId,
    tokenIn: quoteToken,
    tokenOut: quoteToken,
    amountIn,
    expectedAmountOut: out,
    cexQuantityE8: 0n,
    requiredCapitalUsdE8: capital,
    feesUsdE8: fees,
    gasUnits,
    gasPriceWei: gas.gasPriceWei,
    gasCostUsdE8: gasCost,
    grossProfitUsdE8: gross,
    netProfitUsdE8: gross - gasCost,
    spreadBps: Number(((out - amountIn) * 10_000n) / amountIn),
    breakEvenGasGwei: breakEvenGasGwei(gross, gasUnits, gas.gasTokenUsdE8),
  };
}
