import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { V2RevertError } from "../../../src/behavior/amm/errors.ts";
import { isqrt } from "../../../src/behavior/amm/isqrt.ts";
import { rawPrice } from "../../../src/behavior/amm/rawPrice.ts";
import { getAmountIn } from "../../../src/behavior/amm/v2/getAmountIn.ts";
import { getAmountOut } from "../../../src/behavior/amm/v2/getAmountOut.ts";
import { getAmountsIn } from "../../../src/behavior/amm/v2/getAmountsIn.ts";
import { getAmountsOut } from "../../../src/behavior/amm/v2/getAmountsOut.ts";
import { getOptimalInputAgainstPrice } from "../../../src/behavior/amm/v2/getOptimalInputAgainstPrice.ts";
import { getOptimalInputBetweenPools } from "../../../src/behavior/amm/v2/getOptimalInputBetweenPools.ts";
import { quote } from "../../../src/behavior/amm/v2/quote.ts";
import { swapV2Pair } from "../../../src/behavior/amm/v2/swapV2Pair.ts";
import { FEE_0_3_PERCENT, v2Fee } from "../../../src/behavior/amm/v2/v2Fee.ts";
import { readFixtureJson, readFixtureJsonl } from "./fixtures.ts";

// Uniswap/v2-core and v2-periphery test values (fixtures/uniswap/v2-amm-vectors.json, see SOURCES.md).
interface V2Vectors {
  getAmountOut: { amountIn: string; reserveIn: string; reserveOut: string; expected: string }[];
  getAmountOutReverts: { amountIn: string; reserveIn: string; reserveOut: string; error: string }[];
  getAmountIn: { amountOut: string; reserveIn: string; reserveOut: string; expected: string }[];
  getAmountInReverts: { amountOut: string; reserveIn: string; reserveOut: string; error: string }[];
  quote: { amountA: string; reserveA: string; reserveB: string; expected: string }[];
  getAmountsOut: { amountIn: string; reserves: [string, string][]; expected: string[] }[];
  getAmountsIn: { amountOut: string; reserves: [string, string][]; expected: string[] }[];
  pairOptimisticSwaps: {
    cases: { outputAmount: string; reserve0: string; reserve1: string; inputAmount: string }[];
  };
  pairEvents: {
    cases: {
      test: string;
      reservesBefore: [string, string];
      sync?: [string, string];
      liquidityMinted?: string;
      mint?: { amount0: string; amount1: string };
      swap?: { amount0In: string; amount1In: string; amount0Out: string; amount1Out: string };
      syncAfter?: [string, string];
    }[];
  };
}
const v = readFixtureJson<V2Vectors>("uniswap/v2-amm-vectors.json");
const B = (s: string) => BigInt(s);

function revertReason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof V2RevertError) return e.reason;
    throw e;
  }
  return "no revert";
}

describe("V2 library on the v2-core / v2-periphery vectors", () => {
  test("getAmountOut matches 8/8 and reverts like the library on 3/3", () => {
    let matched = 0;
    for (const c of v.getAmountOut)
      if (getAmountOut(B(c.amountIn), B(c.reserveIn), B(c.reserveOut)) === B(c.expected)) matched++;
    for (const c of v.getAmountOutReverts) {
      if (revertReason(() => getAmountOut(B(c.amountIn), B(c.reserveIn), B(c.reserveOut))) === c.error) matched++;
    }
    expect(matched).toBe(11);
  });

  test("getAmountIn matches 2/2 and reverts like the library on 3/3", () => {
    let matched = 0;
    for (const c of v.getAmountIn)
      if (getAmountIn(B(c.amountOut), B(c.reserveIn), B(c.reserveOut)) === B(c.expected)) matched++;
    for (const c of v.getAmountInReverts) {
      if (revertReason(() => getAmountIn(B(c.amountOut), B(c.reserveIn), B(c.reserveOut))) === c.error) matched++;
    }
    expect(matched).toBe(5);
  });

  test("quote, getAmountsOut and getAmountsIn match 4/4", () => {
    let matched = 0;
    for (const c of v.quote) if (quote(B(c.amountA), B(c.reserveA), B(c.reserveB)) === B(c.expected)) matched++;
    for (const c of v.getAmountsOut) {
      const hops = c.reserves.map(([a, b]) => ({ reserveIn: B(a), reserveOut: B(b) }));
      if (getAmountsOut(B(c.amountIn), hops).join() === c.expected.join()) matched++;
    }
    for (const c of v.getAmountsIn) {
      const hops = c.reserves.map(([a, b]) => ({ reserveIn: B(a), reserveOut: B(b) }));
      if (getAmountsIn(B(c.amountOut), hops).join() === c.expected.join()) matched++;
    }
    expect(matched).toBe(4);
  });

  test("the pair's K check admits exactly the optimistic-swap outputs and refuses one more (4/4 boundaries)", () => {
    let matched = 0;
    for (const c of v.pairOptimisticSwaps.cases) {
      const base = { reserve0: B(c.reserve0), reserve1: B(c.reserve1), amount0In: B(c.inputAmount), amount1In: 0n };
      const ok = swapV2Pair({ ...base, amount0Out: B(c.outputAmount), amount1Out: 0n });
      const over = revertReason(() => swapV2Pair({ ...base, amount0Out: B(c.outputAmount) + 1n, amount1Out: 0n }));
      if (ok.reserve0 === B(c.reserve0) + B(c.inputAmount) - B(c.outputAmount) && over === "UniswapV2: K") matched++;
    }
    expect(matched).toBe(4);
  });

  test("the pair's Swap then Sync events of v2-core follow from getAmountOut (3/3 with the mint)", () => {
    let matched = 0;
    for (const c of v.pairEvents.cases) {
      if (c.test === "mint") {
        // sqrt(amount0 * amount1) of the first deposit (MINIMUM_LIQUIDITY is locked out of it)
        if (isqrt(B(c.mint!.amount0) * B(c.mint!.amount1)) === B(c.liquidityMinted!)) matched++;
        continue;
      }
      const [r0, r1] = c.reservesBefore.map(B);
      const s = c.swap!;
      const out = B(s.amount0In) > 0n ? getAmountOut(B(s.amount0In), r0, r1) : getAmountOut(B(s.amount1In), r1, r0);
      const expectedOut = B(s.amount0In) > 0n ? B(s.amount1Out) : B(s.amount0Out);
      const after = swapV2Pair({
        reserve0: r0,
        reserve1: r1,
        amount0In: B(s.amount0In),
        amount1In: B(s.amount1In),
        amount0Out: B(s.amount0Out),
        amount1Out: B(s.amount1Out),
      });
      if (out === expectedOut && after.reserve0 === B(c.syncAfter![0]) && after.reserve1 === B(c.syncAfter![1]))
        matched++;
    }
    expect(matched).toBe(3);
  });

  test("a revert carries the library's reason and the facts", () => {
    try {
      getAmountOut(2n, 0n, 100n);
      throw new Error("no revert");
    } catch (e) {
      const err = e as V2RevertError;
      expect(err.code).toBe("UniswapV2:INSUFFICIENT_LIQUIDITY");
      expect(err.toLine()).toMatchInlineSnapshot(
        `"UniswapV2:INSUFFICIENT_LIQUIDITY: a reserve is 0 (or the output reaches it) (reserveIn=0, reserveOut=100)"`,
      );
    }
  });
});

describe("V2 on the real QuickSwap swap (Polygon block 13,572,468)", () => {
  interface Log {
    topics: string[];
    data: string;
  }
  const [sync, swap] = readFixtureJsonl<Log>("polygon/quickswap-weth-dai-0x4a35-block13572468.getlogs.jsonl");
  const words = (data: string) => (data.slice(2).match(/.{64}/g) ?? []).map((w) => BigInt(`0x${w}`));
  const [reserve0After, reserve1After] = words(sync.data);
  const [amount0In, amount1In, amount0Out, amount1Out] = words(swap.data);
  // Sync is emitted with the reserves after the swap; the reserves before follow from the Swap amounts.
  const reserve0 = reserve0After - amount0In + amount0Out;
  const reserve1 = reserve1After - amount1In + amount1Out;

  test("getAmountOut(0.5 WETH) equals the event's DAI output exactly", () => {
    expect([amount0In, amount1In, amount0Out]).toEqual([500000000000000000n, 0n, 0n]);
    expect([reserve0, reserve1]).toEqual([669013079369666885680n, 1590863616630637399398841n]);
    expect(getAmountOut(amount0In, reserve0, reserve1, v2Fee({ bps: 30 }))).toBe(amount1Out);
    expect(amount1Out).toBe(1184513513025436894190n);
  });

  test("the pair accepts that output, gives the Sync reserves, and refuses one wei more", () => {
    const base = { reserve0, reserve1, amount0In, amount1In: 0n, amount0Out: 0n };
    expect(swapV2Pair({ ...base, amount1Out })).toEqual({ reserve0: reserve0After, reserve1: reserve1After });
    expect(revertReason(() => swapV2Pair({ ...base, amount1Out: amount1Out + 1n }))).toBe("UniswapV2: K");
  });
});

describe("V2 fees", () => {
  test("ppm and bps give the contract's own scale (997/1000 for QuickSwap and SushiSwap)", () => {
    expect(v2Fee({ ppm: 3000 })).toEqual({ gamma: 997n, scale: 1000n, ppm: 3000 });
    expect(v2Fee({ bps: 30 })).toEqual(FEE_0_3_PERCENT);
    expect(v2Fee({ bps: 25 })).toEqual({ gamma: 9975n, scale: 10000n, ppm: 2500 });
    expect(v2Fee({ ppm: 1234 })).toEqual({ gamma: 998766n, scale: 1000000n, ppm: 1234 });
  });

  test("a lower fee gives at least as much output", () => {
    expect(getAmountOut(10n ** 18n, 10n ** 21n, 10n ** 21n, v2Fee({ bps: 25 }))).toBeGreaterThan(
      getAmountOut(10n ** 18n, 10n ** 21n, 10n ** 21n),
    );
  });
});

const reserve = fc.bigInt({ min: 1000n, max: (1n << 112n) - 1n });
const feeArb = fc.constantFrom(v2Fee({ bps: 30 }), v2Fee({ bps: 25 }), v2Fee({ ppm: 1 }), v2Fee({ ppm: 10000 }));

describe("V2 properties", () => {
  test("k never decreases after a swap with fee, and the pair's K check accepts the quoted output", () => {
    fc.assert(
      fc.property(reserve, reserve, fc.bigInt({ min: 1n, max: 1n << 100n }), feeArb, (rIn, rOut, x, fee) => {
        const out = getAmountOut(x, rIn, rOut, fee);
        expect((rIn + x) * (rOut - out) >= rIn * rOut).toBe(true);
        if (out > 0n && rIn + x <= (1n << 112n) - 1n) {
          const r = swapV2Pair({
            reserve0: rIn,
            reserve1: rOut,
            amount0In: x,
            amount1In: 0n,
            amount0Out: 0n,
            amount1Out: out,
            fee,
          });
          expect(r.reserve0 * r.reserve1 >= rIn * rOut).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  test("getAmountOut(getAmountIn(y)) >= y: the input the library asks for always buys the output", () => {
    fc.assert(
      fc.property(reserve, reserve, fc.bigInt({ min: 1n, max: 1n << 112n }), feeArb, (rIn, rOut, yRaw, fee) => {
        const y = 1n + (yRaw % (rOut - 1n));
        const x = getAmountIn(y, rIn, rOut, fee);
        // inputs that cannot fit the pair's uint112 balance are out of scope (getAmountOut would overflow uint256)
        fc.pre(rIn + x <= (1n << 112n) - 1n);
        expect(getAmountOut(x, rIn, rOut, fee) >= y).toBe(true);
        // and one unit less does not (getAmountIn is tight up to its +1)
        if (x > 2n) expect(getAmountOut(x - 2n, rIn, rOut, fee) < y || x - 2n === 0n).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("getAmountIn(getAmountOut(x)) is at most x + 1, and equals x + 1 only when the output division is exact", () => {
    fc.assert(
      fc.property(reserve, reserve, fc.bigInt({ min: 1n, max: 1n << 100n }), feeArb, (rIn, rOut, x, fee) => {
        const y = getAmountOut(x, rIn, rOut, fee);
        if (y === 0n) return;
        expect(getAmountIn(y, rIn, rOut, fee) <= x + 1n).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  test("getAmountIn(getAmountOut(x)) >= x does NOT hold when the output token is coarse (the issue's wording)", () => {
    // 0.2 of the input reserve buys 1.66 units of a 10-unit reserve: floor(1.66) = 1, and 1 unit costs only 1.11e17.
    const x = 2n * 10n ** 17n;
    const y = getAmountOut(x, 10n ** 18n, 10n);
    expect(y).toBe(1n);
    expect(getAmountIn(y, 10n ** 18n, 10n)).toBe(111445447453471526n);
  });

  test("output and post-trade price are monotone in the input amount", () => {
    fc.assert(
      fc.property(
        reserve,
        reserve,
        fc.bigInt({ min: 1n, max: 1n << 100n }),
        fc.bigInt({ min: 0n, max: 1n << 100n }),
        (rIn, rOut, x, d) => {
          const o1 = getAmountOut(x, rIn, rOut);
          const o2 = getAmountOut(x + d, rIn, rOut);
          expect(o2 >= o1).toBe(true);
          // marginal price after the trade, out-token per in-token: (rOut - o) / (rIn + x), compared cross-multiplied
          expect((rOut - o2) * (rIn + x) <= (rOut - o1) * (rIn + x + d)).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("V2 closed-form arbitrage", () => {
  test("two pools: the closed form beats every input around it, within the rounding of two floors", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 10n ** 15n, max: 10n ** 27n }),
        fc.bigInt({ min: 10n ** 15n, max: 10n ** 27n }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: -999, max: 2000 }),
        (r0, r1, spreadBps, probe) => {
          // pool B prices X higher than pool A by spreadBps
          const poolA = { reserveIn: r0, reserveOut: r1 };
          const poolB = { reserveIn: r1, reserveOut: (r0 * BigInt(10000 + spreadBps)) / 10000n };
          const best = getOptimalInputBetweenPools(poolA, poolB);
          const profitAt = (x: bigint) => {
            if (x <= 0n) return 0n;
            const mid = getAmountOut(x, poolA.reserveIn, poolA.reserveOut);
            return mid === 0n ? -x : getAmountOut(mid, poolB.reserveIn, poolB.reserveOut) - x;
          };
          expect(best.profit).toBe(profitAt(best.amountIn));
          expect(best.profit >= 0n).toBe(true);
          const x = best.amountIn + (best.amountIn * BigInt(probe)) / 1000n;
          // floors: at most 1 unit of X (worth <= bOut/bIn + 1 of T) plus 1 unit of T
          const tolerance = poolB.reserveOut / poolB.reserveIn + 3n;
          expect(profitAt(x) <= best.profit + tolerance).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("two pools: no arbitrage when the second pool is not dearer than the fees", () => {
    const pool = { reserveIn: 10n ** 21n, reserveOut: 2n * 10n ** 24n };
    expect(getOptimalInputBetweenPools(pool, { reserveIn: pool.reserveOut, reserveOut: pool.reserveIn })).toEqual({
      amountIn: 0n,
      amountOut: 0n,
      profit: 0n,
    });
  });

  test("pool against a CEX price with explicit decimals: USDC.e -> WETH on QuickSwap, sell WETH at 2100 USD", () => {
    // 1,000,000 USDC.e (6 dp) and 500 WETH (18 dp): 2000 USDC.e per WETH in the pool
    const pool = { reserveIn: 10n ** 12n, reserveOut: 500n * 10n ** 18n };
    const price = rawPrice({ price: 2100n * 10n ** 8n, priceDecimals: 8, baseDecimals: 18, quoteDecimals: 6 });
    const best = getOptimalInputAgainstPrice(pool, price);
    const profitAt = (x: bigint) =>
      (getAmountOut(x, pool.reserveIn, pool.reserveOut) * price.numerator) / price.denominator - x;
    expect(best.profit).toBe(profitAt(best.amountIn));
    for (const f of [990n, 999n, 1001n, 1010n]) expect(profitAt((best.amountIn * f) / 1000n) <= best.profit).toBe(true);
    // 23,226.559144 USDC.e in, 11.316 WETH out, worth 537.854630 USDC.e more at 2100 (integers, pinned)
    expect(best).toMatchInlineSnapshot(`
      {
        "amountIn": 23226559144n,
        "amountOut": 11316387511679072346n,
        "profit": 537854630n,
      }
    `);
  });
});
