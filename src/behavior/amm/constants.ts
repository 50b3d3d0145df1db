/**
 * Constants of the Uniswap contracts, as bigint. Sources: v3-core TickMath.sol (MIN_TICK, MAX_TICK, MIN_SQRT_RATIO,
 * MAX_SQRT_RATIO), FixedPoint96.sol (Q96), FixedPoint128.sol (Q128), SwapMath.sol (1e6 fee denominator).
 */
export const MIN_TICK = -887272;
export const MAX_TICK = 887272;
/** getSqrtRatioAtTick(MIN_TICK). */
export const MIN_SQRT_RATIO = 4295128739n;
/** getSqrtRatioAtTick(MAX_TICK). */
export const MAX_SQRT_RATIO = 1461446703485210103287273052203988822378723970342n;

export const Q96 = 1n << 96n;
export const Q128 = 1n << 128n;
export const MAX_UINT128 = (1n << 128n) - 1n;
export const MAX_UINT160 = (1n << 160n) - 1n;
export const MAX_UINT256 = (1n << 256n) - 1n;
/** 2^256, the modulus of unchecked uint256 arithmetic (fee growth accumulators wrap on purpose). */
export const TWO_256 = 1n << 256n;
export const MAX_INT128 = (1n << 127n) - 1n;
export const MIN_INT128 = -(1n << 127n);
export const MAX_INT256 = (1n << 255n) - 1n;
export const MIN_INT256 = -(1n << 255n);

/** Fees are in millionths (pips, ppm): 3000 = 0.3 %, 500 = 0.05 %. SwapMath.sol divides by 1e6. */
export const PPM = 1_000_000n;
/** V2 reserves are uint112 (UniswapV2Pair.sol). */
export const MAX_UINT112 = (1n << 112n) - 1n;
