import { DEFAULT_LIMITS, type Limits } from "../core/limits.ts";
import { domainOfType, LAYOUT_BY_TYPE } from "../data/tlv-layouts.ts";
import { frameChecksum } from "./crc32.ts";
import { ErrorCode } from "./error-codes.ts";
import { EXT_TLV_HEADER, EXTENDED_MARKER, HEADER_SIZE, MAGIC, MAX_FRAME_SIZE, PROTOCOL_VERSION } from "./header.ts";
import { checkTlvValue, compiledCodec, TlvCheck, tlvCheckFacts } from "./tlv-codec.ts";

export interface FrameParserOptions {
  limits?: Limits;
  /** Largest whole frame accepted (header + payload); at most and by default 1,048,576. */
  maxFrameSize?: number;
  /** Refuse TLV types that have no layout (by default they are kept as raw bytes and forwarded). */
  strict?: boolean;
}

/**
 * Reads and validates frames in place: a cursor over the received bytes (one Uint8Array, one cached DataView).
 *
 *   const p = new FrameParser();
 *   if (p.check(bytes) !== ErrorCode.Ok) throw p.error();     // rich diagnostic built only on failure
 *   for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) if (p.tlvType === TlvType.Trade) use(p.readTlv());
 *
 * check() validates everything PROTOCOL.md asks of a frame - magic, version, domain, size limit, length, checksum,
 * then a walk over the TLVs (type 0, extended form, lengths, exact sizes, list counts against the runtime limits,
 * TLV ranges against the header's domain) - and returns a numeric ErrorCode without allocating or throwing.
 * InstrumentIds are validated when a value is read (readTlv/view getters), not by check().
 *
 * Header getters and TLV positions stay valid until the next check(). The parser never copies the frame: keep the
 * bytes alive while you read.
 */
/** Per type number: the domain its range belongs to (0: any), and its fixed value size (0: lists or no layout). */
const TYPE_DOMAIN = new Uint8Array(256);
const FIXED_SIZE = new Int32Array(256);
for (let t = 0; t < 256; t++) {
  TYPE_DOMAIN[t] = domainOfType(t);
  const layout = LAYOUT_BY_TYPE[t];
  FIXED_SIZE[t] = layout !== undefined && layout.lists === undefined ? layout.size : 0;
}

export class FrameParser {
  private readonly limits: Limits;
  private readonly maxFrameSize: number;
  private readonly strict: boolean;
  private buf: Uint8Array = new Uint8Array(0);
  private dv: DataView = new DataView(this.buf.buffer);
  /** Offset of the current frame's first byte in `bytes`. */
  frameOffset = 0;
  /** Number of TLVs in the frame (after a successful check). */
  tlvCount = 0;
  // current TLV (after firstTlv/nextTlv)
  tlvType = 0;
  /** Absolute offset of the current TLV's value in `bytes`. */
  tlvOffset = 0;
  tlvLength = 0;
  tlvExtended = false;
  private tlvNext = 0;
  private end = 0;
  // facts of the last failure, read by diagnose.ts
  /** @internal */ failAt = 0;
  /** @internal */ failA = 0;
  /** @internal */ failB = 0;
  /** @internal */ failC = 0;
  lastError: number = ErrorCode.Ok;

  constructor(options: FrameParserOptions = {}) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.maxFrameSize = Math.min(options.maxFrameSize ?? MAX_FRAME_SIZE, MAX_FRAME_SIZE);
    this.strict = options.strict ?? false;
  }

  /** The bytes the parser last checked. */
  get bytes(): Uint8Array {
    return this.buf;
  }

  /**
   * Checks the frame starting at `offset` (bytes after it may belong to the next frame). Returns ErrorCode.Ok or
   * the code of the first check that failed; error() then builds the diagnostic.
   */
  check(bytes: Uint8Array, offset = 0): number {
    if (bytes !== this.buf) {
      this.buf = bytes;
      this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.frameOffset = offset;
    this.tlvCount = 0;
    return (this.lastError = this.checkAt(bytes, this.dv, offset, true));
  }

  /** check() without the checksum comparison: used by diagnostics to ask "would the TLVs parse?". */
  checkStructure(bytes: Uint8Array, offset = 0): number {
    if (bytes !== this.buf) {
      this.buf = bytes;
      this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.frameOffset = offset;
    return (this.lastError = this.checkAt(bytes, this.dv, offset, false));
  }

  private checkAt(buf: Uint8Array, dv: DataView, o: number, verifyChecksum: boolean): number {
    const available = buf.length - o;
    if (available < HEADER_SIZE) return this.fail(ErrorCode.Truncated, o, HEADER_SIZE, available);
    const magic = dv.getUint32(o, true);
    if (magic !== MAGIC) return this.fail(ErrorCode.BadMagic, o, magic, 0);
    if (buf[o + 5] !== PROTOCOL_VERSION) return this.fail(ErrorCode.UnsupportedVersion, o + 5, buf[o + 5], 0);
    const domain = buf[o + 4];
    if (domain < 1 || domain > 4) return this.fail(ErrorCode.UnknownDomain, o + 4, domain, 0);
    const payloadSize = dv.getUint32(o + 24, true);
    if (payloadSize > this.maxFrameSize - HEADER_SIZE) {
      return this.fail(ErrorCode.PayloadTooLarge, o + 24, payloadSize, this.maxFrameSize - HEADER_SIZE);
    }
    const frameSize = HEADER_SIZE + payloadSize;
    if (available < frameSize) return this.fail(ErrorCode.Truncated, o, frameSize, available);
    if (verifyChecksum && frameChecksum(buf, o, payloadSize, dv) !== dv.getUint32(o + 28, true)) {
      return this.fail(ErrorCode.ChecksumMismatch, o + 28, 0, 0);
    }
    this.end = o + frameSize;
    return this.walkTlvs(buf, dv, o + HEADER_SIZE, this.end, domain);
  }

  /** Walks the payload once, checking each TLV's structure; counts them. */
  private walkTlvs(buf: Uint8Array, dv: DataView, p: number, end: number, domain: number): number {
    let count = 0;
    while (p < end) {
      let type = buf[p];
      let length: number;
      let value: number;
      if (type === EXTENDED_MARKER) {
        if (end - p < EXT_TLV_HEADER) return this.fail(ErrorCode.TlvTruncated, p, 255, end - p);
        if (buf[p + 1] !== 0) return this.fail(ErrorCode.BadExtendedTlv, p, buf[p + 1], 0);
        type = buf[p + 2];
        length = buf[p + 3] | (buf[p + 4] << 8);
        value = p + EXT_TLV_HEADER;
      } else {
        if (end - p < 2) return this.fail(ErrorCode.TlvTruncated, p, type, end - p);
        length = buf[p + 1];
        value = p + 2;
      }
      if (type === 0 || type === EXTENDED_MARKER) return this.fail(ErrorCode.InvalidTlvType, p, type, 0);
      if (value + length > end) return this.fail(ErrorCode.TlvTruncated, p, type, end - value, length);
      const tlvDomain = TYPE_DOMAIN[type];
      if (tlvDomain !== 0 && tlvDomain !== domain) return this.fail(ErrorCode.DomainMismatch, p, type, tlvDomain);
      const fixed = FIXED_SIZE[type];
      if (fixed > 0) {
        // Fixed-size layouts (all but OrderBook, BookDelta, PoolLiquidity): one compare, no call.
        if (length !== fixed) return this.fail(ErrorCode.TlvSizeMismatch, p, type, fixed, length);
        count++;
        p = value + length;
        continue;
      }
      const layout = LAYOUT_BY_TYPE[type];
      if (layout !== undefined) {
        const r = checkTlvValue(layout, dv, value, length, this.limits);
        if (r !== TlvCheck.Ok) {
          if (r === TlvCheck.SizeMismatch) {
            return this.fail(ErrorCode.TlvSizeMismatch, p, type, tlvCheckFacts.expected, tlvCheckFacts.actual);
          }
          const code = layout.lists?.[0].limit === "tokens" ? ErrorCode.TooManyTokens : ErrorCode.TooManyLevels;
          return this.fail(code, p, tlvCheckFacts.count, tlvCheckFacts.max);
        }
      } else if (this.strict) {
        return this.fail(ErrorCode.UnknownTlvType, p, type, 0);
      }
      count++;
      p = value + length;
    }
    this.tlvCount = count;
    return ErrorCode.Ok;
  }

  private fail(code: number, at: number, a: number, b: number, c = 0): number {
    this.failAt = at;
    this.failA = a;
    this.failB = b;
    this.failC = c;
    return code;
  }

  // ---- header fields of the checked frame -------------------------------------------------------------------

  get domain(): number {
    return this.buf[this.frameOffset + 4];
  }
  get version(): number {
    return this.buf[this.frameOffset + 5];
  }
  get source(): number {
    return this.buf[this.frameOffset + 6];
  }
  get flags(): number {
    return this.buf[this.frameOffset + 7];
  }
  /** Sequence as bigint (allocates); sequenceNumber avoids that for sequences below 2^53. */
  get sequence(): bigint {
    return this.dv.getBigUint64(this.frameOffset + 8, true);
  }
  get sequenceNumber(): number {
    return this.dv.getUint32(this.frameOffset + 8, true) + this.dv.getUint32(this.frameOffset + 12, true) * 4294967296;
  }
  get timestampNs(): bigint {
    return this.dv.getBigUint64(this.frameOffset + 16, true);
  }
  get payloadSize(): number {
    return this.dv.getUint32(this.frameOffset + 24, true);
  }
  get checksum(): number {
    return this.dv.getUint32(this.frameOffset + 28, true);
  }
  /** Whole frame size: header + payload. */
  get frameSize(): number {
    return HEADER_SIZE + this.payloadSize;
  }
  /** A view of the checked frame's bytes (allocates a subarray). */
  frame(): Uint8Array {
    return this.buf.subarray(this.frameOffset, this.frameOffset + this.frameSize);
  }

  // ---- TLV iteration ----------------------------------------------------------------------------------------

  /** Moves to the first TLV; false if the payload is empty. Only after check() returned Ok. */
  firstTlv(): boolean {
    this.tlvNext = this.frameOffset + HEADER_SIZE;
    this.end = this.frameOffset + this.frameSize;
    return this.nextTlv();
  }

  /** Moves to the next TLV; false at the end of the payload. */
  nextTlv(): boolean {
    const p = this.tlvNext;
    if (p >= this.end) return false;
    const buf = this.buf;
    if (buf[p] === EXTENDED_MARKER) {
      this.tlvType = buf[p + 2];
      this.tlvLength = buf[p + 3] | (buf[p + 4] << 8);
      this.tlvOffset = p + EXT_TLV_HEADER;
      this.tlvExtended = true;
    } else {
      this.tlvType = buf[p];
      this.tlvLength = buf[p + 1];
      this.tlvOffset = p + 2;
      this.tlvExtended = false;
    }
    this.tlvNext = this.tlvOffset + this.tlvLength;
    return true;
  }

  /** Decodes the current TLV into a plain object (allocates); undefined for a type without layout. */
  readTlv(): Record<string, unknown> | undefined {
    const codec = compiledCodec(this.tlvType);
    return codec?.read(this.dv, this.buf, this.tlvOffset, this.tlvLength);
  }

  /** The current TLV's value bytes (a view, no copy). */
  tlvValue(): Uint8Array {
    return this.buf.subarray(this.tlvOffset, this.tlvOffset + this.tlvLength);
  }

  /** The DataView over `bytes`, for lazy field getters (see tlv-view.ts). */
  get view(): DataView {
    return this.dv;
  }
}
