import { TickDataMissingError } from "../errors.ts";
import { leastSignificantBit } from "./leastSignificantBit.ts";
import { mostSignificantBit } from "./mostSignificantBit.ts";
import type { V3Pool } from "./types.ts";

/** Result of nextInitializedTickWithinOneWord, reused between calls (the caller reads it before the next call). */
export interface NextTick {
  next: number;
  initialized: boolean;
}

/**
 * TickBitmap.nextInitializedTickWithinOneWord: the next initialized tick to the left (lte, including `tick`) or to
 * the right (excluding it) within the 256-tick word of the compressed tick; if none, the word's last tick in that
 * direction (not initialized). A swap therefore stops at every word boundary, as on chain.
 */
export function nextInitializedTickWithinOneWord(pool: V3Pool, tick: number, lte: boolean, out: NextTick): NextTick {
  const spacing = pool.tickSpacing;
  let compressed = Math.trunc(tick / spacing);
  if (tick < 0 && tick % spacing !== 0) compressed--; // round towards negative infinity
  if (lte) {
    const wordPos = compressed >> 8;
    const bitPos = compressed & 255;
    const word = readWord(pool, wordPos, tick);
    // all the 1s at or to the right of bitPos
    const masked = word & ((2n << BigInt(bitPos)) - 1n);
    out.initialized = masked !== 0n;
    out.next = out.initialized
      ? (compressed - (bitPos - mostSignificantBit(masked))) * spacing
      : (compressed - bitPos) * spacing;
  } else {
    const c1 = compressed + 1;
    const wordPos = c1 >> 8;
    const bitPos = c1 & 255;
    const word = readWord(pool, wordPos, tick);
    // all the 1s at or to the left of bitPos
    const masked = word & ~((1n << BigInt(bitPos)) - 1n);
    out.initialized = masked !== 0n;
    out.next = out.initialized
      ? (c1 + (leastSignificantBit(masked) - bitPos)) * spacing
      : (c1 + (255 - bitPos)) * spacing;
  }
  return out;
}

function readWord(pool: V3Pool, wordPos: number, tick: number): bigint {
  const word = pool.bitmap.get(wordPos);
  if (word !== undefined) return word;
  if (pool.bitmapComplete) return 0n;
  throw new TickDataMissingError(wordPos, tick);
}
