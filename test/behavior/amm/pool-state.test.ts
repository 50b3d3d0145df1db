import { describe, expect, test } from "bun:test";
import { TickDataMissingError } from "../../../src/behavior/amm/errors.ts";
import { applyPoolEvent } from "../../../src/behavior/amm/state/applyPoolEvent.ts";
import { applyPoolSnapshot } from "../../../src/behavior/amm/state/applyPoolSnapshot.ts";
import { applyTickWords } from "../../../src/behavior/amm/state/applyTickWords.ts";
import { createPoolState } from "../../../src/behavior/amm/state/createPoolState.ts";
import { quotePoolSwapV3 } from "../../../src/behavior/amm/state/quotePoolSwapV3.ts";
import type { TickDataLoader, TickWords } from "../../../src/behavior/amm/state/TickDataLoader.ts";
import type { V2PoolState, V3PoolState } from "../../../src/behavior/amm/state/types.ts";
import { createV3Pool } from "../../../src/behavior/amm/v3/createV3Pool.ts";
import { getSqrtRatioAtTick } from "../../../src/behavior/amm/v3/getSqrtRatioAtTick.ts";
import { initializeV3Pool } from "../../../src/behavior/amm/v3/initializeV3Pool.ts";
import { mintV3 } from "../../../src/behavior/amm/v3/mintV3.ts";
import { quoteSwapV3 } from "../../../src/behavior/amm/v3/quoteSwapV3.ts";
import type { V3Pool } from "../../../src/behavior/amm/v3/types.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import type { PoolMint, PoolState, PoolSync } from "../../../src/data/tlv-layouts.ts";
import { VenueId } from "../../../src/data/venues.ts";

const V3_POOL = InstrumentId.pool(VenueId.UniswapV3, 137, "0x45dda9cb7c25131df268515131f647d726f50608");
const V2_POOL = InstrumentId.pool(VenueId.QuickSwap, 137, "0x4a35582a710e1f4b2030a3f826da20bfb6703c09");
const HASH = `0x${"00".repeat(32)}` as const;

/** The "chain": a V3 pool with positions spread over several bitmap words. */
function chainPool(): V3Pool {
  const pool = createV3Pool({ fee: 3000n, tickSpacing: 60 });
  initializeV3Pool(pool, getSqrtRatioAtTick(0));
  const L = 10n ** 18n;
  for (const [lo, hi] of [
    [-887220, 887220],
    [-60, 60],
    [-120000, -15360],
    [-15960, 20040],
    [15360, 60000],
    [-300000, 300000],
  ]) {
    mintV3(pool, lo, hi, L);
  }
  return pool;
}

/** A loader that reads the chain pool's storage, counting calls. */
function loaderFor(pool: V3Pool, blockNumber: bigint): TickDataLoader & { calls: number } {
  const loader = {
    calls: 0,
    async loadTickWords(req: { wordPositions: readonly number[] }): Promise<TickWords> {
      loader.calls++;
      const words = new Map<number, bigint>();
      const ticks = new Map<number, { liquidityGross: bigint; liquidityNet: bigint }>();
      for (const w of req.wordPositions) {
        words.set(w, pool.bitmap.get(w) ?? 0n);
        for (const [tick, info] of pool.ticks) if ((tick / pool.tickSpacing) >> 8 === w) ticks.set(tick, info);
      }
      return { blockNumber, words, ticks };
    },
  };
  return loader;
}

function v3Snapshot(pool: V3Pool, blockNumber: bigint): PoolState {
  return {
    pool: V3_POOL,
    blockNumber,
    timestampNs: 0n,
    token0: "0x2791bca1f2de4661ed88a30c99a7a9449aa84174",
    token1: "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619",
    feePpm: 3000,
    tickSpacing: 60,
    token0Decimals: 6,
    token1Decimals: 18,
    protocol: 3,
    reserve0: 0n,
    reserve1: 0n,
    sqrtPriceX96: pool.sqrtPriceX96,
    liquidity: pool.liquidity,
    tick: pool.tick,
  };
}

function newV3State(): V3PoolState {
  return createPoolState({
    pool: V3_POOL,
    protocol: 3,
    feePpm: 3000,
    tickSpacing: 60,
    token0Decimals: 6,
    token1Decimals: 18,
  }) as V3PoolState;
}

describe("V3 pool state with tick data from a loader", () => {
  test("a quote loads the bitmap words it walks into and equals the full pool's quote", async () => {
    const chain = chainPool();
    const state = newV3State();
    applyPoolSnapshot(state, v3Snapshot(chain, 100n));
    const loader = loaderFor(chain, 100n);
    for (const zeroForOne of [true, false]) {
      const params = {
        zeroForOne,
        amountSpecified: 5n * 10n ** 18n,
        sqrtPriceLimitX96: getSqrtRatioAtTick(zeroForOne ? -200000 : 200000),
      };
      const expected = quoteSwapV3(chain, params);
      expect(expected.ticksCrossed).toBeGreaterThan(1);
      expect(await quotePoolSwapV3(state, loader, params)).toEqual(expected);
    }
    expect(loader.calls).toBeGreaterThan(2);
  });

  test("without the words, a quote says which word it needs instead of guessing", () => {
    const chain = chainPool();
    const state = newV3State();
    applyPoolSnapshot(state, v3Snapshot(chain, 100n));
    try {
      quoteSwapV3(state.v3, {
        zeroForOne: true,
        amountSpecified: 10n ** 18n,
        sqrtPriceLimitX96: getSqrtRatioAtTick(-100),
      });
      throw new Error("no error");
    } catch (e) {
      expect(e).toBeInstanceOf(TickDataMissingError);
      expect((e as TickDataMissingError).wordPos).toBe(0);
    }
  });

  test("Mint events after the words were read update their ticks; earlier ones are already in the read", async () => {
    const chain = chainPool();
    const state = newV3State();
    applyPoolSnapshot(state, v3Snapshot(chain, 100n));
    applyTickWords(state, await loaderFor(chain, 100n).loadTickWords({ pool: V3_POOL, wordPositions: [-1, 0] }));
    const mint = (blockNumber: bigint, logIndex: number): PoolMint => ({
      pool: V3_POOL,
      blockNumber,
      logIndex,
      flags: 2,
      token0Decimals: 6,
      token1Decimals: 18,
      txHash: HASH,
      owner: "0x0000000000000000000000000000000000000001",
      tickLower: -600,
      tickUpper: 600,
      liquidity: 7n * 10n ** 17n,
      amount0: 0n,
      amount1: 0n,
      timestampNs: 0n,
    });
    const l0 = state.v3.liquidity;
    expect(applyPoolEvent(state, { type: 12, value: mint(101n, 3) })).toBe("applied");
    mintV3(chain, -600, 600, 7n * 10n ** 17n);
    expect(state.v3.liquidity).toBe(l0 + 7n * 10n ** 17n);
    expect(state.v3.ticks.get(-600)).toEqual({
      ...chain.ticks.get(-600)!,
      feeGrowthOutside0X128: 0n,
      feeGrowthOutside1X128: 0n,
    });
    expect(state.v3.bitmap.get(-1)).toBe(chain.bitmap.get(-1)!);
    const params = { zeroForOne: true, amountSpecified: 10n ** 18n, sqrtPriceLimitX96: getSqrtRatioAtTick(-3000) };
    expect(quoteSwapV3(state.v3, params)).toEqual(quoteSwapV3(chain, params));
    expect(applyPoolEvent(state, { type: 12, value: mint(101n, 3) })).toBe("stale");
    expect(state.staleEvents).toBe(1);
  });

  test("tick data read before the state's block is refused", () => {
    const state = newV3State();
    applyPoolSnapshot(state, v3Snapshot(chainPool(), 100n));
    expect(() => applyTickWords(state, { blockNumber: 99n, words: new Map(), ticks: new Map() })).toThrow(
      "tick data was read before the block the pool state is at",
    );
  });
});

describe("V2 pool state", () => {
  const sync = (blockNumber: bigint, logIndex: number, reserve0: bigint, reserve1: bigint, flags = 0): PoolSync => ({
    pool: V2_POOL,
    blockNumber,
    logIndex,
    flags,
    token0Decimals: 18,
    token1Decimals: 18,
    txHash: HASH,
    reserve0,
    reserve1,
    timestampNs: 0n,
  });

  test("Sync sets the reserves and the position; older events are ignored and counted", () => {
    const state = createPoolState({
      pool: V2_POOL,
      protocol: 2,
      feePpm: 3000,
      token0Decimals: 18,
      token1Decimals: 18,
    }) as V2PoolState;
    expect(state.ready).toBe(false);
    expect(applyPoolEvent(state, { type: 16, value: sync(10n, 5, 100n, 200n) })).toBe("applied");
    expect(applyPoolEvent(state, { type: 16, value: sync(10n, 4, 1n, 2n) })).toBe("stale");
    expect(applyPoolEvent(state, { type: 16, value: sync(9n, 50, 1n, 2n) })).toBe("stale");
    expect([state.reserve0, state.reserve1, state.validAt, state.staleEvents]).toEqual([
      100n,
      200n,
      { blockNumber: 10n, logIndex: 5 },
      2,
    ]);
  });

  test("a removed Sync marks the state for a snapshot; the next Sync restores it", () => {
    const state = createPoolState({
      pool: V2_POOL,
      protocol: 2,
      feePpm: 3000,
      token0Decimals: 18,
      token1Decimals: 18,
    }) as V2PoolState;
    applyPoolEvent(state, { type: 16, value: sync(10n, 5, 100n, 200n) });
    expect(applyPoolEvent(state, { type: 16, value: sync(10n, 5, 100n, 200n, 1) })).toBe("removed");
    expect(state.ready).toBe(false);
    applyPoolEvent(state, { type: 16, value: sync(11n, 0, 90n, 210n) });
    expect([state.ready, state.reserve0, state.removedEvents]).toEqual([true, 90n, 1]);
  });

  test("an event of another pool is refused with both pool ids", () => {
    const state = newV3State();
    expect(() => applyPoolEvent(state, { type: 16, value: sync(1n, 0, 1n, 1n) })).toThrow("event is for another pool");
  });
});
