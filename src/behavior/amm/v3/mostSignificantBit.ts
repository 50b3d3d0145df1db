import { v3Revert } from "../errors.ts";

/** BitMath.mostSignificantBit: index of the highest set bit of x > 0 (require(x > 0) has no reason string). */
export function mostSignificantBit(x: bigint): number {
  if (x <= 0n) throw v3Revert("MSB_ZERO", "BitMath.mostSignificantBit of 0", { x, solidity: "require(x > 0)" });
  // Halving as in BitMath.sol; 8 comparisons for any 256-bit x.
  let r = 0;
  if (x >= 0x100000000000000000000000000000000n) {
    x >>= 128n;
    r += 128;
  }
  if (x >= 0x10000000000000000n) {
    x >>= 64n;
    r += 64;
  }
  if (x >= 0x100000000n) {
    x >>= 32n;
    r += 32;
  }
  // Below 2^32 the value fits a Number exactly: finish with Math.clz32.
  return r + 31 - Math.clz32(Number(x));
}
