import { describe, expect, test } from "bun:test";
import { decodePoolLog } from "../../../../src/behavior/adapters/polygon/decode-pool-log.ts";
import { PolygonCollectorError } from "../../../../src/behavior/adapters/polygon/errors.ts";
import { PoolEventEncoder } from "../../../../src/behavior/adapters/polygon/pool-event-encoder.ts";
import type { PoolInfo, RpcLog } from "../../../../src/behavior/adapters/polygon/pool-info.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { LAYOUTS } from "../../../../src/data/tlv-layouts.ts";
import { FrameBuilder } from "../../../../src/rules/builder.ts";
import { QS_POOL, QUICKSWAP, readLogs, SWAP_V3, V3_DAY, V3_POOL } from "./helpers.ts";

const pool = (address: string, venue: number, protocol: 2 | 3, decimals0: number, decimals1: number): PoolInfo => ({
  address: address as `0x${string}`,
  instrument: InstrumentId.pool(venue, 137, address),
  venue,
  protocol,
  token0: "0x0000000000000000000000000000000000000001",
  token1: "0x0000000000000000000000000000000000000002",
  decimals0,
  decimals1,
  symbol0: "",
  symbol1: "",
  feePpm: protocol === 3 ? 500 : 3000,
  tickSpacing: protocol === 3 ? 10 : 0,
  factory: "0x0000000000000000000000000000000000000003",
});
const v3 = pool(V3_POOL, 301, 3, 6, 18);
const qs = pool(QS_POOL, 400, 2, 18, 18);
const builder = new FrameBuilder({ domain: 1, source: 4 });

/** The value bytes the codec writes for the reference decoder's value (null when it does not carry the log). */
function reference(log: RpcLog, p: PoolInfo): { type: number; bytes: Uint8Array } | null {
  const ev = decodePoolLog(log, p);
  if (!ev) return null;
  const frame = builder
    .begin(0n)
    .add(ev.name, ev.value as never)
    .finish();
  return { type: LAYOUTS[ev.name].type, bytes: frame.slice(34) };
}

function encoded(enc: PoolEventEncoder, log: RpcLog, p: PoolInfo): { type: number; bytes: Uint8Array } | null {
  const type = enc.encode(log, p);
  return type === 0 ? null : { type, bytes: enc.value.slice(0, enc.length) };
}

const word = (n: bigint) => BigInt.asUintN(256, n).toString(16).padStart(64, "0");
const withData = (log: RpcLog, words: bigint[]): RpcLog => ({ ...log, data: `0x${words.map(word).join("")}` });

describe("PoolEventEncoder", () => {
  test("writes exactly the codec's bytes of the reference decoder's value, for every log of the day and the QuickSwap pair", () => {
    const enc = new PoolEventEncoder();
    let same = 0;
    const logs: [RpcLog, PoolInfo][] = [
      ...readLogs(V3_DAY).map((l) => [l, v3] as [RpcLog, PoolInfo]),
      ...readLogs(QUICKSWAP).map((l) => [l, qs] as [RpcLog, PoolInfo]),
    ];
    for (const [log, p] of logs) {
      for (const variant of [log, { ...log, removed: true }]) {
        const a = encoded(enc, variant, p);
        const b = reference(variant, p);
        if (Bun.deepEquals(a, b)) same++;
        else expect(a).toEqual(b);
      }
    }
    expect(same).toBe(2 * (3485 + 2));
  });

  test("edge values: u128 bounds, the most negative amounts, extreme ticks, upper-case hex", () => {
    const swap = readLogs(V3_DAY).find((l) => l.topics[0] === SWAP_V3)!;
    const max = (1n << 128n) - 1n;
    const enc = new PoolEventEncoder();
    const cases = [
      [max, -max, (1n << 160n) - 1n, max, 887272n],
      [-1n, 1n, 4295128739n, 0n, -887272n],
      [0n, 0n, 1n, 1n, -1n],
      [-(1n << 127n), 1n << 127n, 1n << 96n, 1n, 8388607n],
      [1n, -1n, 1n, 1n, -8388608n],
    ];
    for (const c of cases) {
      const log = withData(swap, c);
      expect(encoded(enc, log, v3)).toEqual(reference(log, v3));
      const upper = { ...log, data: log.data.toUpperCase().replace("0X", "0x") };
      expect(encoded(enc, upper, v3)).toEqual(reference(log, v3));
    }
  });

  test("refuses what the reference decoder refuses", () => {
    const swap = readLogs(V3_DAY).find((l) => l.topics[0] === SWAP_V3)!;
    const enc = new PoolEventEncoder();
    const bad: RpcLog[] = [
      withData(swap, [1n << 128n, 0n, 1n, 1n, 0n]),
      withData(swap, [-(1n << 128n), 0n, 1n, 1n, 0n]),
      withData(swap, [1n, 1n, 1n << 160n, 1n, 0n]),
      withData(swap, [1n, 1n, 1n, 1n << 128n, 0n]),
      withData(swap, [1n, 1n, 1n, 1n, 1n << 23n]),
      withData(swap, [1n, 1n, 1n, 1n, -(1n << 23n) - 1n]),
      { ...swap, data: `${swap.data.slice(0, 100)}zz${swap.data.slice(102)}` },
      { ...swap, data: swap.data.slice(0, -64) },
      { ...swap, logIndex: "0xzz" },
      { ...swap, transactionHash: `${swap.transactionHash.slice(0, -1)}g` },
    ];
    for (const log of bad) {
      expect(() => decodePoolLog(log, v3)).toThrow(PolygonCollectorError);
      let code = "";
      try {
        enc.encode(log, v3);
      } catch (e) {
        code = (e as PolygonCollectorError).code;
      }
      expect(code).toBe("BadLog");
    }
  });
});
