/**
 * PROTOCOL.md §8 error codes as small integers, so the hot path can return them without allocating.
 * `ERROR_NAMES[code]` is the stable name carried by the ProtocolError built from them (see diagnose.ts).
 */
export const ErrorCode = {
  Ok: 0,
  Truncated: 1,
  BadMagic: 2,
  UnsupportedVersion: 3,
  UnknownDomain: 4,
  PayloadTooLarge: 5,
  ChecksumMismatch: 6,
  TlvTruncated: 7,
  InvalidTlvType: 8,
  BadExtendedTlv: 9,
  TlvSizeMismatch: 10,
  DomainMismatch: 11,
  TooManyLevels: 12,
  TooManyTokens: 13,
  InvalidInstrumentId: 14,
  /** Strict mode only: a TLV type without a layout (PROTOCOL.md §3: a strict decoder reports it as unknown). */
  UnknownTlvType: 15,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const ERROR_NAMES: readonly string[] = Object.keys(ErrorCode);

/** Errors after which a stream reader must resynchronise on the next magic (the frame's extent is not trusted). */
export function isFramingError(code: number): boolean {
  return code >= ErrorCode.BadMagic && code <= ErrorCode.ChecksumMismatch;
}
