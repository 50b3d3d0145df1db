import { describe, expect, test } from "bun:test";
import { MIN_SQRT_RATIO, Q96 } from "../../../src/behavior/amm/constants.ts";
import { getAmountOut } from "../../../src/behavior/amm/v2/getAmountOut.ts";
import { v2Fee } from "../../../src/behavior/amm/v2/v2Fee.ts";
import { createV3Pool } from "../../../src/behavior/amm/v3/createV3Pool.ts";
import { quoteSwapV3 } from "../../../src/behavior/amm/v3/quoteSwapV3.ts";
import { SIGNAL_ORDER_BIT } from "../../../src/behavior/execution/engine.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import type { ArbitrageSignal, PoolState } from "../../../src/data/tlv-layouts.ts";
import { BTC, E8, fills, Harness, statuses, testConfig } from "./helpers.ts";

const WETH = "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619" as const;
const DAI = "0x8f3cf7ad23cd3cadbd9735aff958023239c6a063" as const;
const POOL_A = InstrumentId.pool(400, 137, "0x4a35c1aa5c3e1a1b4a6f8f4c1f3b4ac5a6f3e6d1");
const POOL_B = InstrumentId.pool(401, 137, "0x6ff62bfb8c12109e8000935a6de54dad83a4f39f");
const POOL_V3 = InstrumentId.pool(301, 137, "0x45dda9cb7c25131df268515131f647d726f50608");
const E18 = 10n ** 18n;

function poolState(pool: InstrumentId, over: Partial<PoolState>): PoolState {
  return {
    pool,
    blockNumber: 100n,
    timestampNs: 0n,
    token0: WETH,
    token1: DAI,
    feePpm: 3000,
    tickSpacing: 0,
    token0Decimals: 18,
    token1Decimals: 18,
    protocol: 2,
    reserve0: 0n,
    reserve1: 0n,
    sqrtPriceX96: 0n,
    liquidity: 0n,
    tick: 0,
    ...over,
  };
}

function signal(over: Partial<ArbitrageSignal>): ArbitrageSignal {
  return {
    signalId: 1n,
    strategyId: 20,
    sourceVenue: 400,
    targetVenue: 101,
    slippageToleranceBps: 50,
    chainId: 137,
    maxGasPriceGwei: 0,
    validUntilNs: 0n,
    buyInstrument: POOL_A,
    sellInstrument: BTC,
    tokenIn: WETH,
    tokenOut: DAI,
    amountIn: E18,
    expectedAmountOut: 0n,
    minAmountOut: 0n,
    expectedProfitUsdE8: 0n,
    spreadBps: 0,
    priority: 0,
    timestampNs: 0n,
    ...over,
  };
}

const identity = { signalId: 1n, strategyId: 20, strategyVersion: 1, confidence: 90 };
const economics = {
  expectedProfitUsdE8: E8,
  requiredCapitalUsdE8: 2_000n * E8,
  gasCostUsdE8: 5_000_000n,
  feesUsdE8: 0n,
};

function harness() {
  const h = new Harness(testConfig({ breakers: { lossLimitE8: 10n ** 18n } }));
  h.send("PoolState", poolState(POOL_A, { reserve0: 1_000n * E18, reserve1: 2_000_000n * E18 }));
  h.send("PoolState", poolState(POOL_B, { reserve0: 1_010n * E18, reserve1: 1_990_000n * E18, feePpm: 2500 }));
  return h;
}

describe("DEX swaps from ArbitrageSignal execute against the pool state with the exact AMM math", () => {
  test("V2: the output equals getAmountOut; two token fills with the exact native amounts; gas as the fee", () => {
    const h = harness();
    const out = h.sendSignal(identity, economics, signal({ signalId: 1n }));
    const expected = getAmountOut(E18, 1_000n * E18, 2_000_000n * E18, v2Fee({ ppm: 3000 }));
    const f = fills(out);
    expect(f).toMatchObject([
      { side: 2, quantityNative: E18, fee: 5_000_000n, orderId: SIGNAL_ORDER_BIT | 1n },
      { side: 1, quantityNative: expected, fee: 0n },
    ]);
    expect((f[0].instrument as InstrumentId).address).toBe(WETH);
    expect(statuses(out).map((s) => s.status)).toEqual([1, 4]);
    expect(h.engine.portfolio.tokenBalances.get(InstrumentId.token(400, 137, DAI).toString())).toBe(expected);
  });

  test("DEX-DEX: the second pool takes the first pool's exact output", () => {
    const h = harness();
    const out = h.sendSignal(identity, economics, signal({ signalId: 2n, sellInstrument: POOL_B, tokenOut: WETH }));
    const mid = getAmountOut(E18, 1_000n * E18, 2_000_000n * E18, v2Fee({ ppm: 3000 }));
    const back = getAmountOut(mid, 1_990_000n * E18, 1_010n * E18, v2Fee({ ppm: 2500 }));
    expect(fills(out).map((x) => x.quantityNative)).toEqual([E18, mid, mid, back]);
  });

  test("below min_amount_out the swap fails with reason 3 slippage and nothing fills", () => {
    const h = harness();
    const exact = getAmountOut(E18, 1_000n * E18, 2_000_000n * E18, v2Fee({ ppm: 3000 }));
    const ok = h.sendSignal(identity, economics, signal({ signalId: 3n, minAmountOut: exact }));
    expect(statuses(ok).at(-1)?.status).toBe(4);
    const out = h.sendSignal(identity, economics, signal({ signalId: 4n, minAmountOut: exact + 1n }));
    expect(fills(out)).toEqual([]);
    expect(statuses(out)).toMatchObject([{ status: 2, reason: 3, orderId: SIGNAL_ORDER_BIT | 4n }]);
  });

  test("an expired signal, a gas price over the ceiling and an invalidated pool are refused", () => {
    const h = harness();
    h.t += 10n;
    expect(statuses(h.sendSignal(identity, economics, signal({ signalId: 5n, validUntilNs: h.t - 1n })))).toMatchObject(
      [{ status: 6, reason: 6 }],
    );
    h.send("GasPrice", { chainId: 137, blockNumber: 1n, baseFeeWei: 90_000_000_000n, priorityFeeWei: 30_000_000_000n });
    expect(statuses(h.sendSignal(identity, economics, signal({ signalId: 6n, maxGasPriceGwei: 100 })))).toMatchObject([
      { status: 2, reason: 1 },
    ]);
    h.send("StateInvalidation", { instrument: POOL_A, reason: 4, venueSequence: 0n });
    expect(statuses(h.sendSignal(identity, economics, signal({ signalId: 7n })))).toMatchObject([
      { status: 2, reason: 2 },
    ]);
  });

  test("V3: the output equals the pool's swap loop (quoteSwapV3) on the same state", () => {
    const h = harness();
    const liquidity = 10n ** 21n;
    h.send(
      "PoolState",
      poolState(POOL_V3, { protocol: 3, feePpm: 500, tickSpacing: 10, sqrtPriceX96: Q96, liquidity, tick: 0 }),
    );
    const words = {
      blockNumber: 100n,
      words: new Map([
        [0, 0n],
        [-1, 0n],
      ]),
      ticks: new Map(),
    };
    expect(h.engine.market.applyTickWords(POOL_V3, words)).toBe(true);
    const amountIn = 10n ** 18n;
    const out = h.sendSignal(identity, economics, signal({ signalId: 8n, buyInstrument: POOL_V3, amountIn }));
    const reference = createV3Pool({ fee: 500n, tickSpacing: 10, bitmapComplete: true });
    reference.sqrtPriceX96 = Q96;
    reference.liquidity = liquidity;
    reference.unlocked = true;
    const q = quoteSwapV3(reference, {
      zeroForOne: true,
      amountSpecified: amountIn,
      sqrtPriceLimitX96: MIN_SQRT_RATIO + 1n,
    });
    expect(fills(out).map((x) => x.quantityNative)).toEqual([amountIn, -q.amount1]);
    // a walk into a word that was never loaded fails (reason 5), it is never guessed
    const big = h.sendSignal(
      identity,
      economics,
      signal({ signalId: 9n, buyInstrument: POOL_V3, amountIn: 10n ** 24n }),
    );
    expect(statuses(big)).toMatchObject([{ status: 2, reason: 5 }]);
  });
});
