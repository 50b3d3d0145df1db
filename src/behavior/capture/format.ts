import { crc32 } from "../../rules/crc32.ts";
import { MAX_FRAME_SIZE } from "../../rules/header.ts";
import { CaptureError } from "./errors.ts";

/**
 * The capture file format (docs/capture-format.md has the byte-by-byte description):
 *
 *   file header (64 bytes) · record · record · ...
 *   record = marker u32 · frame_length u32 · recv_ns u64 · header_crc u32 · frame (frame_length bytes)
 *
 * Every integer little-endian, like Protocol V2.
 */

/** "APCAP\r\n\x1a": ASCII so `head -c 8` names the file, CR LF and ^Z catch text-mode and line-ending mangling. */
export const CAPTURE_MAGIC = Uint8Array.of(0x41, 0x50, 0x43, 0x41, 0x50, 0x0d, 0x0a, 0x1a);
export const CAPTURE_VERSION = 1;
export const CAPTURE_HEADER_SIZE = 64;
/** Bytes of the relay name field (ASCII, NUL-padded). */
export const RELAY_NAME_SIZE = 32;

/**
 * Marker opening every record (bytes `c3 a9 5a 3c`): what the reader scans for to resynchronise after damage. It is
 * neither the frame magic nor ASCII, and a candidate is accepted only if its header CRC and its frame's CRC hold.
 */
export const RECORD_MARKER = 0x3c5aa9c3;
export const RECORD_HEADER_SIZE = 20;
/** Smallest frame: a header with an empty payload. */
export const MIN_RECORD_FRAME = 32;
export const MAX_RECORD_FRAME = MAX_FRAME_SIZE;

export const CaptureHeaderOffset = {
  magic: 0,
  version: 8,
  headerSize: 10,
  domain: 12,
  flags: 13,
  createdNs: 16,
  relay: 24,
  headerCrc: 60,
} as const;

export interface CaptureHeader {
  version: number;
  /** Relay domain recorded (1 market data, 2 signal, 3 execution, 4 system); 0 when mixed or unknown. */
  domain: number;
  /** Name of the relay recorded (`market-data`), at most 32 ASCII bytes; "" when unknown. */
  relay: string;
  /** When the file was created, ns since the epoch. */
  createdNs: bigint;
}

export function encodeHeader(header: Omit<CaptureHeader, "version">): Uint8Array {
  const relay = new TextEncoder().encode(header.relay);
  if (relay.length > RELAY_NAME_SIZE || /[^\x20-\x7e]/.test(header.relay)) {
    throw new CaptureError({
      code: "InvalidRelayName",
      message: `relay name "${header.relay}" is not 0-${RELAY_NAME_SIZE} printable ASCII characters`,
      facts: { relay: header.relay },
    });
  }
  const out = new Uint8Array(CAPTURE_HEADER_SIZE);
  const dv = new DataView(out.buffer);
  out.set(CAPTURE_MAGIC, CaptureHeaderOffset.magic);
  dv.setUint16(CaptureHeaderOffset.version, CAPTURE_VERSION, true);
  dv.setUint16(CaptureHeaderOffset.headerSize, CAPTURE_HEADER_SIZE, true);
  out[CaptureHeaderOffset.domain] = header.domain;
  dv.setBigUint64(CaptureHeaderOffset.createdNs, header.createdNs, true);
  out.set(relay, CaptureHeaderOffset.relay);
  dv.setUint32(CaptureHeaderOffset.headerCrc, crc32(out, 0, CaptureHeaderOffset.headerCrc), true);
  return out;
}

/** Parses and checks the 64-byte file header; throws CaptureError with the facts when it is not one. */
export function decodeHeader(bytes: Uint8Array, path: string): CaptureHeader {
  if (bytes.length < CAPTURE_HEADER_SIZE) {
    throw new CaptureError({
      code: "CaptureHeaderTruncated",
      message: `${path} is ${bytes.length} bytes, shorter than the ${CAPTURE_HEADER_SIZE}-byte capture header`,
      facts: { path, size: bytes.length, needed: CAPTURE_HEADER_SIZE },
      likelyCause: "the recorder was killed before its first write, or this is not a capture file",
    });
  }
  for (let i = 0; i < CAPTURE_MAGIC.length; i++) {
    if (bytes[i] !== CAPTURE_MAGIC[i]) {
      throw new CaptureError({
        code: "BadCaptureMagic",
        message: `${path} is not an ap capture file`,
        facts: { path, found: hex(bytes.subarray(0, 8)), expected: hex(CAPTURE_MAGIC) },
        hint: "capture files are written by `ap record`; raw frame dumps are read by `ap decode`",
      });
    }
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, CAPTURE_HEADER_SIZE);
  const version = dv.getUint16(CaptureHeaderOffset.version, true);
  if (version !== CAPTURE_VERSION) {
    throw new CaptureError({
      code: "UnsupportedCaptureVersion",
      message: `${path} has capture format version ${version}`,
      facts: { path, found: version, supported: CAPTURE_VERSION },
      hint: "read it with the ap version that wrote it",
    });
  }
  const stored = dv.getUint32(CaptureHeaderOffset.headerCrc, true);
  const computed = crc32(bytes, 0, CaptureHeaderOffset.headerCrc);
  if (stored !== computed || dv.getUint16(CaptureHeaderOffset.headerSize, true) !== CAPTURE_HEADER_SIZE) {
    throw new CaptureError({
      code: "CaptureHeaderCorrupt",
      message: `${path}: the capture header fails its checksum`,
      facts: { path, expected: stored, calculated: computed },
      likelyCause: "the first 64 bytes of the file were damaged",
    });
  }
  const relayBytes = bytes.subarray(CaptureHeaderOffset.relay, CaptureHeaderOffset.relay + RELAY_NAME_SIZE);
  const nul = relayBytes.indexOf(0);
  return {
    version,
    domain: bytes[CaptureHeaderOffset.domain],
    relay: new TextDecoder().decode(nul < 0 ? relayBytes : relayBytes.subarray(0, nul)),
    createdNs: dv.getBigUint64(CaptureHeaderOffset.createdNs, true),
  };
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
}
