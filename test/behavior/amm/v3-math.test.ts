import { describe, expect, test } from "bun:test";
import { MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK } from "../../../src/behavior/amm/constants.ts";
import { V3RevertError } from "../../../src/behavior/amm/errors.ts";
import { computeSwapStep } from "../../../src/behavior/amm/v3/computeSwapStep.ts";
import { getAmount0Delta } from "../../../src/behavior/amm/v3/getAmount0Delta.ts";
import { getAmount1Delta } from "../../../src/behavior/amm/v3/getAmount1Delta.ts";
import { getNextSqrtPriceFromInput } from "../../../src/behavior/amm/v3/getNextSqrtPriceFromInput.ts";
import { getNextSqrtPriceFromOutput } from "../../../src/behavior/amm/v3/getNextSqrtPriceFromOutput.ts";
import { getSqrtRatioAtTick } from "../../../src/behavior/amm/v3/getSqrtRatioAtTick.ts";
import { getTickAtSqrtRatio } from "../../../src/behavior/amm/v3/getTickAtSqrtRatio.ts";
import { mulDiv } from "../../../src/behavior/amm/v3/mulDiv.ts";
import { mulDivRoundingUp } from "../../../src/behavior/amm/v3/mulDivRoundingUp.ts";
import { readFixtureJson } from "./fixtures.ts";

// Unit vectors transcribed from Uniswap/v3-core @ d8b1c63 (fixtures/uniswap, see SOURCES.md). Every asserted value
// is counted; the capture notes give 119 for the three files: TickMath 51, SqrtPriceMath 34, SwapMath 34 fields.

interface TickMathVectors {
  constants: { MIN_TICK: number; MAX_TICK: number; MIN_SQRT_RATIO: string; MAX_SQRT_RATIO: string };
  getSqrtRatioAtTick: { tick: number; sqrtPriceX96: string }[];
  getTickAtSqrtRatio: { tick: number; sqrtPriceX96: string }[];
  reverts: { fn: string; tick?: number; sqrtPriceX96?: string; error: string }[];
}
interface PriceCase {
  sqrtPX96: string;
  liquidity: string;
  amount: string;
  zeroForOne: boolean;
  expected?: string;
}
interface DeltaCase {
  sqrtRatioAX96: string;
  sqrtRatioBX96: string;
  liquidity: string;
  roundUp: boolean;
  expected: string;
}
interface SqrtPriceMathVectors {
  getNextSqrtPriceFromInput: PriceCase[];
  getNextSqrtPriceFromInputReverts: PriceCase[];
  getNextSqrtPriceFromOutput: PriceCase[];
  getNextSqrtPriceFromOutputReverts: PriceCase[];
  getAmount0Delta: DeltaCase[];
  getAmount0DeltaRelations: Omit<DeltaCase, "roundUp" | "expected">[];
  getAmount1Delta: DeltaCase[];
}
interface SwapMathVectors {
  computeSwapStep: {
    name: string;
    sqrtRatioCurrentX96: string;
    sqrtRatioTargetX96: string;
    liquidity: string;
    amountRemaining: string;
    feePips: number;
    expected: Record<string, string>;
  }[];
}

const tickMath = readFixtureJson<TickMathVectors>("uniswap/v3-tickmath-vectors.json");
const sqrtPriceMath = readFixtureJson<SqrtPriceMathVectors>("uniswap/v3-sqrtpricemath-vectors.json");
const swapMath = readFixtureJson<SwapMathVectors>("uniswap/v3-swapmath-vectors.json");

function revertReason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof V3RevertError) return e.reason;
    throw e;
  }
  return "no revert";
}

describe("TickMath", () => {
  test("constants equal the contract's", () => {
    expect([MIN_TICK, MAX_TICK]).toEqual([tickMath.constants.MIN_TICK, tickMath.constants.MAX_TICK]);
    expect(MIN_SQRT_RATIO).toBe(BigInt(tickMath.constants.MIN_SQRT_RATIO));
    expect(MAX_SQRT_RATIO).toBe(BigInt(tickMath.constants.MAX_SQRT_RATIO));
  });

  test("getSqrtRatioAtTick matches all 32 snapshot values", () => {
    let matched = 0;
    for (const v of tickMath.getSqrtRatioAtTick) if (getSqrtRatioAtTick(v.tick) === BigInt(v.sqrtPriceX96)) matched++;
    expect(matched).toBe(32);
  });

  test("getTickAtSqrtRatio matches all 15 values", () => {
    let matched = 0;
    for (const v of tickMath.getTickAtSqrtRatio) if (getTickAtSqrtRatio(BigInt(v.sqrtPriceX96)) === v.tick) matched++;
    expect(matched).toBe(15);
  });

  test("reverts with T for ticks and R for prices out of range (4 cases)", () => {
    let matched = 0;
    for (const r of tickMath.reverts) {
      const reason =
        r.fn === "getSqrtRatioAtTick"
          ? revertReason(() => getSqrtRatioAtTick(r.tick!))
          : revertReason(() => getTickAtSqrtRatio(BigInt(r.sqrtPriceX96!)));
      if (reason === r.error) matched++;
    }
    expect(matched).toBe(4);
  });

  test("getTickAtSqrtRatio inverts getSqrtRatioAtTick on every 997th tick and its neighbours", () => {
    for (let tick = MIN_TICK; tick < MAX_TICK; tick += 997) {
      const sqrt = getSqrtRatioAtTick(tick);
      expect(getTickAtSqrtRatio(sqrt)).toBe(tick);
      if (sqrt > MIN_SQRT_RATIO) expect(getTickAtSqrtRatio(sqrt - 1n)).toBe(tick - 1);
      expect(getTickAtSqrtRatio(sqrt + 1n)).toBe(tick);
    }
  });

  test("reverts carry the facts of the failed check", () => {
    try {
      getSqrtRatioAtTick(887273);
      throw new Error("no revert");
    } catch (e) {
      expect(e).toBeInstanceOf(V3RevertError);
      const err = e as V3RevertError;
      expect(err.code).toBe("UniswapV3:T");
      expect(err.facts).toEqual({ tick: 887273, maxTick: 887272 });
      expect(err.toLine()).toMatchInlineSnapshot(
        `"UniswapV3:T: tick outside [MIN_TICK, MAX_TICK] (tick=887273, maxTick=887272)"`,
      );
    }
  });
});

describe("SqrtPriceMath", () => {
  test("getNextSqrtPriceFromInput matches 9 values and reverts on 3 inputs", () => {
    let matched = 0;
    for (const c of sqrtPriceMath.getNextSqrtPriceFromInput) {
      const next = getNextSqrtPriceFromInput(BigInt(c.sqrtPX96), BigInt(c.liquidity), BigInt(c.amount), c.zeroForOne);
      if (next === BigInt(c.expected!)) matched++;
    }
    for (const c of sqrtPriceMath.getNextSqrtPriceFromInputReverts) {
      const reason = revertReason(() =>
        getNextSqrtPriceFromInput(BigInt(c.sqrtPX96), BigInt(c.liquidity), BigInt(c.amount), c.zeroForOne),
      );
      if (reason !== "no revert") matched++;
    }
    expect(matched).toBe(12);
  });

  test("getNextSqrtPriceFromOutput matches 5 values and reverts on 8 inputs", () => {
    let matched = 0;
    for (const c of sqrtPriceMath.getNextSqrtPriceFromOutput) {
      const next = getNextSqrtPriceFromOutput(BigInt(c.sqrtPX96), BigInt(c.liquidity), BigInt(c.amount), c.zeroForOne);
      if (next === BigInt(c.expected!)) matched++;
    }
    const reasons: string[] = [];
    for (const c of sqrtPriceMath.getNextSqrtPriceFromOutputReverts) {
      const reason = revertReason(() =>
        getNextSqrtPriceFromOutput(BigInt(c.sqrtPX96), BigInt(c.liquidity), BigInt(c.amount), c.zeroForOne),
      );
      reasons.push(reason);
      if (reason !== "no revert") matched++;
    }
    expect(matched).toBe(13);
    expect(reasons).toEqual([
      "PRICE_ZERO",
      "LIQUIDITY_ZERO",
      "OUTPUT_TOO_LARGE",
      "OUTPUT_TOO_LARGE",
      "OUTPUT_TOO_LARGE",
      "OUTPUT_TOO_LARGE",
      // max uint256 of token1 out: amount > uint160 max, so FullMath.mulDivRoundingUp(amount, Q96, 1) overflows first
      "MULDIV_OVERFLOW",
      "OUTPUT_TOO_LARGE",
    ]);
  });

  test("getAmount0Delta and getAmount1Delta match 8 values; rounding up adds one where the division is inexact", () => {
    let matched = 0;
    for (const c of sqrtPriceMath.getAmount0Delta) {
      const v = getAmount0Delta(BigInt(c.sqrtRatioAX96), BigInt(c.sqrtRatioBX96), BigInt(c.liquidity), c.roundUp);
      if (v === BigInt(c.expected)) matched++;
    }
    for (const c of sqrtPriceMath.getAmount1Delta) {
      const v = getAmount1Delta(BigInt(c.sqrtRatioAX96), BigInt(c.sqrtRatioBX96), BigInt(c.liquidity), c.roundUp);
      if (v === BigInt(c.expected)) matched++;
    }
    for (const c of sqrtPriceMath.getAmount0DeltaRelations) {
      const a = BigInt(c.sqrtRatioAX96);
      const b = BigInt(c.sqrtRatioBX96);
      const l = BigInt(c.liquidity);
      if (getAmount0Delta(a, b, l, true) === getAmount0Delta(a, b, l, false) + 1n) matched++;
    }
    expect(matched).toBe(9);
  });
});

describe("computeSwapStep", () => {
  test("matches all 34 asserted fields of the 9 SwapMath cases", () => {
    let matched = 0;
    let asserted = 0;
    for (const c of swapMath.computeSwapStep) {
      const step = computeSwapStep(
        BigInt(c.sqrtRatioCurrentX96),
        BigInt(c.sqrtRatioTargetX96),
        BigInt(c.liquidity),
        BigInt(c.amountRemaining),
        BigInt(c.feePips),
      );
      for (const [field, value] of Object.entries(c.expected)) {
        asserted++;
        if (step[field as keyof typeof step] === BigInt(value)) matched++;
      }
    }
    expect(asserted).toBe(34);
    expect(matched).toBe(34);
  });

  test("holds the relations the spec asserts instead of values", () => {
    const [, , fullySpentIn, fullyReceivedOut] = swapMath.computeSwapStep;
    const a = computeSwapStep(
      BigInt(fullySpentIn.sqrtRatioCurrentX96),
      BigInt(fullySpentIn.sqrtRatioTargetX96),
      BigInt(fullySpentIn.liquidity),
      BigInt(fullySpentIn.amountRemaining),
      BigInt(fullySpentIn.feePips),
    );
    expect(a.sqrtRatioNextX96).toBe(
      getNextSqrtPriceFromInput(
        BigInt(fullySpentIn.sqrtRatioCurrentX96),
        BigInt(fullySpentIn.liquidity),
        BigInt(fullySpentIn.amountRemaining) - a.feeAmount,
        false,
      ),
    );
    expect(a.sqrtRatioNextX96 < BigInt(fullySpentIn.sqrtRatioTargetX96)).toBe(true);
    const b = computeSwapStep(
      BigInt(fullyReceivedOut.sqrtRatioCurrentX96),
      BigInt(fullyReceivedOut.sqrtRatioTargetX96),
      BigInt(fullyReceivedOut.liquidity),
      BigInt(fullyReceivedOut.amountRemaining),
      BigInt(fullyReceivedOut.feePips),
    );
    expect(b.sqrtRatioNextX96).toBe(
      getNextSqrtPriceFromOutput(
        BigInt(fullyReceivedOut.sqrtRatioCurrentX96),
        BigInt(fullyReceivedOut.liquidity),
        10n ** 18n,
        false,
      ),
    );
  });
});

describe("FullMath", () => {
  test("mulDiv floors and mulDivRoundingUp ceils a 512-bit product", () => {
    const max = (1n << 256n) - 1n;
    expect(mulDiv(max, max, max)).toBe(max);
    expect(mulDiv(1n << 128n, 35n << 128n, 8n << 128n)).toBe(35n << 125n);
    expect(mulDivRoundingUp(1n << 128n, 1000n, 3n)).toBe(((1n << 128n) * 1000n) / 3n + 1n);
  });

  test("reverts when the result overflows uint256 or the denominator is 0", () => {
    const max = (1n << 256n) - 1n;
    expect(revertReason(() => mulDiv(max, max, max - 1n))).toBe("MULDIV_OVERFLOW");
    expect(revertReason(() => mulDiv(1n, 1n, 0n))).toBe("MULDIV_OVERFLOW");
    // floor is max, remainder non-zero: the increment would overflow
    expect(
      revertReason(() =>
        mulDivRoundingUp(535006138814359n, 432862656469423142931042426214547535783388063929571229938474969n, 2n),
      ),
    ).toBe("MULDIV_OVERFLOW");
  });
});
