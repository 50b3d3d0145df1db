/**
 * Writers for TLV values built straight from exact integer Numbers (no bigint): the Binance collector's Trade, Quote
 * and BookDelta values, byte for byte what FrameBuilder.add() writes for the same values (PROTOCOL.md §6 layouts in
 * src/data/tlv-layouts.ts; pad bytes zero). Each value is an exact integer within ±(2^53-1).
 */
import { setU64, setU64Mul } from "../common/u64-writers.ts";

export { setI64, setU64 } from "../common/u64-writers.ts";

/** Largest millisecond time whose nanoseconds fit a u64: floor((2^64-1) / 1e6). */
export const MAX_MS_FOR_U64_NS = 18_446_744_073_709;

/** `ms · 1e6` as a u64 (0 <= ms <= MAX_MS_FOR_U64_NS) without a bigint. */
export function setMsAsNs(dv: DataView, at: number, ms: number): void {
  setU64Mul(dv, at, ms, 1_000_000, 0);
}

/** An event time in ms (-1: none) as u64 nanoseconds: 0 for none, else setMsAsNs. */
export function setTimeNs(dv: DataView, at: number, ms: number): void {
  if (ms < 0) setU64(dv, at, 0);
  else setMsAsNs(dv, at, ms);
}
