import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MIN_SQRT_RATIO } from "../../../src/behavior/amm/constants.ts";
import { rawPrice } from "../../../src/behavior/amm/rawPrice.ts";
import { getOptimalInputV3AgainstPrice } from "../../../src/behavior/amm/sizing/getOptimalInputV3AgainstPrice.ts";
import { getOptimalInputV3ToV2 } from "../../../src/behavior/amm/sizing/getOptimalInputV3ToV2.ts";
import { maximizeProfit } from "../../../src/behavior/amm/sizing/maximizeProfit.ts";
import { netArbitrageProfit } from "../../../src/behavior/amm/sizing/netArbitrageProfit.ts";
import { getAmountOut } from "../../../src/behavior/amm/v2/getAmountOut.ts";
import { getOptimalInputBetweenPools } from "../../../src/behavior/amm/v2/getOptimalInputBetweenPools.ts";
import { createV3Pool } from "../../../src/behavior/amm/v3/createV3Pool.ts";
import { getSqrtRatioAtTick } from "../../../src/behavior/amm/v3/getSqrtRatioAtTick.ts";
import { initializeV3Pool } from "../../../src/behavior/amm/v3/initializeV3Pool.ts";
import { mintV3 } from "../../../src/behavior/amm/v3/mintV3.ts";
import { quoteSwapV3 } from "../../../src/behavior/amm/v3/quoteSwapV3.ts";
import type { V3Pool } from "../../../src/behavior/amm/v3/types.ts";

/** USDC.e (6 dp) / WETH (18 dp) 0.05 %, price ~2000 USDC.e per WETH (tick ~200,300), liquidity in layers. */
function usdcWethPool(): V3Pool {
  const pool = createV3Pool({ fee: 500n, tickSpacing: 10 });
  initializeV3Pool(pool, getSqrtRatioAtTick(200_311));
  for (let i = 0; i < 30; i++) {
    const width = 50 * (1 + (i % 7));
    const centre = 200_310 + 10 * ((i * 53) % 121) - 600;
    mintV3(pool, centre - width, centre + width, 10n ** 15n * BigInt(1 + (i % 4)));
  }
  return pool;
}

describe("maximizeProfit", () => {
  test("finds the exact maximum of any integer concave function (against brute force)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 3000n }), fc.bigInt({ min: 1n, max: 50n }), (peak, k) => {
        const profit = (x: bigint) => -k * (x - peak) * (x - peak);
        const r = maximizeProfit(profit, 0n, 3000n);
        expect(r.amountIn).toBe(peak);
        expect(r.evaluations).toBeLessThan(40);
      }),
      { numRuns: 300 },
    );
  });

  test("agrees with the V2 closed form up to the floors' ripple, in ~1.44*log2(range) quotes", () => {
    const poolA = { reserveIn: 3n * 10n ** 24n, reserveOut: 1500n * 10n ** 18n };
    const poolB = { reserveIn: 1400n * 10n ** 18n, reserveOut: 3n * 10n ** 24n };
    const closed = getOptimalInputBetweenPools(poolA, poolB);
    const profit = (x: bigint) => {
      if (x === 0n) return 0n;
      return getAmountOut(getAmountOut(x, poolA.reserveIn, poolA.reserveOut), poolB.reserveIn, poolB.reserveOut) - x;
    };
    const searched = maximizeProfit(profit, 0n, poolA.reserveIn);
    expect(searched.profit >= closed.profit).toBe(true);
    expect(searched.profit - closed.profit <= poolB.reserveOut / poolB.reserveIn + 2n).toBe(true);
    expect(searched.evaluations).toBeLessThan(130);
  });
});

describe("V3 optimal sizing", () => {
  const pool = usdcWethPool();
  // pool price in USDC.e per WETH, from token1 (WETH) per token0 (USDC.e) raw: 10^12 / (sqrtP/2^96)^2
  test("against a CEX price: the swap-to-price input beats every nearby input", () => {
    // CEX pays 2100 USDC.e per WETH: buy WETH in the pool with USDC.e (zeroForOne), sell on the CEX.
    // outside price = input (USDC.e) raw units per output (WETH) raw unit
    const price = rawPrice({ price: 2100n * 10n ** 8n, priceDecimals: 8, baseDecimals: 18, quoteDecimals: 6 });
    const best = getOptimalInputV3AgainstPrice(pool, true, price);
    expect(best.swap!.ticksCrossed).toBeGreaterThan(0);
    const profitAt = (x: bigint) => {
      const r = quoteSwapV3(pool, { zeroForOne: true, amountSpecified: x, sqrtPriceLimitX96: MIN_SQRT_RATIO + 1n });
      return (-r.amount1 * price.numerator) / price.denominator - r.amount0;
    };
    expect(best.profit).toBe(profitAt(best.amountIn));
    for (const f of [900n, 990n, 999n, 1001n, 1010n, 1100n]) {
      expect(profitAt((best.amountIn * f) / 1000n) <= best.profit).toBe(true);
    }
    expect(best.profit > 0n).toBe(true);
  });

  test("against a CEX price that the pool already beats: no trade", () => {
    const price = rawPrice({ price: 1500n * 10n ** 8n, priceDecimals: 8, baseDecimals: 18, quoteDecimals: 6 });
    expect(getOptimalInputV3AgainstPrice(pool, true, price).amountIn).toBe(0n);
  });

  test("V3 -> V2 round trip: the search matches a brute-force grid and the profit is the exact chain of quotes", () => {
    // QuickSwap-like V2 pool that pays 2150 USDC.e per WETH: 2000 WETH / 4.3M USDC.e, oriented WETH -> USDC.e
    const v2 = { reserveIn: 2000n * 10n ** 18n, reserveOut: 4_300_000n * 10n ** 6n };
    const max = 10n ** 12n; // at most 1,000,000 USDC.e
    const best = getOptimalInputV3ToV2(pool, true, v2, max);
    const profitAt = (x: bigint) => {
      const r = quoteSwapV3(pool, { zeroForOne: true, amountSpecified: x, sqrtPriceLimitX96: MIN_SQRT_RATIO + 1n });
      return getAmountOut(-r.amount1, v2.reserveIn, v2.reserveOut) - x;
    };
    expect(best.profit).toBe(profitAt(best.amountIn));
    let gridBest = 0n;
    for (let i = 1n; i <= 400n; i++) {
      const p = profitAt((max * i) / 400n);
      if (p > gridBest) gridBest = p;
    }
    expect(best.profit >= gridBest).toBe(true);
    expect(best.evaluations).toBeLessThan(70);
  });
});

describe("netArbitrageProfit", () => {
  test("subtracts the flash fee and the gas in the profit token's units, rounding costs up", () => {
    // 10,000 USDC.e borrowed at 0.05 %, back 10,060 USDC.e; 350,000 gas at 100 gwei; POL at 0.75 USD (e8)
    const r = netArbitrageProfit({
      amountIn: 10_000n * 10n ** 6n,
      amountOut: 10_060n * 10n ** 6n,
      flashFeePpm: 500n,
      gasUnits: 350_000n,
      gasPriceWei: 100n * 10n ** 9n,
      nativePrice: rawPrice({ price: 75_000_000n, priceDecimals: 8, baseDecimals: 18, quoteDecimals: 6 }),
    });
    // 0.035 POL * 0.75 = 0.02625 USDC.e = 26,250 units; 0.05 % of 10,000 = 5 USDC.e
    expect(r).toEqual({ grossProfit: 60_000_000n, flashFee: 5_000_000n, gasCost: 26_250n, netProfit: 54_973_750n });
  });

  test("net = gross - flash fee - gas, and costs never round in the trader's favour", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 30n }),
        fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }),
        fc.bigInt({ min: 0n, max: 10000n }),
        fc.bigInt({ min: 0n, max: 10n ** 7n }),
        fc.bigInt({ min: 0n, max: 10n ** 13n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (amountIn, gain, ppm, gasUnits, gasPriceWei, priceE8) => {
          const nativePrice = rawPrice({ price: priceE8, priceDecimals: 8, baseDecimals: 18, quoteDecimals: 6 });
          const r = netArbitrageProfit({
            amountIn,
            amountOut: amountIn + gain,
            flashFeePpm: ppm,
            gasUnits,
            gasPriceWei,
            nativePrice,
          });
          expect(r.netProfit).toBe(gain - r.flashFee - r.gasCost);
          expect(r.flashFee * 1_000_000n >= amountIn * ppm).toBe(true);
          expect((r.flashFee - 1n) * 1_000_000n < amountIn * ppm || r.flashFee === 0n).toBe(true);
          expect(r.gasCost * nativePrice.denominator >= gasUnits * gasPriceWei * nativePrice.numerator).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
