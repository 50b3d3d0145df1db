import { frameChecksum } from "../../rules/crc32.ts";
import { FrameFlags, HEADER_SIZE, HeaderOffset } from "../../rules/header.ts";

/**
 * Copies `frame` into `out` with header flag bit 0 (replayed, PROTOCOL.md §2) set and the checksum recomputed; all
 * other bytes, sequence and timestamp included, are unchanged. Returns the view of `out` holding the frame. A frame
 * whose bit is already set is copied as is. `out` must hold the frame.
 */
export function markReplayed(frame: Uint8Array, out: Uint8Array, outView: DataView): Uint8Array {
  const n = frame.length;
  out.set(frame, 0);
  if ((frame[HeaderOffset.flags] & FrameFlags.Replayed) === 0) {
    out[HeaderOffset.flags] |= FrameFlags.Replayed;
    outView.setUint32(HeaderOffset.checksum, frameChecksum(out, 0, n - HEADER_SIZE, outView), true);
  }
  return out.subarray(0, n);
}
