/**
 * UnsafeMath.divRoundingUp: ceil(x / y) for uint256. The assembly version returns 0 for y = 0 (EVM `div` by zero is
 * 0, and `gt(mod(x, 0), 0)` is 0); callers in SqrtPriceMath never pass 0, but the EVM answer is kept.
 */
export function divRoundingUp(x: bigint, y: bigint): bigint {
  if (y === 0n) return 0n;
  const q = x / y;
  return x % y === 0n ? q : q + 1n;
}
