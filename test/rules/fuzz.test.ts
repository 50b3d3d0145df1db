import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { ProtocolError } from "../../src/core/errors.ts";
import { InstrumentId } from "../../src/data/instrument-id.ts";
import { domainOfType, LAYOUT_BY_TYPE, LAYOUTS, type TlvName } from "../../src/data/tlv-layouts.ts";
import { FrameBuilder } from "../../src/rules/builder.ts";
import { frameChecksum } from "../../src/rules/crc32.ts";
import { diagnose } from "../../src/rules/diagnose.ts";
import { ERROR_NAMES, ErrorCode } from "../../src/rules/error-codes.ts";
import { frameToJson, fromHex } from "../../src/rules/json.ts";
import { FrameParser } from "../../src/rules/parser.ts";
import { hexOf, prng, tlvValueArb } from "../data/tlv-arbitraries.ts";

/**
 * Fuzzing in the suite (issue 3): random byte strings, random frames with valid headers and checksums around random
 * TLV bytes, and mutations of valid frames (bit flips, every truncation, wrong sizes and TLV lengths, extended-form
 * reserved byte, type 0, domain and version changes, re-sealed with a correct checksum so the TLV checks are reached).
 * Every input must give Ok or a PROTOCOL.md §8 code, a ProtocolError from diagnose() and frameToJson(), and the same
 * answer whatever bytes surround it (no read past the end). Set FUZZ_SEED to replay a failure.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_f022) >>> 0;
const SEED_TEXT = `seed 0x${SEED.toString(16)}`;

/** PROTOCOL.md §8 codes. */
const SECTION_8 = new Set([
  "Truncated",
  "BadMagic",
  "UnsupportedVersion",
  "UnknownDomain",
  "PayloadTooLarge",
  "ChecksumMismatch",
  "TlvTruncated",
  "InvalidTlvType",
  "BadExtendedTlv",
  "TlvSizeMismatch",
  "DomainMismatch",
  "TooManyLevels",
  "TooManyTokens",
  "InvalidInstrumentId",
]);

// ---- corpus of valid frames ------------------------------------------------------------------------------------

interface CorpusFrame {
  bytes: Uint8Array;
  /** Offset of each TLV's header (type byte, or the 255 marker) and whether it is extended. */
  tlvs: { at: number; extended: boolean; type: number }[];
}

function tlvsOf(bytes: Uint8Array): CorpusFrame["tlvs"] {
  const p = new FrameParser();
  if (p.check(bytes) !== ErrorCode.Ok) throw new Error(`corpus frame does not check: ${hexOf(bytes)}`);
  const out: CorpusFrame["tlvs"] = [];
  for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) {
    out.push({ at: p.tlvOffset - (p.tlvExtended ? 5 : 2), extended: p.tlvExtended, type: p.tlvType });
  }
  return out;
}

function buildCorpus(): CorpusFrame[] {
  const frames: Uint8Array[] = [];
  const names = Object.keys(LAYOUTS) as TlvName[];
  for (const name of names) {
    const layout = LAYOUTS[name];
    const values = fc.sample(tlvValueArb(layout, { maxItems: 12 }), { seed: SEED ^ layout.type, numRuns: 6 });
    values.forEach((value, i) => {
      const b = new FrameBuilder({ domain: domainOfType(layout.type) || 1 + (i % 4), source: 1 + i });
      frames.push(
        b
          .begin(BigInt(i) * 1_000_000_007n)
          .add(name, value as never, i % 3 === 0)
          .finish()
          .slice(),
      );
    });
  }
  // several TLVs per frame, unknown raw types, an empty frame
  const b1 = new FrameBuilder({ domain: 1, source: 2 });
  const [trade, book, swap] = [
    fc.sample(tlvValueArb(LAYOUTS.Trade), { seed: SEED, numRuns: 1 })[0],
    fc.sample(tlvValueArb(LAYOUTS.OrderBook, { maxItems: 6 }), { seed: SEED, numRuns: 1 })[0],
    fc.sample(tlvValueArb(LAYOUTS.PoolSwap), { seed: SEED, numRuns: 1 })[0],
  ];
  frames.push(
    b1
      .begin(1n)
      .add("Trade", trade as never)
      .add("OrderBook", book as never, true)
      .addRaw(7, new Uint8Array(9))
      .add("PoolSwap", swap as never)
      .add("Heartbeat", { sentNs: 5n, status: 1 }, true)
      .finish()
      .slice(),
  );
  frames.push(
    b1
      .begin(2n)
      .addRaw(200, Uint8Array.of(1, 2, 3), true)
      .addRaw(150, new Uint8Array(300))
      .finish()
      .slice(),
  );
  frames.push(new FrameBuilder({ domain: 3, source: 42 }).begin(3n).finish().slice());
  // the valid protocol vectors
  const vectors = readFileSync(new URL("../../fixtures/protocol/protocol-vectors.jsonl", import.meta.url), "utf8");
  for (const line of vectors.trim().split("\n")) {
    const v = JSON.parse(line) as { hex: string; decoded?: unknown };
    if (v.decoded) frames.push(fromHex(v.hex));
  }
  return frames.map((bytes) => ({ bytes, tlvs: tlvsOf(bytes) }));
}

const CORPUS = buildCorpus();

// ---- the oracle ------------------------------------------------------------------------------------------------

const parser = new FrameParser();
const strict = new FrameParser({ strict: true });
const rnd = prng(SEED);

interface Outcome {
  code: number;
  facts: string;
}

/** The parser's answer for a check at `offset`, with the failure facts relative to that offset. */
function outcome(p: FrameParser, bytes: Uint8Array, offset: number): Outcome {
  const code = p.check(bytes, offset);
  if (code === ErrorCode.Ok) return { code, facts: `tlvs=${p.tlvCount} size=${p.frameSize}` };
  return { code, facts: JSON.stringify(diagnose(p).toJSON()) };
}

class Findings {
  readonly problems: string[] = [];
  cases = 0;
  readonly codes = new Map<string, number>();

  report(kind: string, input: Uint8Array, problem: string): void {
    if (this.problems.length < 5) {
      this.problems.push(
        `${SEED_TEXT}, case ${this.cases} (${kind}): ${problem}; input ${hexOf(input.subarray(0, 200))}`,
      );
    }
  }

  /** Runs every check on `input` and returns its code. */
  examine(kind: string, input: Uint8Array): number {
    this.cases++;
    let code: number;
    try {
      code = parser.check(input);
    } catch (e) {
      this.report(kind, input, `check() threw ${e}`);
      return -1;
    }
    const name = ERROR_NAMES[code];
    this.codes.set(name, (this.codes.get(name) ?? 0) + 1);
    if (code !== ErrorCode.Ok) {
      if (!SECTION_8.has(name)) this.report(kind, input, `code ${code} (${name}) is not a §8 name`);
      const e = diagnose(parser);
      if (!(e instanceof ProtocolError) || e.code !== name) {
        this.report(kind, input, `diagnose gave ${e?.constructor?.name} ${e?.code} for ${name}`);
      }
      if (name === "ChecksumMismatch") {
        const expected = referenceTlvCount(input);
        if (e.facts.tlv_count !== expected) {
          this.report(kind, input, `ChecksumMismatch tlv_count ${e.facts.tlv_count}, the TLVs that parse: ${expected}`);
        }
        if ((e.facts.expected === "0x00000000") !== (e.likelyCause === "sender never calculated the checksum")) {
          this.report(kind, input, `checksum ${e.facts.expected} with likely cause "${e.likelyCause}"`);
        }
      }
      for (const [k, v] of Object.entries(e.facts)) {
        if (typeof v === "number" && !Number.isFinite(v)) this.report(kind, input, `fact ${k} is ${v}`);
      }
    } else {
      // a frame that checks reads back: values decode, or an id is refused with InstrumentIdError
      for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
        try {
          parser.readTlv();
        } catch (e) {
          if ((e as { name?: string }).name !== "InstrumentIdError") this.report(kind, input, `readTlv threw ${e}`);
        }
      }
    }
    const strictCode = strict.check(input);
    // strict stops at the first unknown type, which may come before the TLV the lenient parser fails on
    if (strictCode !== code && strictCode !== ErrorCode.UnknownTlvType) {
      this.report(kind, input, `strict parser gave ${strictCode}, lenient ${code}`);
    }
    try {
      frameToJson(input);
      if (code !== ErrorCode.Ok) this.report(kind, input, `frameToJson accepted a frame that fails with ${name}`);
    } catch (e) {
      if (!(e instanceof ProtocolError)) this.report(kind, input, `frameToJson threw ${e}`);
      else if (code !== ErrorCode.Ok && e.code !== name)
        this.report(kind, input, `frameToJson: ${e.code}, not ${name}`);
      else if (code === ErrorCode.Ok && e.code !== "InvalidInstrumentId")
        this.report(kind, input, `frameToJson: ${e.code}`);
    }
    this.checkBounds(kind, input);
    return code;
  }

  /**
   * No read past the end: the same bytes at the end of a larger buffer, and as a subarray with random bytes on both
   * sides, give the same code and the same diagnostic facts as in an exact-size buffer.
   */
  checkBounds(kind: string, input: Uint8Array): void {
    const exact = outcome(parser, input, 0);
    const pre = 1 + rnd.below(40);
    const post = 1 + rnd.below(40);
    const big = rnd.bytes(pre + input.length + post);
    // a continuation that would make a cut frame look longer is the dangerous case: use the input itself sometimes
    if (rnd.below(2) === 0) big.set(input.subarray(0, Math.min(post, input.length)), pre + input.length);
    big.set(input, pre);
    const atEnd = outcome(parser, big.subarray(0, pre + input.length), pre);
    const sub = outcome(parser, big.subarray(pre, pre + input.length), 0);
    if (atEnd.code !== exact.code || atEnd.facts !== exact.facts) {
      this.report(kind, input, `at the end of a larger buffer: ${atEnd.facts}, exact: ${exact.facts}`);
    }
    if (sub.code !== exact.code || sub.facts !== exact.facts) {
      this.report(kind, input, `as a subarray: ${sub.facts}, exact: ${exact.facts}`);
    }
  }
}

/**
 * PROTOCOL.md §8 `tlv_count` written independently of the codec: TLVs that parse structurally (a complete header,
 * a type of 1-254, a zero reserved byte in the extended form, a value inside the payload), up to the first that
 * does not.
 */
function referenceTlvCount(frame: Uint8Array): number {
  const end = Math.min(frame.length, 32 + new DataView(frame.buffer, frame.byteOffset).getUint32(24, true));
  let n = 0;
  for (let p = 32; p < end; n++) {
    const extended = frame[p] === 255;
    const header = extended ? 5 : 2;
    if (p + header > end) break;
    const type = extended ? frame[p + 2] : frame[p];
    if (type === 0 || type === 255 || (extended && frame[p + 1] !== 0)) break;
    const length = extended ? frame[p + 3] | (frame[p + 4] << 8) : frame[p + 1];
    if (p + header + length > end) break;
    p += header + length;
  }
  return n;
}

// ---- generators ------------------------------------------------------------------------------------------------

function reseal(frame: Uint8Array): Uint8Array {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const payloadSize = dv.getUint32(24, true);
  if (frame.length >= 32 && 32 + payloadSize <= frame.length)
    dv.setUint32(28, frameChecksum(frame, 0, payloadSize), true);
  return frame;
}

function pickFrame(): CorpusFrame {
  return CORPUS[rnd.below(CORPUS.length)];
}

/** Random bytes of a random length, biased to short inputs and to lengths around the header size. */
function randomBytes(): Uint8Array {
  const r = rnd.below(10);
  const length = r < 3 ? rnd.below(32) : r < 6 ? 28 + rnd.below(10) : rnd.below(600);
  const bytes = rnd.bytes(length);
  if (r === 9 && length >= 6) bytes.set([0xef, 0xbe, 0xad, 0xde, 1 + rnd.below(4), 1]); // plausible header start
  if (r === 8 && length >= 4) bytes.set([0xde, 0xad, 0xbe, 0xef]); // big-endian magic
  return bytes;
}

const LAYOUT_TYPES = Object.values(LAYOUTS).map((l) => l.type as number);
/** Types a frame of each domain may carry (its own range, control types, unknown experimental ones). */
const OWN_TYPES: Record<number, number[]> = Object.fromEntries(
  [1, 2, 3, 4].map((d) => [d, [...LAYOUT_TYPES.filter((t) => [0, d].includes(domainOfType(t))), 200, 254]]),
);

/** A frame with a valid header and checksum around random TLV-shaped bytes: reaches the TLV walk every time. */
function randomFrame(): Uint8Array {
  const parts: number[] = [];
  const count = rnd.below(5);
  const domain = rnd.below(16) === 0 ? rnd.below(256) : 1 + rnd.below(4);
  const own = OWN_TYPES[domain] ?? [100];
  for (let i = 0; i < count; i++) {
    const r = rnd.below(10);
    const type =
      r < 5
        ? own[rnd.below(own.length)]
        : r === 9
          ? 0
          : r === 8
            ? rnd.below(256)
            : LAYOUT_TYPES[rnd.below(LAYOUT_TYPES.length)];
    const layout = LAYOUT_BY_TYPE[type];
    const length = layout && r < 8 ? layout.size + (r === 7 ? rnd.below(3) * 24 : 0) : rnd.below(300);
    if (length > 255 || r === 5) parts.push(255, rnd.below(8) === 0 ? 1 : 0, type, length & 0xff, length >> 8);
    else parts.push(type, length);
    for (let j = 0; j < length; j++) parts.push(rnd.below(4) === 0 ? 0 : rnd.u32() & 0xff);
  }
  if (rnd.below(8) === 0) parts.push(rnd.u32() & 0xff); // a stray byte
  const frame = new Uint8Array(32 + parts.length);
  frame.set(parts, 32);
  const dv = new DataView(frame.buffer);
  dv.setUint32(0, 0xdeadbeef, true);
  frame[4] = domain;
  frame[5] = rnd.below(32) === 0 ? 2 : 1;
  frame[6] = rnd.below(256);
  dv.setUint32(24, parts.length, true);
  reseal(frame);
  if (rnd.below(8) === 0) frame[28] ^= 1 << rnd.below(8); // ChecksumMismatch over random TLVs: tlv_count, cause
  return frame;
}

// ---- the suite -------------------------------------------------------------------------------------------------

describe(`fuzzing the parser, diagnostics and JSON decoder (${SEED_TEXT})`, () => {
  test("the corpus covers every TLV type, both forms, and checks Ok", () => {
    const types = new Set(CORPUS.flatMap((f) => f.tlvs.map((t) => t.type)));
    for (const layout of Object.values(LAYOUTS)) expect(types.has(layout.type)).toBe(true);
    expect(CORPUS.some((f) => f.tlvs.some((t) => t.extended))).toBe(true);
    expect(CORPUS.length).toBeGreaterThan(140);
  });

  test(`100,000 random byte strings and random-payload frames give Ok or a typed §8 error (${SEED_TEXT})`, () => {
    const f = new Findings();
    for (let i = 0; i < 60_000; i++) f.examine("random bytes", randomBytes());
    for (let i = 0; i < 40_000; i++) f.examine("random frame", randomFrame());
    expect(f.problems).toEqual([]);
    expect(f.cases).toBe(100_000);
    // the generators reach deep into the checks, not only BadMagic
    for (const name of ["BadMagic", "Truncated", "TlvTruncated", "InvalidTlvType", "TlvSizeMismatch", "Ok"]) {
      expect(f.codes.get(name) ?? 0).toBeGreaterThan(100);
    }
    for (const name of ["BadExtendedTlv", "DomainMismatch", "UnknownDomain", "UnsupportedVersion", "PayloadTooLarge"]) {
      expect(f.codes.get(name) ?? 0).toBeGreaterThan(10);
    }
  });

  test(`bit flips, with and without a re-sealed checksum, give a typed error (${SEED_TEXT})`, () => {
    const f = new Findings();
    for (let i = 0; i < 40_000; i++) {
      const original = pickFrame().bytes;
      const frame = original.slice();
      const flips = 1 + rnd.below(3);
      for (let k = 0; k < flips; k++) frame[rnd.below(frame.length)] ^= 1 << rnd.below(8);
      if (hexOf(frame) === hexOf(original)) continue; // two flips of the same bit cancel out
      const resealed = i % 2 === 1;
      if (resealed) reseal(frame);
      const code = f.examine(resealed ? "bit flip, resealed" : "bit flip", frame);
      // CRC-32 detects every flip of up to 3 bits in frames this size: unsealed flips never pass
      if (!resealed && code === ErrorCode.Ok) f.report("bit flip", frame, "a corrupted frame passed its checksum");
    }
    expect(f.problems).toEqual([]);
  });

  test(`truncation at every length is Truncated, never a crash (${SEED_TEXT})`, () => {
    const f = new Findings();
    for (const { bytes } of CORPUS) {
      for (let cut = 0; cut < bytes.length; cut++) {
        const code = f.examine("truncation", bytes.subarray(0, cut));
        if (code !== ErrorCode.Truncated) f.report("truncation", bytes.subarray(0, cut), `code ${ERROR_NAMES[code]}`);
      }
    }
    expect(f.problems).toEqual([]);
    expect(f.cases).toBeGreaterThan(20_000);
  });

  test(`wrong payload_size, wrong TLV lengths and list counts give a typed error (${SEED_TEXT})`, () => {
    const f = new Findings();
    for (let i = 0; i < 25_000; i++) {
      const { bytes, tlvs } = pickFrame();
      const frame = bytes.slice();
      const dv = new DataView(frame.buffer);
      const real = frame.length - 32;
      const r = rnd.below(4);
      if (r === 0) {
        // payload_size larger than the bytes: Truncated below the limit, PayloadTooLarge above
        const size = [real + 1 + rnd.below(100), 1_048_544, 1_048_545, 0xffffffff, rnd.u32()][rnd.below(5)];
        dv.setUint32(24, size, true);
        const code = f.examine("payload_size too large", frame);
        const expected = size > 1_048_544 ? ErrorCode.PayloadTooLarge : ErrorCode.Truncated;
        if (code !== expected) f.report("payload_size too large", frame, `code ${ERROR_NAMES[code]}`);
      } else if (r === 1 && real > 0) {
        // payload_size smaller, checksum re-sealed over the shorter frame: the TLV walk meets the cut
        dv.setUint32(24, rnd.below(real), true);
        f.examine("payload_size too small, resealed", reseal(frame));
      } else if (tlvs.length > 0) {
        const tlv = tlvs[rnd.below(tlvs.length)];
        if (tlv.extended)
          dv.setUint16(
            tlv.at + 3,
            rnd.below(4) === 0 ? rnd.below(0x10000) : dv.getUint16(tlv.at + 3, true) + rnd.below(5) - 2,
            true,
          );
        else frame[tlv.at + 1] = rnd.below(4) === 0 ? rnd.below(256) : (frame[tlv.at + 1] + rnd.below(5) - 2) & 0xff;
        if (r === 3 && LAYOUT_BY_TYPE[tlv.type]?.lists) {
          // a list count instead of the length
          const count = tlv.at + (tlv.extended ? 5 : 2) + (tlv.type === 6 ? 56 : 48);
          frame.set(bytes.subarray(tlv.at, tlv.at + 5), tlv.at);
          frame[count] = rnd.below(256);
        }
        f.examine("TLV length or count, resealed", reseal(frame));
      }
    }
    expect(f.problems).toEqual([]);
  });

  test(`exact errors for reserved byte, type 0, domain and version changes, resealed (${SEED_TEXT})`, () => {
    const f = new Findings();
    const expectCode = (kind: string, frame: Uint8Array, expected: number) => {
      const code = f.examine(kind, reseal(frame));
      if (code !== expected) f.report(kind, frame, `code ${ERROR_NAMES[code]}, expected ${ERROR_NAMES[expected]}`);
    };
    for (const { bytes, tlvs } of CORPUS) {
      for (const tlv of tlvs) {
        for (let rep = 0; rep < 8; rep++) {
          const frame = bytes.slice();
          if (tlv.extended) {
            frame[tlv.at + 1] = 1 + rnd.below(255);
            expectCode("extended reserved byte", frame, ErrorCode.BadExtendedTlv);
            const inner = bytes.slice();
            inner[tlv.at + 2] = rep % 2 === 0 ? 0 : 255;
            expectCode("extended inner type 0 or 255", inner, ErrorCode.InvalidTlvType);
          } else {
            frame[tlv.at] = 0;
            expectCode("type 0", frame, ErrorCode.InvalidTlvType);
          }
        }
      }
      const ranged = tlvs.some((t) => domainOfType(t.type) !== 0);
      for (let domain = 0; domain < 256; domain += 1 + rnd.below(8)) {
        if (domain === bytes[4]) continue;
        const frame = bytes.slice();
        frame[4] = domain;
        const expected =
          domain < 1 || domain > 4 ? ErrorCode.UnknownDomain : ranged ? ErrorCode.DomainMismatch : ErrorCode.Ok;
        expectCode("domain change", frame, expected);
      }
      for (const version of [0, 2, 255]) {
        const frame = bytes.slice();
        frame[5] = version;
        expectCode("version change", frame, ErrorCode.UnsupportedVersion);
      }
    }
    expect(f.problems).toEqual([]);
    expect(f.cases).toBeGreaterThan(4_000);
  });

  test("ChecksumMismatch tlv_count stops at an extended TLV naming type 255, like the parser", () => {
    const frame = new FrameBuilder({ domain: 4, source: 1 })
      .begin(1n)
      .add("Heartbeat", { sentNs: 1n, status: 0 })
      .add("Heartbeat", { sentNs: 2n, status: 0 }, true)
      .finish()
      .slice();
    frame[32 + 18 + 2] = 255; // inner type of the extended TLV
    expect(new FrameParser().checkStructure(frame)).toBe(ErrorCode.InvalidTlvType);
    frame[28] ^= 1;
    const p = new FrameParser();
    expect(p.check(frame)).toBe(ErrorCode.ChecksumMismatch);
    const e = diagnose(p);
    expect(e.facts.tlv_count).toBe(1);
    expect(e.likelyCause).toBe("frame truncated or its size field corrupted");
  });

  test(`corrupted InstrumentId bytes in checked frames: frameToJson throws only InvalidInstrumentId (${SEED_TEXT})`, () => {
    const f = new Findings();
    const withIds = CORPUS.filter(({ tlvs }) =>
      tlvs.some((t) => LAYOUT_BY_TYPE[t.type]?.fields.some((x) => x[1] === "iid")),
    );
    let refused = 0;
    for (let i = 0; i < 6_000; i++) {
      const { bytes, tlvs } = withIds[rnd.below(withIds.length)];
      const tlv = tlvs.find((t) => LAYOUT_BY_TYPE[t.type]?.fields.some((x) => x[1] === "iid"))!;
      const field = LAYOUT_BY_TYPE[tlv.type]!.fields.find((x) => x[1] === "iid")!;
      const idAt = tlv.at + (tlv.extended ? 5 : 2) + field[2];
      const frame = bytes.slice();
      frame[idAt + rnd.below(32)] = rnd.below(256);
      reseal(frame);
      if (f.examine("id byte, resealed", frame) !== ErrorCode.Ok)
        f.report("id byte", frame, "check() should not read ids");
      try {
        frameToJson(frame);
      } catch (e) {
        refused++;
        const facts = (e as ProtocolError).facts;
        const offset = Number(facts.offset);
        if (offset < idAt || offset >= idAt + 32)
          f.report("id byte", frame, `offset ${offset} outside the id at ${idAt}`);
        // the id at that offset is the one refused
        expect(() => InstrumentId.fromBytes(frame, idAt)).toThrow();
      }
    }
    expect(f.problems).toEqual([]);
    expect(refused).toBeGreaterThan(1_000);
  });
});
