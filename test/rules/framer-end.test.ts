import { describe, expect, test } from "bun:test";
import type { ProtocolError } from "../../src/core/errors.ts";
import { StreamFramer } from "../../src/rules/framer.ts";
import { fromHex } from "../../src/rules/json.ts";

const TRADE = fromHex(
  "efbeadde01010200010000000000000015cd853dfe9c9717420000003e49b0c2014065000100000000004254430000000000000000005553440000000000000000004e29a3bd1704000080d1f0080000000000002a36fe9c97170100000000000000",
);

describe("StreamFramer.end", () => {
  test("reports a frame cut by the end of the stream as skipped, Truncated", () => {
    const frames: Uint8Array[] = [];
    const skips: [number, string][] = [];
    const framer = new StreamFramer({
      onFrame: (f) => frames.push(f.slice()),
      onSkip: (n, e: ProtocolError) => skips.push([n, e.code]),
    });
    framer.push(TRADE);
    framer.push(TRADE.subarray(0, 50));
    expect(frames).toHaveLength(1);
    expect(framer.buffered).toBe(50);
    expect(framer.end()).toBe(50);
    expect(skips).toEqual([[50, "Truncated"]]);
    expect(framer.skippedBytes).toBe(50);
    expect(framer.buffered).toBe(0);
    expect(framer.end()).toBe(0);
  });
});
