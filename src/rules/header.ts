/** PROTOCOL.md §2: the 32-byte header. Offsets and limits used by builder, parser, framer and diagnostics. */
export const MAGIC = 0xdeadbeef;
/** What a big-endian writer puts on the wire: bytes `de ad be ef`, read back little-endian. */
export const MAGIC_SWAPPED = 0xefbeadde;
export const PROTOCOL_VERSION = 1;
export const HEADER_SIZE = 32;
export const MAX_FRAME_SIZE = 1_048_576;
export const MAX_PAYLOAD_SIZE = MAX_FRAME_SIZE - HEADER_SIZE;

export const HeaderOffset = {
  magic: 0,
  domain: 4,
  version: 5,
  source: 6,
  flags: 7,
  sequence: 8,
  timestampNs: 16,
  payloadSize: 24,
  checksum: 28,
} as const;

/** Header flags bits. */
export const FrameFlags = { Replayed: 1, Snapshot: 2 } as const;

/** Standard TLV header is 2 bytes (type, length); extended is 5 (255, 0, type, length u16). */
export const TLV_HEADER = 2;
export const EXT_TLV_HEADER = 5;
export const EXTENDED_MARKER = 255;
