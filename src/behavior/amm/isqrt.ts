import { PoolStateError } from "./errors.ts";

/**
 * floor(sqrt(n)) for a bigint n >= 0, exact (Newton's iteration from a power of two above the root; each step
 * decreases until it reaches the floor). The optimal-input formulas need a square root of products up to ~2^600.
 */
export function isqrt(n: bigint): bigint {
  if (n < 0n) {
    throw new PoolStateError({ code: "NegativeSqrt", message: "square root of a negative number", facts: { n } });
  }
  if (n < 2n) return n;
  // 2^ceil(bits/2) >= sqrt(n)
  const bits = n.toString(16).length * 4;
  let x = 1n << BigInt((bits >> 1) + 1);
  for (;;) {
    const y = (x + n / x) >> 1n;
    if (y >= x) return x;
    x = y;
  }
}
