import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MAX_SQRT_RATIO, MIN_SQRT_RATIO } from "../../../src/behavior/amm/constants.ts";
import { computeSwapStep } from "../../../src/behavior/amm/v3/computeSwapStep.ts";
import { createV3Pool } from "../../../src/behavior/amm/v3/createV3Pool.ts";
import { getSqrtRatioAtTick } from "../../../src/behavior/amm/v3/getSqrtRatioAtTick.ts";
import { getTickAtSqrtRatio } from "../../../src/behavior/amm/v3/getTickAtSqrtRatio.ts";
import { initializeV3Pool } from "../../../src/behavior/amm/v3/initializeV3Pool.ts";
import { mintV3 } from "../../../src/behavior/amm/v3/mintV3.ts";
import { quoteSwapV3 } from "../../../src/behavior/amm/v3/quoteSwapV3.ts";
import type { V3Pool } from "../../../src/behavior/amm/v3/types.ts";

/** A pool shaped like the Polygon USDC.e/WETH 0.05 % pool (tick ~199,900) with positions over many words. */
function layeredPool(): V3Pool {
  const pool = createV3Pool({ fee: 500n, tickSpacing: 10 });
  initializeV3Pool(pool, getSqrtRatioAtTick(199_905) + 12345678901234567n);
  const L = 10n ** 17n;
  for (let i = 0; i < 40; i++) {
    const width = 10 * (1 + ((i * 7) % 300));
    const centre = 199_900 + 10 * (((i * 37) % 801) - 400);
    mintV3(pool, centre - width, centre + width, L * BigInt(1 + (i % 5)));
  }
  return pool;
}
const pool = layeredPool();
const amount = fc.bigInt({ min: 1n, max: 10n ** 24n });

describe("V3 swap properties (fast-check)", () => {
  test("exact input then exact output of what it gave costs no more and gives exactly that output", () => {
    fc.assert(
      fc.property(fc.boolean(), amount, (zeroForOne, x) => {
        const limit = zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n;
        const a = quoteSwapV3(pool, { zeroForOne, amountSpecified: x, sqrtPriceLimitX96: limit });
        const out = zeroForOne ? -a.amount1 : -a.amount0;
        const paid = zeroForOne ? a.amount0 : a.amount1;
        if (out === 0n) return;
        const b = quoteSwapV3(pool, { zeroForOne, amountSpecified: -out, sqrtPriceLimitX96: limit });
        const outB = zeroForOne ? -b.amount1 : -b.amount0;
        const paidB = zeroForOne ? b.amount0 : b.amount1;
        expect(outB).toBe(out);
        expect(paidB <= paid).toBe(true);
        // and paying that smaller amount as exact input still buys the output
        const c = quoteSwapV3(pool, { zeroForOne, amountSpecified: paidB, sqrtPriceLimitX96: limit });
        expect((zeroForOne ? -c.amount1 : -c.amount0) >= out).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("output and the price after the swap are monotone in the input amount", () => {
    fc.assert(
      fc.property(fc.boolean(), amount, amount, (zeroForOne, x, d) => {
        const limit = zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n;
        const a = quoteSwapV3(pool, { zeroForOne, amountSpecified: x, sqrtPriceLimitX96: limit });
        const b = quoteSwapV3(pool, { zeroForOne, amountSpecified: x + d, sqrtPriceLimitX96: limit });
        const outA = zeroForOne ? -a.amount1 : -a.amount0;
        const outB = zeroForOne ? -b.amount1 : -b.amount0;
        expect(outB >= outA).toBe(true);
        expect(zeroForOne ? b.sqrtPriceX96 <= a.sqrtPriceX96 : b.sqrtPriceX96 >= a.sqrtPriceX96).toBe(true);
        // the tick always agrees with the price, except on a crossed boundary moving down (tick = boundary - 1)
        const t = getTickAtSqrtRatio(b.sqrtPriceX96);
        expect(b.tick === t || (zeroForOne && b.tick === t - 1 && getSqrtRatioAtTick(t) === b.sqrtPriceX96)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  test("a single step never takes more than offered, and its fee is at least the pool's share", () => {
    const sqrt = fc.bigInt({ min: MIN_SQRT_RATIO, max: MAX_SQRT_RATIO - 1n });
    fc.assert(
      fc.property(
        sqrt,
        sqrt,
        fc.bigInt({ min: 1n, max: (1n << 128n) - 1n }),
        amount,
        fc.integer({ min: 1, max: 100000 }),
        (cur, tgt, l, x, fee) => {
          const s = computeSwapStep(cur, tgt, l, x, BigInt(fee));
          expect(s.amountIn + s.feeAmount <= x).toBe(true);
          expect(s.feeAmount * 1_000_000n >= s.amountIn * BigInt(fee)).toBe(true);
          expect(cur >= tgt ? s.sqrtRatioNextX96 >= tgt : s.sqrtRatioNextX96 <= tgt).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
