import { describe, expect, test } from "bun:test";
import { MAX_INT256, MAX_SQRT_RATIO, MIN_SQRT_RATIO } from "../../../src/behavior/amm/constants.ts";
import { applyPoolEvent } from "../../../src/behavior/amm/state/applyPoolEvent.ts";
import { createPoolState } from "../../../src/behavior/amm/state/createPoolState.ts";
import type { PoolEvent, V3PoolState } from "../../../src/behavior/amm/state/types.ts";
import { burnV3 } from "../../../src/behavior/amm/v3/burnV3.ts";
import { computeSwapStep } from "../../../src/behavior/amm/v3/computeSwapStep.ts";
import { createV3Pool } from "../../../src/behavior/amm/v3/createV3Pool.ts";
import { getTickAtSqrtRatio } from "../../../src/behavior/amm/v3/getTickAtSqrtRatio.ts";
import { mintV3 } from "../../../src/behavior/amm/v3/mintV3.ts";
import { quoteSwapV3 } from "../../../src/behavior/amm/v3/quoteSwapV3.ts";
import type { SwapV3Result } from "../../../src/behavior/amm/v3/runSwapV3.ts";
import type { V3Pool } from "../../../src/behavior/amm/v3/types.ts";
import { readFixtureJson } from "./fixtures.ts";
import { DAY_FEE, DAY_POOL, DAY_TICK_SPACING, loadPolygonDay } from "./polygon-day.ts";

const day = loadPolygonDay();

function newDayState(): V3PoolState {
  return createPoolState({
    pool: DAY_POOL,
    protocol: 3,
    feePpm: DAY_FEE,
    tickSpacing: DAY_TICK_SPACING,
    token0Decimals: 6,
    token1Decimals: 18,
  }) as V3PoolState;
}

/**
 * The pool as the swap met it, with the assumption of the single-range check: no initialized tick between the
 * price and where the swap stopped (an empty, complete bitmap). The walk still stops at every 256-tick word
 * boundary, as the contract does.
 */
function singleRangePool(sqrtPriceX96: bigint, tick: number, liquidity: bigint): V3Pool {
  const pool = createV3Pool({ fee: BigInt(DAY_FEE), tickSpacing: DAY_TICK_SPACING });
  pool.sqrtPriceX96 = sqrtPriceX96;
  pool.tick = tick;
  pool.liquidity = liquidity;
  pool.unlocked = true;
  return pool;
}

describe("the captured Polygon V3 day (USDC.e/WETH 0.05 %, 2023-11-25)", () => {
  test("holds 3098 swaps, 107 mints and 141 burns; every swap's tick is getTickAtSqrtRatio of its price", () => {
    const counts = { 11: 0, 12: 0, 13: 0, 16: 0 };
    for (const e of day.events) counts[e.type]++;
    expect(counts).toEqual({ 11: 3098, 12: 107, 13: 141, 16: 0 });
    let ticksMatch = 0;
    for (const s of day.swaps.values())
      if (getTickAtSqrtRatio(s.event.value.sqrtPriceX96) === s.event.value.tick) ticksMatch++;
    expect(ticksMatch).toBe(3098);
  });

  test("replaying the events, 2925/2925 single-range swaps are reproduced exactly by the pool simulator", () => {
    const state = newDayState();
    const kinds = { exactIn: 0, exactOut: 0, priceLimit: 0 };
    let seed = 0;
    let crossing = 0;
    let matched = 0;
    const unmatched: string[] = [];
    for (const event of day.events) {
      const swap = day.swaps.get(event);
      if (swap !== undefined && !state.ready) seed++;
      if (swap !== undefined && state.ready) {
        const pre = state.v3;
        const after = swap.event.value;
        if (after.liquidity !== pre.liquidity) crossing++;
        else {
          const zeroForOne = swap.amount0 > 0n;
          const pool = singleRangePool(pre.sqrtPriceX96, pre.tick, pre.liquidity);
          const defaultLimit = zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n;
          const paidIn = zeroForOne ? swap.amount0 : swap.amount1;
          const paidOut = zeroForOne ? -swap.amount1 : -swap.amount0;
          const same = (r: SwapV3Result) =>
            r.amount0 === swap.amount0 &&
            r.amount1 === swap.amount1 &&
            r.sqrtPriceX96 === after.sqrtPriceX96 &&
            r.tick === after.tick &&
            r.liquidity === after.liquidity;
          // The router's call is not in the log: try exact input, then exact output, then a swap stopped by its limit.
          if (same(quoteSwapV3(pool, { zeroForOne, amountSpecified: paidIn, sqrtPriceLimitX96: defaultLimit }))) {
            kinds.exactIn++;
            matched++;
          } else if (
            same(quoteSwapV3(pool, { zeroForOne, amountSpecified: -paidOut, sqrtPriceLimitX96: defaultLimit }))
          ) {
            kinds.exactOut++;
            matched++;
          } else if (
            after.sqrtPriceX96 !== pre.sqrtPriceX96 &&
            same(quoteSwapV3(pool, { zeroForOne, amountSpecified: MAX_INT256, sqrtPriceLimitX96: after.sqrtPriceX96 }))
          ) {
            kinds.priceLimit++;
            matched++;
          } else unmatched.push(`${after.blockNumber}:${after.logIndex}`);
        }
      }
      expect(applyPoolEvent(state, event)).toBe("applied");
    }
    expect(unmatched).toEqual([]);
    expect(matched).toBe(2925);
    expect(kinds).toEqual({ exactIn: 2345, exactOut: 335, priceLimit: 245 });
    expect(crossing).toBe(172);
    expect(seed).toBe(1);
    expect(state.validAt).toEqual({ blockNumber: 50391498n, logIndex: state.validAt!.logIndex });
  });

  test("every Mint and Burn amount equals the simulator's getAmount0Delta/getAmount1Delta (248/248)", () => {
    const state = newDayState();
    let matched = 0;
    let checked = 0;
    for (const event of day.events) {
      if ((event.type === 12 || event.type === 13) && state.ready) {
        checked++;
        const m = event.value;
        const pool = singleRangePool(state.v3.sqrtPriceX96, state.v3.tick, state.v3.liquidity);
        // the positions' ticks are unknown to the empty pool: give the burn something to remove
        if (event.type === 13 && m.liquidity > 0n) mintV3(pool, m.tickLower, m.tickUpper, m.liquidity);
        const amounts =
          event.type === 12
            ? mintV3(pool, m.tickLower, m.tickUpper, m.liquidity)
            : m.liquidity > 0n
              ? burnV3(pool, m.tickLower, m.tickUpper, m.liquidity)
              : { amount0: 0n, amount1: 0n };
        if (amounts.amount0 === m.amount0 && amounts.amount1 === m.amount1) matched++;
      }
      applyPoolEvent(state, event);
    }
    expect(checked).toBe(248);
    expect(matched).toBe(248);
  });

  test("a second replay of the day is ignored and counted as stale (3346 events)", () => {
    const state = newDayState();
    for (const e of day.events) applyPoolEvent(state, e);
    const validAt = state.validAt;
    const price = state.v3.sqrtPriceX96;
    for (const e of day.events) expect(applyPoolEvent(state, e)).toBe("stale");
    expect(state.staleEvents).toBe(3346);
    expect(state.validAt).toEqual(validAt);
    expect(state.v3.sqrtPriceX96).toBe(price);
  });

  test("a removed event makes the state not ready until the next Swap re-establishes the price", () => {
    const state = newDayState();
    const [first, second, ...rest] = day.events.filter((e) => e.type === 11);
    applyPoolEvent(state, first);
    expect(state.ready).toBe(true);
    const retracted = { type: 11, value: { ...first.value, flags: first.value.flags | 1 } } as PoolEvent;
    expect(applyPoolEvent(state, retracted)).toBe("removed");
    expect(state.ready).toBe(false);
    expect(state.removedEvents).toBe(1);
    expect(applyPoolEvent(state, second)).toBe("applied");
    expect(state.ready).toBe(true);
    expect(state.v3.sqrtPriceX96).toBe((second.value as { sqrtPriceX96: bigint }).sqrtPriceX96);
    expect(rest.length).toBe(3096);
  });
});

describe("the 400 real swap steps of the day", () => {
  interface Step {
    feePips: number;
    sqrtPriceX96Before: string;
    liquidity: string;
    zeroForOne: boolean;
    amountSpecified: string;
    inferredKind: string;
    expected: { amount0: string; amount1: string; sqrtPriceX96After: string; tickAfter: number };
  }
  const steps = readFixtureJson<{ vectors: Step[] }>(
    "uniswap/v3-real-swap-steps-polygon-0x45dd-2023-11-25.json",
  ).vectors;

  test("computeSwapStep reproduces 400/400 (amounts, sqrt price, tick)", () => {
    let matched = 0;
    for (const s of steps) {
      const current = BigInt(s.sqrtPriceX96Before);
      const target = s.zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n;
      const amountSpecified = BigInt(s.amountSpecified);
      const r = computeSwapStep(current, target, BigInt(s.liquidity), amountSpecified, BigInt(s.feePips));
      const paid = r.amountIn + r.feeAmount;
      const [amount0, amount1] = s.zeroForOne ? [paid, -r.amountOut] : [-r.amountOut, paid];
      if (
        amount0 === BigInt(s.expected.amount0) &&
        amount1 === BigInt(s.expected.amount1) &&
        r.sqrtRatioNextX96 === BigInt(s.expected.sqrtPriceX96After) &&
        getTickAtSqrtRatio(r.sqrtRatioNextX96) === s.expected.tickAfter
      ) {
        matched++;
      }
    }
    expect(matched).toBe(400);
  });

  test("the pool simulator reproduces the same 400/400", () => {
    let matched = 0;
    for (const s of steps) {
      const current = BigInt(s.sqrtPriceX96Before);
      const pool = singleRangePool(current, getTickAtSqrtRatio(current), BigInt(s.liquidity));
      const r = quoteSwapV3(pool, {
        zeroForOne: s.zeroForOne,
        amountSpecified: BigInt(s.amountSpecified),
        sqrtPriceLimitX96: s.zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n,
      });
      if (
        r.amount0 === BigInt(s.expected.amount0) &&
        r.amount1 === BigInt(s.expected.amount1) &&
        r.sqrtPriceX96 === BigInt(s.expected.sqrtPriceX96After) &&
        r.tick === s.expected.tickAfter
      ) {
        matched++;
      }
    }
    expect(matched).toBe(400);
  });
});
