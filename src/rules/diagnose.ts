import { ProtocolError } from "../core/errors.ts";
import { DEFAULT_LIMITS, type Limits } from "../core/limits.ts";
import { crc32, frameChecksum } from "./crc32.ts";
import { ERROR_NAMES, ErrorCode } from "./error-codes.ts";
import { HEADER_SIZE, MAGIC, MAGIC_SWAPPED, MAX_FRAME_SIZE } from "./header.ts";
import { FrameParser } from "./parser.ts";

/**
 * Turns a failed check into a ProtocolError with the facts, a likely cause and a hint (PROTOCOL.md §8).
 * Runs only after a check has failed, so the analysis (extra CRCs, a second TLV walk) costs nothing on the happy
 * path. Offsets in the facts are relative to the start of the frame.
 */
export function diagnose(parser: FrameParser, limits: Limits = DEFAULT_LIMITS): ProtocolError {
  const code = parser.lastError;
  const buf = parser.bytes;
  const start = parser.frameOffset;
  const at = parser.failAt - start;
  const a = parser.failA;
  const b = parser.failB;
  const name = ERROR_NAMES[code] ?? `Error${code}`;
  const make = (message: string, facts: ProtocolError["facts"], likelyCause?: string, hint?: string) =>
    new ProtocolError({ code: name, message, facts, likelyCause, hint });
  switch (code) {
    case ErrorCode.Truncated:
      return make(
        `frame needs ${a} bytes, only ${b} available`,
        { needed: a, available: b, offset: at },
        "the stream was cut, or the input is incomplete",
        "feed the bytes through the stream framer, which waits for the rest of a frame",
      );
    case ErrorCode.BadMagic: {
      const swapped = a === MAGIC_SWAPPED;
      return make(
        `magic is 0x${hex32(a)}, expected 0x${hex32(MAGIC)}`,
        { found: `0x${hex32(a)}`, expected: `0x${hex32(MAGIC)}`, offset: at },
        swapped ? "writer used big-endian byte order" : "not a Protocol V2 stream or misaligned",
        swapped
          ? "every integer on the wire is little-endian: the magic must be the bytes ef be ad de"
          : "check that the input starts at a frame boundary; a stream reader resynchronises on the next magic",
      );
    }
    case ErrorCode.UnsupportedVersion:
      return make(
        `protocol version ${a} is not supported`,
        { found: a, supported: 1, offset: at },
        undefined,
        "this build speaks version 1",
      );
    case ErrorCode.UnknownDomain:
      return make(
        `relay domain ${a} is not 1-4`,
        { found: a, offset: at },
        undefined,
        "1 market data, 2 signal, 3 execution, 4 system",
      );
    case ErrorCode.PayloadTooLarge:
      return make(
        `payload_size ${a} is over the limit of ${b}`,
        { payload_size: a, max: b, offset: at },
        "corrupted size field, or a sender that does not split large data",
        `whole frames are at most ${MAX_FRAME_SIZE} bytes`,
      );
    case ErrorCode.ChecksumMismatch:
      return checksumError(buf, start, limits);
    case ErrorCode.TlvTruncated:
      return make(
        `TLV type ${a} at offset ${at} declares ${parser.failC} bytes, only ${b} remain in the payload`,
        { offset: at, tlv_type: a, declared_length: parser.failC, available: b },
        "payload_size or a TLV length field is wrong",
        "TLVs must fill the payload exactly",
      );
    case ErrorCode.InvalidTlvType:
      return make(
        `TLV type ${a} at offset ${at}`,
        { offset: at, tlv_type: a },
        a === 0 ? "stray bytes or padding after the last TLV" : "an extended TLV that names the marker 255 as its type",
        "TLV types are 1-254: 0 is invalid and 255 marks the extended form",
      );
    case ErrorCode.BadExtendedTlv:
      return make(
        `extended TLV at offset ${at} has reserved byte ${a}, must be 0`,
        { offset: at, reserved_byte: a },
        undefined,
        "extended form: 255, 0, type, length u16",
      );
    case ErrorCode.TlvSizeMismatch:
      return make(
        `TLV type ${a} is ${parser.failC} bytes, its layout needs ${b}`,
        { offset: at, tlv_type: a, expected: b, actual: parser.failC },
        "sender and receiver disagree on the layout, or list counts disagree with the length",
        "sizes are exact: see the layout in PROTOCOL.md §6",
      );
    case ErrorCode.DomainMismatch:
      return make(
        `TLV type ${a} belongs to domain ${b}, the frame is domain ${buf[start + 4]}`,
        { offset: at, tlv_type: a, tlv_domain: b, frame_domain: buf[start + 4] },
        "a TLV sent to the wrong relay",
        "each relay carries only its own type range (PROTOCOL.md §4); control types 100-119 go anywhere",
      );
    case ErrorCode.TooManyLevels:
    case ErrorCode.TooManyTokens: {
      const variable = code === ErrorCode.TooManyTokens ? "ALPHAPULSE_MAX_POOL_TOKENS" : "ALPHAPULSE_MAX_ORDER_LEVELS";
      return make(
        `${a} entries, more than ${variable}=${b}`,
        { offset: at, count: a, max: b, variable },
        "the sender runs with a larger limit",
        `raise ${variable} here or lower it at the sender`,
      );
    }
    case ErrorCode.UnknownTlvType:
      return make(
        `TLV type ${a} has no layout`,
        { offset: at, tlv_type: a },
        "a newer sender",
        "a non-strict reader keeps it as raw bytes",
      );
    default:
      return make(`error ${code}`, { offset: at });
  }
}

/** PROTOCOL.md §8: the likely cause of a checksum mismatch, first rule that holds. */
function checksumError(buf: Uint8Array, start: number, limits: Limits): ProtocolError {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const payloadSize = dv.getUint32(start + 24, true);
  const expected = dv.getUint32(start + 28, true);
  const calculated = frameChecksum(buf, start, payloadSize);
  const structure = new FrameParser({ limits });
  const parses = structure.checkStructure(buf, start) === ErrorCode.Ok;
  const tlvCount = countTlvs(buf, start + HEADER_SIZE, start + HEADER_SIZE + payloadSize);
  let likelyCause: string;
  if (expected === 0) likelyCause = "sender never calculated the checksum";
  else if (!parses) likelyCause = "frame truncated or its size field corrupted";
  else if (crcWithZeroedField(buf, start, payloadSize) === expected) likelyCause = "sender hashed the checksum field";
  else if (crc32(buf, start + HEADER_SIZE, start + HEADER_SIZE + payloadSize) === expected)
    likelyCause = "sender hashed only the payload";
  else likelyCause = "data corrupted in transit";
  return new ProtocolError({
    code: "ChecksumMismatch",
    message: `checksum 0x${hex32(expected)} in the header, 0x${hex32(calculated)} calculated`,
    facts: {
      expected: `0x${hex32(expected)}`,
      calculated: `0x${hex32(calculated)}`,
      message_size: HEADER_SIZE + payloadSize,
      tlv_count: tlvCount,
      likely_cause: likelyCause,
    },
    likelyCause,
    hint:
      expected === 0
        ? "the sender must compute CRC-32 over header bytes 0..27 and the payload"
        : "drop the frame; a stream reader resynchronises on the next magic",
  });
}

function crcWithZeroedField(buf: Uint8Array, start: number, payloadSize: number): number {
  const head = crc32(buf, start, start + 28);
  const zeroed = crc32(new Uint8Array(4), 0, 4, head);
  return crc32(buf, start + HEADER_SIZE, start + HEADER_SIZE + payloadSize, zeroed);
}

/** TLVs that parse structurally (type, length within the payload), counted until the first that does not. */
export function countTlvs(buf: Uint8Array, p: number, end: number): number {
  let n = 0;
  end = Math.min(end, buf.length);
  while (p < end) {
    if (buf[p] === 255) {
      // inner type 0 or 255 does not parse either (the parser's InvalidTlvType, protocol-decisions #6)
      if (end - p < 5 || buf[p + 1] !== 0 || buf[p + 2] === 0 || buf[p + 2] === 255) break;
      p += 5 + (buf[p + 3] | (buf[p + 4] << 8));
    } else {
      if (end - p < 2 || buf[p] === 0) break;
      p += 2 + buf[p + 1];
    }
    if (p > end) break;
    n++;
  }
  return n;
}

export function hex32(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
