import { v3Revert } from "../errors.ts";
import type { V3Pool } from "./types.ts";

/**
 * TickBitmap.flipTick: toggles the bit of an initialized tick. Word position is compressed >> 8 (int16), bit
 * position compressed % 256 read as uint8, i.e. compressed & 255 for negatives too.
 */
export function flipTick(pool: V3Pool, tick: number): void {
  const spacing = pool.tickSpacing;
  if (tick % spacing !== 0) {
    throw v3Revert("TICK_SPACING", "tick is not a multiple of tickSpacing", {
      tick,
      tickSpacing: spacing,
      solidity: "require(tick % tickSpacing == 0)",
    });
  }
  const compressed = tick / spacing;
  const wordPos = compressed >> 8;
  const mask = 1n << BigInt(compressed & 255);
  const word = (pool.bitmap.get(wordPos) ?? 0n) ^ mask;
  pool.bitmap.set(wordPos, word);
}
