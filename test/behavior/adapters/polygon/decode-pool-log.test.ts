import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, toBytes } from "viem";
import { TOPIC_SIGNATURES, Topic } from "../../../../src/behavior/adapters/polygon/abi.ts";
import { decodePoolLog } from "../../../../src/behavior/adapters/polygon/decode-pool-log.ts";
import type { PolygonCollectorError } from "../../../../src/behavior/adapters/polygon/errors.ts";
import type { RpcLog } from "../../../../src/behavior/adapters/polygon/pool-info.ts";
import { FIXTURES, readLogs, SWAP_V3, V3_DAY, V3_POOL_INFO } from "./helpers.ts";

const v3Pool = V3_POOL_INFO;
const swap = readLogs(V3_DAY).find((l) => l.topics[0] === SWAP_V3)!;
const word = (n: bigint) => BigInt.asUintN(256, n).toString(16).padStart(64, "0");
const withData = (log: RpcLog, words: bigint[]): RpcLog => ({ ...log, data: `0x${words.map(word).join("")}` });

function decodeError(log: RpcLog): PolygonCollectorError {
  try {
    decodePoolLog(log, v3Pool);
  } catch (e) {
    return e as PolygonCollectorError;
  }
  throw new Error("decoded");
}

describe("decodePoolLog", () => {
  test("topic0s are keccak256 of the event signatures and match pools.json", () => {
    const table = JSON.parse(readFileSync(join(FIXTURES, "pools.json"), "utf8")).eventTopics as Record<string, string>;
    const fromFile = new Set(Object.values(table));
    for (const [name, signature] of Object.entries(TOPIC_SIGNATURES)) {
      const topic = Topic[name as keyof typeof Topic];
      expect(keccak256(toBytes(signature))).toBe(topic);
      expect(fromFile.has(topic)).toBe(true);
    }
  });

  test("a V3 swap with a negative tick and amounts at the u128 edge", () => {
    const max = (1n << 128n) - 1n;
    const log = withData(swap, [-max, 5n, 1n << 159n, max, -887272n]);
    const { value } = decodePoolLog(log, v3Pool)! as { value: Record<string, unknown> };
    expect([value.amount0In, value.amount0Out, value.amount1In, value.amount1Out]).toEqual([0n, max, 5n, 0n]);
    expect([value.sqrtPriceX96, value.liquidity, value.tick]).toEqual([1n << 159n, max, -887272]);
  });

  test("refuses values that do not fit their wire types, with the facts", () => {
    expect(decodeError(withData(swap, [1n << 128n, 0n, 1n, 1n, 0n])).message).toMatchInlineSnapshot(
      `"cannot decode pool log: amount0 340282366920938463463374607431768211456 does not fit its wire type (max 340282366920938463463374607431768211455)"`,
    );
    expect(decodeError(withData(swap, [1n, -1n, 1n << 160n, 1n, 0n])).facts.reason).toMatchInlineSnapshot(
      `"sqrtPriceX96 1461501637330902918203684832716283019655932542976 does not fit its wire type (max 1461501637330902918203684832716283019655932542975)"`,
    );
    expect(decodeError(withData(swap, [1n, -1n, 1n, 1n, 1n << 23n])).facts.reason).toMatchInlineSnapshot(
      `"tick is not a sign-extended int24"`,
    );
    const short = decodeError({ ...swap, data: swap.data.slice(0, -64) });
    expect(short.code).toBe("BadLog");
    expect(short.facts).toMatchInlineSnapshot(`
      {
        "address": "0x45dda9cb7c25131df268515131f647d726f50608",
        "block": "0x3004f03",
        "log_index": "0x1f",
        "reason": "data has 4 words, the event has 5",
        "topic0": "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67",
      }
    `);
    expect(decodeError({ ...swap, logIndex: "31" }).facts.reason).toBe("logIndex is not a hex quantity below 2^52");
    expect(decodeError({ ...swap, transactionHash: "0x12" }).facts.reason).toBe(
      "transactionHash is not a 32-byte hash",
    );
  });

  test("events the TLVs do not carry (Collect) decode to null", () => {
    const collect = readLogs(V3_DAY).find((l) => l.topics[0].startsWith("0x70935338"))!;
    expect(decodePoolLog(collect, v3Pool)).toBeNull();
  });
});
