import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ProtocolError } from "../../src/core/errors.ts";
import { diagnose } from "../../src/rules/diagnose.ts";
import { ErrorCode } from "../../src/rules/error-codes.ts";
import { frameToJson, fromHex, jsonToFrame, toHex } from "../../src/rules/json.ts";
import { FrameParser } from "../../src/rules/parser.ts";

/** PROTOCOL.md §9: the normative vectors, copied verbatim from shared/protocol-vectors.jsonl. */
const VECTORS = readFileSync(new URL("../../fixtures/protocol/protocol-vectors.jsonl", import.meta.url), "utf8")
  .trim()
  .split("\n")
  .map(
    (line) => JSON.parse(line) as { name: string; hex: string; checksum?: string; decoded?: unknown; error?: string },
  );

describe("protocol vectors", () => {
  test("there are 13 vectors: 10 valid and 3 broken", () => {
    expect(VECTORS.length).toBe(13);
    expect(VECTORS.filter((v) => v.decoded).length).toBe(10);
  });

  for (const v of VECTORS.filter((x) => x.decoded)) {
    test(`${v.name}: decodes to the vector's fields`, () => {
      expect(frameToJson(fromHex(v.hex))).toEqual(v.decoded as never);
    });
    test(`${v.name}: encodes back to the same bytes`, () => {
      expect(toHex(jsonToFrame(v.decoded as never))).toBe(v.hex);
    });
  }

  test("trade_bitflip_bad_checksum: ChecksumMismatch, data corrupted in transit", () => {
    const e = decodeError("trade_bitflip_bad_checksum");
    expect(e.code).toBe("ChecksumMismatch");
    expect(e.likelyCause).toBe("data corrupted in transit");
    expect(e.facts.tlv_count).toBe(1);
    expect(e.facts.message_size).toBe(98);
  });

  test("trade_checksum_never_computed: ChecksumMismatch, expected 0 means never calculated", () => {
    const e = decodeError("trade_checksum_never_computed");
    expect(e.code).toBe("ChecksumMismatch");
    expect(e.facts.expected).toBe("0x00000000");
    expect(e.likelyCause).toBe("sender never calculated the checksum");
  });

  test("trade_magic_big_endian: BadMagic, byte order reversed", () => {
    const e = decodeError("trade_magic_big_endian");
    expect(e.code).toBe("BadMagic");
    expect(e.facts.found).toBe("0xefbeadde");
    expect(e.likelyCause).toBe("writer used big-endian byte order");
  });
});

function decodeError(name: string): ProtocolError {
  const v = VECTORS.find((x) => x.name === name)!;
  const parser = new FrameParser();
  expect(parser.check(fromHex(v.hex))).not.toBe(ErrorCode.Ok);
  const e = diagnose(parser);
  expect(e).toBeInstanceOf(ProtocolError);
  expect(() => frameToJson(fromHex(v.hex))).toThrow(ProtocolError);
  return e;
}
