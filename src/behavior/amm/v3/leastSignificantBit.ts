import { v3Revert } from "../errors.ts";
import { mostSignificantBit } from "./mostSignificantBit.ts";

/** BitMath.leastSignificantBit: index of the lowest set bit of x > 0. x & -x isolates that bit. */
export function leastSignificantBit(x: bigint): number {
  if (x <= 0n) throw v3Revert("LSB_ZERO", "BitMath.leastSignificantBit of 0", { x, solidity: "require(x > 0)" });
  return mostSignificantBit(x & -x);
}
