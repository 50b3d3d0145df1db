import { describe, expect, test } from "bun:test";
import { V3RevertError } from "../../../src/behavior/amm/errors.ts";
import { burnV3 } from "../../../src/behavior/amm/v3/burnV3.ts";
import { createV3Pool } from "../../../src/behavior/amm/v3/createV3Pool.ts";
import { getSqrtRatioAtTick } from "../../../src/behavior/amm/v3/getSqrtRatioAtTick.ts";
import { initializeV3Pool } from "../../../src/behavior/amm/v3/initializeV3Pool.ts";
import { mintV3 } from "../../../src/behavior/amm/v3/mintV3.ts";
import { quoteSwapV3 } from "../../../src/behavior/amm/v3/quoteSwapV3.ts";
import { swapV3 } from "../../../src/behavior/amm/v3/swapV3.ts";
import type { V3Pool } from "../../../src/behavior/amm/v3/types.ts";
import { readFixtureJson } from "./fixtures.ts";

// Uniswap/v3-core test/UniswapV3Pool.swaps.spec.ts and its snapshot: 15 pool setups x 16 swaps, each from a fresh
// pool (initialize + mint), 50 of them reverting with SPL.
interface SnapshotPool {
  description: string;
  fee: number;
  tickSpacing: number;
  startingSqrtPriceX96: string;
  positions: { tickLower: number; tickUpper: number; liquidity: string }[];
  swaps: {
    description: string;
    zeroForOne: boolean;
    amountSpecified: string;
    sqrtPriceLimitX96: string;
    result: Record<string, string | number>;
  }[];
}
const snapshot = readFixtureJson<{ pools: SnapshotPool[] }>("uniswap/v3-pool-swaps-snapshot.json");

function freshPool(p: SnapshotPool): { pool: V3Pool; balance0: bigint; balance1: bigint } {
  const pool = createV3Pool({ fee: BigInt(p.fee), tickSpacing: p.tickSpacing });
  initializeV3Pool(pool, BigInt(p.startingSqrtPriceX96));
  let balance0 = 0n;
  let balance1 = 0n;
  for (const pos of p.positions) {
    const { amount0, amount1 } = mintV3(pool, pos.tickLower, pos.tickUpper, BigInt(pos.liquidity));
    balance0 += amount0;
    balance1 += amount1;
  }
  return { pool, balance0, balance1 };
}

describe("swapV3 on the v3-core swap snapshot", () => {
  test("reproduces 240/240 entries: balances after mint, deltas, fee growth, ticks and the 50 SPL reverts", () => {
    let matched = 0;
    let splReverts = 0;
    const mismatches: string[] = [];
    for (const p of snapshot.pools) {
      for (const s of p.swaps) {
        const { pool, balance0, balance1 } = freshPool(p);
        const r = s.result;
        const tickBefore = pool.tick;
        let ok: boolean;
        try {
          const out = swapV3(pool, {
            zeroForOne: s.zeroForOne,
            amountSpecified: BigInt(s.amountSpecified),
            sqrtPriceLimitX96: BigInt(s.sqrtPriceLimitX96),
          });
          ok =
            r.swapError === undefined &&
            balance0 === BigInt(r.amount0Before) &&
            balance1 === BigInt(r.amount1Before) &&
            out.amount0 === BigInt(r.amount0Delta) &&
            out.amount1 === BigInt(r.amount1Delta) &&
            pool.feeGrowthGlobal0X128 === BigInt(r.feeGrowthGlobal0X128Delta) &&
            pool.feeGrowthGlobal1X128 === BigInt(r.feeGrowthGlobal1X128Delta) &&
            tickBefore === r.tickBefore &&
            pool.tick === r.tickAfter;
        } catch (e) {
          if (!(e instanceof V3RevertError)) throw e;
          ok =
            String(r.swapError).endsWith(`revert ${e.reason}`) &&
            balance0 === BigInt(r.poolBalance0) &&
            balance1 === BigInt(r.poolBalance1) &&
            tickBefore === r.tickBefore;
          if (ok && e.reason === "SPL") splReverts++;
        }
        if (ok) matched++;
        else mismatches.push(`${p.description} / ${s.description}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(matched).toBe(240);
    expect(splReverts).toBe(50);
  });

  test("a quote equals the swap and leaves the pool untouched", () => {
    const p = snapshot.pools[6]; // additional liquidity around current price: crosses initialized ticks
    for (const s of p.swaps.filter((x) => x.result.swapError === undefined)) {
      const { pool } = freshPool(p);
      const before = structuredClone(pool);
      const params = {
        zeroForOne: s.zeroForOne,
        amountSpecified: BigInt(s.amountSpecified),
        sqrtPriceLimitX96: BigInt(s.sqrtPriceLimitX96),
      };
      const quote = quoteSwapV3(pool, params);
      expect(pool).toEqual(before);
      const done = swapV3(pool, params);
      expect(quote).toEqual(done);
    }
  });

  test("crossing ticks flips their fee growth outside and moves liquidity; crossing back restores it", () => {
    const { pool } = freshPool(snapshot.pools[6]);
    const l0 = pool.liquidity;
    // fee growth when the price reaches tick -60 (a swap with that limit stops there without crossing)
    const atTick = quoteSwapV3(pool, {
      zeroForOne: true,
      amountSpecified: 10n ** 18n,
      sqrtPriceLimitX96: getSqrtRatioAtTick(-60),
    }).feeGrowthGlobalX128;
    const r = swapV3(pool, {
      zeroForOne: true,
      amountSpecified: 10n ** 18n,
      sqrtPriceLimitX96: getSqrtRatioAtTick(-120),
    });
    expect(r.ticksCrossed).toBe(1);
    expect(pool.liquidity).toBe(l0 + 2n * 10n ** 18n);
    expect(pool.ticks.get(-60)!.feeGrowthOutside0X128).toBe(atTick);
    expect(atTick < pool.feeGrowthGlobal0X128).toBe(true);
    swapV3(pool, { zeroForOne: false, amountSpecified: 10n ** 18n, sqrtPriceLimitX96: getSqrtRatioAtTick(0) });
    expect(pool.liquidity).toBe(l0);
    expect(pool.tick).toBe(0);
  });

  test("mint then burn of the same liquidity returns at most what was paid and restores the ticks", () => {
    const { pool } = freshPool(snapshot.pools[0]);
    const paid = mintV3(pool, -100, 200, 123456789n * 10n ** 9n);
    expect(pool.ticks.has(-100)).toBe(true);
    const back = burnV3(pool, -100, 200, 123456789n * 10n ** 9n);
    expect(back.amount0 <= paid.amount0 && paid.amount0 - back.amount0 <= 1n).toBe(true);
    expect(back.amount1 <= paid.amount1 && paid.amount1 - back.amount1 <= 1n).toBe(true);
    expect(pool.ticks.has(-100)).toBe(false);
    expect(pool.bitmap.get(-1)).toBe(0n);
  });

  test("reverts with the contract's reasons: AS, LOK, TLU, TLM, TUM, LO, LS", () => {
    const reason = (fn: () => unknown): string => {
      try {
        fn();
        return "no revert";
      } catch (e) {
        return e instanceof V3RevertError ? e.reason : String(e);
      }
    };
    const uninitialized = createV3Pool({ fee: 3000n, tickSpacing: 60 });
    const limit = getSqrtRatioAtTick(-60);
    expect(
      reason(() => swapV3(uninitialized, { zeroForOne: true, amountSpecified: 1n, sqrtPriceLimitX96: limit })),
    ).toBe("LOK");
    const { pool } = freshPool(snapshot.pools[1]);
    expect(reason(() => swapV3(pool, { zeroForOne: true, amountSpecified: 0n, sqrtPriceLimitX96: limit }))).toBe("AS");
    expect(reason(() => mintV3(pool, 60, 60, 1n))).toBe("TLU");
    expect(reason(() => mintV3(pool, -887280, 60, 1n))).toBe("TLM");
    expect(reason(() => mintV3(pool, -60, 887280, 1n))).toBe("TUM");
    expect(reason(() => mintV3(pool, -60, 60, pool.maxLiquidityPerTick + 1n))).toBe("LO");
    expect(reason(() => burnV3(pool, -120, 120, 1n))).toBe("LS");
  });

  test("a refused mint or burn leaves the pool as it was, as a reverted transaction does", () => {
    const { pool } = freshPool(snapshot.pools[1]);
    mintV3(pool, -120, 120, 10n ** 18n);
    const before = structuredClone(pool);
    const revert = (fn: () => unknown) => expect(fn).toThrow(V3RevertError);
    revert(() => mintV3(pool, -60, 30, 1n)); // lower tick updated first, then the upper's flipTick refuses 30
    revert(() => mintV3(pool, -180, -120, pool.maxLiquidityPerTick)); // -180 takes it, then LO on -120
    revert(() => burnV3(pool, -120, 180, 1n)); // LS on the upper tick after the lower one was reduced
    expect(pool).toEqual(before);
  });
});
