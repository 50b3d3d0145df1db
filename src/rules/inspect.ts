import { DEFAULT_LIMITS, type Limits } from "../core/limits.ts";
import { domainOfType, LAYOUT_BY_TYPE } from "../data/tlv-layouts.ts";
import { crc32, frameChecksum } from "./crc32.ts";
import { diagnose, hex32 } from "./diagnose.ts";
import { ErrorCode } from "./error-codes.ts";
import { HEADER_SIZE, MAGIC, MAGIC_SWAPPED, MAX_FRAME_SIZE, PROTOCOL_VERSION } from "./header.ts";
import { FrameParser } from "./parser.ts";
import { checkTlvValue, TlvCheck, tlvCheckFacts } from "./tlv-codec.ts";

/**
 * Structure and checksum analysis of one frame, made to explain broken frames: it reads as far as the bytes allow
 * and says, per header field and per TLV, which bytes it looked at, what it found and what was expected. Used by
 * `ap inspect`; pure (no I/O).
 */
export interface InspectField {
  field: string;
  offset: number;
  size: number;
  hex: string;
  value: string;
  ok: boolean;
  note?: string;
}

export interface InspectTlv {
  offset: number;
  form: "standard" | "extended";
  type: number;
  name: string;
  length: number;
  ok: boolean;
  note?: string;
}

export interface InspectReport {
  offset: number;
  available: number;
  /** Whole frame size the header declares (32 + payload_size), when the header could be read. */
  declaredSize?: number;
  valid: boolean;
  /** The first failed check, as `ap decode` would report it. */
  error?: { code: string; line: string; facts: Record<string, unknown> };
  header: InspectField[];
  checksum?: {
    stored: string;
    calculated: string;
    ok: boolean;
    /** CRCs of the usual mistakes, to see which one the sender made. */
    variants: { name: string; crc: string; matches: boolean }[];
    /** Over how many payload bytes the CRC was computed (less than declared when the frame is cut). */
    hashedPayload: number;
  };
  tlvs: InspectTlv[];
  /** Bytes after the TLVs that do not form a TLV, or payload bytes missing. */
  trailing?: string;
}

export function inspectFrame(bytes: Uint8Array, offset = 0, limits: Limits = DEFAULT_LIMITS): InspectReport {
  const available = bytes.length - offset;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const report: InspectReport = { offset, available, valid: false, header: [], tlvs: [] };
  const parser = new FrameParser({ limits });
  const code = parser.check(bytes, offset);
  report.valid = code === ErrorCode.Ok;
  if (!report.valid) {
    const e = diagnose(parser, limits);
    report.error = { code: e.code, line: e.toLine(), facts: e.toJSON().facts as Record<string, unknown> };
  }
  const field = (name: string, at: number, size: number, value: string, ok: boolean, note?: string) => {
    if (at + size > available) {
      report.header.push({
        field: name,
        offset: at,
        size,
        hex: hex(bytes, offset + at, Math.max(0, available - at)),
        value: "(missing)",
        ok: false,
        note: "bytes missing",
      });
      return;
    }
    report.header.push({
      field: name,
      offset: at,
      size,
      hex: hex(bytes, offset + at, size),
      value,
      ok,
      ...(note ? { note } : {}),
    });
  };
  const u32 = (at: number) => (at + 4 <= available ? dv.getUint32(offset + at, true) : 0);
  const magic = u32(0);
  field(
    "magic",
    0,
    4,
    `0x${hex32(magic)}`,
    magic === MAGIC,
    magic === MAGIC
      ? undefined
      : magic === MAGIC_SWAPPED
        ? "byte order reversed: writer used big-endian"
        : "expected ef be ad de",
  );
  const domain = bytes[offset + 4];
  field(
    "relay_domain",
    4,
    1,
    String(domain),
    domain >= 1 && domain <= 4,
    domain >= 1 && domain <= 4 ? undefined : "expected 1-4",
  );
  const version = bytes[offset + 5];
  field(
    "version",
    5,
    1,
    String(version),
    version === PROTOCOL_VERSION,
    version === PROTOCOL_VERSION ? undefined : "expected 1",
  );
  field("source", 6, 1, String(bytes[offset + 6]), true);
  field(
    "flags",
    7,
    1,
    String(bytes[offset + 7]),
    true,
    bytes[offset + 7] & 0xfc ? "unknown bits set (ignored on read)" : undefined,
  );
  field("sequence", 8, 8, available >= 16 ? dv.getBigUint64(offset + 8, true).toString() : "", true);
  field("timestamp_ns", 16, 8, available >= 24 ? dv.getBigUint64(offset + 16, true).toString() : "", true);
  const payloadSize = u32(24);
  const sizeOk = payloadSize <= MAX_FRAME_SIZE - HEADER_SIZE;
  field(
    "payload_size",
    24,
    4,
    String(payloadSize),
    sizeOk && HEADER_SIZE + payloadSize <= available,
    !sizeOk
      ? `over the limit of ${MAX_FRAME_SIZE - HEADER_SIZE}`
      : HEADER_SIZE + payloadSize > available
        ? `frame needs ${HEADER_SIZE + payloadSize} bytes, ${available} available`
        : HEADER_SIZE + payloadSize < available
          ? `${available - HEADER_SIZE - payloadSize} bytes follow the frame`
          : undefined,
  );
  const stored = u32(28);
  field("checksum", 28, 4, `0x${hex32(stored)}`, true);
  if (available < HEADER_SIZE) return report;
  report.declaredSize = HEADER_SIZE + payloadSize;

  // Checksum over what is there (all of the declared payload when present).
  const hashed = Math.max(0, Math.min(payloadSize, available - HEADER_SIZE));
  const calculated = frameChecksum(bytes, offset, hashed);
  const head = crc32(bytes, offset, offset + 28);
  const withField = crc32(
    bytes,
    offset + HEADER_SIZE,
    offset + HEADER_SIZE + hashed,
    crc32(new Uint8Array(4), 0, 4, head),
  );
  const payloadOnly = crc32(bytes, offset + HEADER_SIZE, offset + HEADER_SIZE + hashed);
  const headerAll = crc32(
    bytes,
    offset + HEADER_SIZE,
    offset + HEADER_SIZE + hashed,
    crc32(bytes, offset, offset + 32),
  );
  report.checksum = {
    stored: `0x${hex32(stored)}`,
    calculated: `0x${hex32(calculated)}`,
    ok: stored === calculated && hashed === payloadSize,
    hashedPayload: hashed,
    variants: [
      { name: "header 0..27 + payload (correct)", crc: `0x${hex32(calculated)}`, matches: calculated === stored },
      {
        name: "32 header bytes, checksum zeroed, + payload",
        crc: `0x${hex32(withField)}`,
        matches: withField === stored,
      },
      { name: "32 header bytes as sent + payload", crc: `0x${hex32(headerAll)}`, matches: headerAll === stored },
      { name: "payload only", crc: `0x${hex32(payloadOnly)}`, matches: payloadOnly === stored },
      { name: "never calculated (0)", crc: "0x00000000", matches: stored === 0 },
    ],
  };

  // TLV walk over the bytes that are there, reporting each TLV and the first problem.
  let p = offset + HEADER_SIZE;
  const end = offset + HEADER_SIZE + hashed;
  while (p < end) {
    const at = p - offset;
    const ext = bytes[p] === 255;
    if (ext && end - p < 5) {
      report.trailing = `${end - p} bytes at offset ${at}: an extended TLV header needs 5`;
      break;
    }
    if (!ext && end - p < 2) {
      report.trailing = `1 byte at offset ${at}: a TLV header needs 2`;
      break;
    }
    const type = ext ? bytes[p + 2] : bytes[p];
    const length = ext ? bytes[p + 3] | (bytes[p + 4] << 8) : bytes[p + 1];
    const value = p + (ext ? 5 : 2);
    const layout = LAYOUT_BY_TYPE[type];
    const tlv: InspectTlv = {
      offset: at,
      form: ext ? "extended" : "standard",
      type,
      name: layout?.name ?? (type === 0 ? "invalid (0)" : "unknown"),
      length,
      ok: true,
    };
    const notes: string[] = [];
    if (ext && bytes[p + 1] !== 0) notes.push(`reserved byte is ${bytes[p + 1]}, must be 0`);
    if (type === 0) notes.push("type 0 is invalid");
    if (value + length > end) notes.push(`declares ${length} bytes, ${end - value} remain`);
    const d = domainOfType(type);
    if (d !== 0 && d !== domain) notes.push(`type belongs to domain ${d}, frame is domain ${domain}`);
    if (layout && value + length <= end) {
      const r = checkTlvValue(layout, dv, value, length, limits);
      if (r === TlvCheck.SizeMismatch) notes.push(`layout needs ${tlvCheckFacts.expected} bytes`);
      if (r === TlvCheck.TooMany)
        notes.push(`${tlvCheckFacts.count} entries, over ${tlvCheckFacts.variable}=${tlvCheckFacts.max}`);
    }
    if (notes.length) {
      tlv.ok = false;
      tlv.note = notes.join("; ");
    }
    report.tlvs.push(tlv);
    if (type === 0 || value + length > end) break;
    p = value + length;
  }
  if (hashed < payloadSize) report.trailing = `${payloadSize - hashed} payload bytes missing (frame cut)`;
  return report;
}

function hex(bytes: Uint8Array, at: number, n: number): string {
  let s = "";
  for (let i = 0; i < n && at + i < bytes.length; i++)
    s += (i ? " " : "") + bytes[at + i].toString(16).padStart(2, "0");
  return s;
}
