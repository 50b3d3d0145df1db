import { frameChecksum } from "../../rules/crc32.ts";
import { HEADER_SIZE, HeaderOffset } from "../../rules/header.ts";

/** One market data frame of a source stream and the time it is ordered by (ns since the epoch). */
export interface TimedFrame {
  frame: Uint8Array;
  timeNs: bigint;
}

/**
 * Merges per-source streams into one, ordered by time with a stable tie-break, never reordering a source:
 *   1. within a stream, times are made non-decreasing (t_i = max(t_i, t_{i-1})): a venue's own order is the order its
 *      collector published in (a BookDelta after its OrderBook), even where exchange times step back;
 *   2. a k-way merge takes the stream whose next frame has the smallest time; on a tie, the stream listed first.
 * Each output frame is a copy with its header timestamp set to that time and its checksum recomputed (the collectors
 * stamp the wall clock; the deterministic engine and strategies take their clock from this field).
 */
export function mergeStreams(streams: readonly (readonly TimedFrame[])[]): TimedFrame[] {
  const clamped = streams.map((s) => {
    let last = 0n;
    return s.map((f) => {
      last = f.timeNs > last ? f.timeNs : last;
      return { frame: f.frame, timeNs: last };
    });
  });
  const next = clamped.map(() => 0);
  const out: TimedFrame[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < clamped.length; i++) {
      if (next[i] >= clamped[i].length) continue;
      if (best < 0 || clamped[i][next[i]].timeNs < clamped[best][next[best]].timeNs) best = i;
    }
    if (best < 0) return out;
    const f = clamped[best][next[best]++];
    out.push({ frame: stampFrame(f.frame, f.timeNs), timeNs: f.timeNs });
  }
}

/** A copy of `frame` with header timestamp_ns = `timeNs` and the CRC-32 recomputed (PROTOCOL.md §2). */
export function stampFrame(frame: Uint8Array, timeNs: bigint): Uint8Array {
  const out = frame.slice();
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  dv.setBigUint64(HeaderOffset.timestampNs, timeNs, true);
  dv.setUint32(HeaderOffset.checksum, frameChecksum(out, 0, out.length - HEADER_SIZE, dv), true);
  return out;
}
