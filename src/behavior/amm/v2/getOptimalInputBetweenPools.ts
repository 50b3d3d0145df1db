import { isqrt } from "../isqrt.ts";
import { getAmountOut } from "./getAmountOut.ts";
import type { V2Hop } from "./V2Hop.ts";
import { FEE_0_3_PERCENT } from "./v2Fee.ts";

export interface V2Arbitrage {
  /** Input of the first hop (0 when there is no profit). */
  amountIn: bigint;
  /** Exact output of the second hop for amountIn, by the contract's getAmountOut (0 when amountIn is 0). */
  amountOut: bigint;
  /** amountOut - amountIn, in the input token; swap fees are inside the quotes. */
  profit: bigint;
}

/**
 * Closed-form best input for a round trip through two V2 pools: token T into pool A for X, X into pool B for T.
 * Two constant-product pools in a row act as one virtual pool (Ea, Eb) with A's fee:
 *   out(x) = gA*Eb*x / (Ea + gA*x),  Ea = aIn*bIn / (bIn + gB*aOut),  Eb = gB*aOut*bOut / (bIn + gB*aOut)
 * and out'(x) = 1 gives x* = (sqrt(gA*gB*aIn*aOut*bIn*bOut) - aIn*bIn) / (gA*(bIn + gB*aOut)). With g = gamma/scale
 * everything is multiplied through by the scales so one integer sqrt and one division remain:
 *   x* = (isqrt(GA*GB*SA*SB*P) - SA*SB*aIn*bIn) / (GA*(SB*bIn + GB*aOut)),   P = aIn*aOut*bIn*bOut.
 * The floors of the real getAmountOut move the integer optimum by at most a few units; the profit returned is the
 * exact on-chain one for the returned input.
 */
export function getOptimalInputBetweenPools(poolA: V2Hop, poolB: V2Hop): V2Arbitrage {
  const a = poolA.fee ?? FEE_0_3_PERCENT;
  const b = poolB.fee ?? FEE_0_3_PERCENT;
  const aIn = poolA.reserveIn;
  const aOut = poolA.reserveOut;
  const bIn = poolB.reserveIn;
  const bOut = poolB.reserveOut;
  const root = isqrt(a.gamma * b.gamma * a.scale * b.scale * aIn * aOut * bIn * bOut);
  const numerator = root - a.scale * b.scale * aIn * bIn;
  if (numerator <= 0n) return { amountIn: 0n, amountOut: 0n, profit: 0n };
  const amountIn = numerator / (a.gamma * (b.scale * bIn + b.gamma * aOut));
  if (amountIn === 0n) return { amountIn: 0n, amountOut: 0n, profit: 0n };
  const mid = getAmountOut(amountIn, aIn, aOut, a);
  const amountOut = mid === 0n ? 0n : getAmountOut(mid, bIn, bOut, b);
  return { amountIn, amountOut, profit: amountOut - amountIn };
}
