import { EncodeError } from "../../../core/errors.ts";
import { CLOCK_ORIGIN_HI, CLOCK_ORIGIN_LO } from "../../../core/time.ts";
import { domainOfType, type TlvName, type TlvValues } from "../../../data/tlv-layouts.ts";
import { RelayDomain } from "../../../data/venues.ts";
import { FrameBuilder } from "../../../rules/builder.ts";
import { CRC32_TABLES, crc32, frameChecksum } from "../../../rules/crc32.ts";
import {
  EXT_TLV_HEADER,
  EXTENDED_MARKER,
  HEADER_SIZE,
  MAGIC,
  MAX_FRAME_SIZE,
  PROTOCOL_VERSION,
} from "../../../rules/header.ts";
import { BusClient } from "../../transport/bus-client.ts";
import { Role } from "../../transport/bus-control.ts";

/**
 * finishValue: payloads of this many bytes or more get their CRC from Bun.hash.crc32 continued from the header's
 * register (same value; measured: ~27 ns a call whatever the length, against ~22 ns for 40 bytes and ~42 ns for 90
 * bytes with the JS slicing-by-16).
 */
const NATIVE_CRC_MIN = 56;

/** rules/crc32.ts's slicing-by-16 tables, for finishValue's header bytes 8..27 hashed from the words it wrote. */
const HT = CRC32_TABLES;

/** CRC-32 continued from `crc` over five little-endian 32-bit words (crc32 over their 20 bytes). */
function crcWords5(crc: number, w0: number, w1: number, w2: number, w3: number, w4: number): number {
  const a = ~crc ^ w0;
  let c =
    HT[3840 + (a & 0xff)] ^
    HT[3584 + ((a >>> 8) & 0xff)] ^
    HT[3328 + ((a >>> 16) & 0xff)] ^
    HT[3072 + (a >>> 24)] ^
    HT[2816 + (w1 & 0xff)] ^
    HT[2560 + ((w1 >>> 8) & 0xff)] ^
    HT[2304 + ((w1 >>> 16) & 0xff)] ^
    HT[2048 + (w1 >>> 24)] ^
    HT[1792 + (w2 & 0xff)] ^
    HT[1536 + ((w2 >>> 8) & 0xff)] ^
    HT[1280 + ((w2 >>> 16) & 0xff)] ^
    HT[1024 + (w2 >>> 24)] ^
    HT[768 + (w3 & 0xff)] ^
    HT[512 + ((w3 >>> 8) & 0xff)] ^
    HT[256 + ((w3 >>> 16) & 0xff)] ^
    HT[w3 >>> 24];
  const e = c ^ w4;
  c = HT[768 + (e & 0xff)] ^ HT[512 + ((e >>> 8) & 0xff)] ^ HT[256 + ((e >>> 16) & 0xff)] ^ HT[e >>> 24];
  return ~c >>> 0;
}

export interface MarketPublisherOptions {
  /** SourceType of the collector. */
  source: number;
  /** Name shown in the relay's stats. */
  name: string;
  /** The market-data relay's socket; omitted when `sink` is given. */
  socketPath?: string;
  /** Receives each built frame instead of (or besides) the relay: tests and benchmarks. Copy it to keep it. */
  sink?: (frame: Uint8Array) => void;
  /** Header flags for every frame (bit 0: replayed data). */
  flags?: number;
}

/**
 * How a collector puts normalised data on the market-data relay: one FrameBuilder (domain 1, the collector's source
 * type, its own sequence) and one publishing BusClient. Counts frames per TLV name.
 */
export class MarketPublisher {
  readonly counts: Record<string, number> = {};
  framesOut = 0;
  private readonly builder: FrameBuilder;
  private readonly bus: BusClient | undefined;

  constructor(private readonly options: MarketPublisherOptions) {
    this.builder = new FrameBuilder({
      domain: RelayDomain.MarketData,
      source: options.source,
      flags: options.flags ?? 0,
    });
    this.bus = options.socketPath
      ? new BusClient({
          socketPath: options.socketPath,
          domain: RelayDomain.MarketData,
          source: options.source,
          role: Role.Publisher,
          name: options.name,
        })
      : undefined;
  }

  publish<K extends TlvName>(name: K, value: TlvValues[K], timestampNs?: bigint): void {
    const frame = this.seq(this.builder.begin(timestampNs).add(name, value).finish());
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  /**
   * Several TLVs of one type in one frame, counted as one frame: a value that must travel whole but exceeds one
   * TLV's limit (a Binance depth event with more changes than a BookDelta may hold).
   */
  publishAll<K extends TlvName>(name: K, values: readonly TlvValues[K][], timestampNs?: bigint): void {
    const builder = this.builder.begin(timestampNs);
    for (const value of values) builder.add(name, value);
    const frame = this.seq(builder.finish());
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  /**
   * Publishes one TLV given as its value bytes, for a collector that writes TLV values itself on its hot path (the
   * Polygon collector writes pool events straight from the log's hex). Counted under `name`, like publish().
   */
  publishRaw(type: number, name: string, value: Uint8Array, timestampNs?: bigint): void {
    const frame = this.seq(this.builder.begin(timestampNs).addRaw(type, value).finish());
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  /** Several raw TLVs of one type in one frame, counted as one frame (publishAll for publishRaw values). */
  publishRawAll(type: number, name: string, values: readonly Uint8Array[], timestampNs?: bigint): void {
    const builder = this.builder.begin(timestampNs);
    for (const value of values) builder.addRaw(type, value);
    const frame = this.seq(builder.finish());
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  // ---- one TLV whose value the collector writes in place --------------------------------------------------
  //
  //   const at = publisher.beginValue(TlvType.BookDelta, size); // write the value at publisher.valueBytes[at..]
  //   publisher.finishValue("BookDelta");
  //
  // The frame is the one publishRaw(type, name, value) makes (same header, TLV and sequence; timestamp from the
  // clock unless given; CRC), written in the publisher's own buffer: the value is not copied, and the header's
  // constant bytes are written once. Frames of the builder and of this path share one sequence: the builder's
  // frames are renumbered (sequence + CRC rewritten) once this path has been used. valueBytes / valueView may
  // change at beginValue (the buffer grows); bytes a caller wrote there stay until it overwrites them.

  /** The buffer beginValue's offsets point into, and a DataView over it. */
  valueBytes = new Uint8Array(4096);
  valueView = new DataView(this.valueBytes.buffer);
  /** Frames made by finishValue: the builder's sequences are offset by this many. */
  private own = 0;
  private ownEnd = 0;
  private ownOpen = false;
  private ownPrefixCrc = 0;
  private ownHeader = false;
  private ownCheckedType = 0;
  private ownViews: (Uint8Array | undefined)[] = new Array(64).fill(undefined);
  /** valueBytes[HEADER_SIZE, end) by end & 63, for the native payload CRC. */
  private ownPayloads: (Uint8Array | undefined)[] = new Array(64).fill(undefined);

  /**
   * Starts a frame of one TLV of `type` with a value of `size` bytes; returns where the value goes in valueBytes.
   * Throws EncodeError (as the builder does) for a type outside 1-254 or of another domain, or a value too large.
   */
  beginValue(type: number, size: number): number {
    if (type !== this.ownCheckedType) this.checkType(type);
    const ext = size > 255;
    const at = HEADER_SIZE + (ext ? EXT_TLV_HEADER : 2);
    const end = at + size;
    if (size > 0xffff || end > MAX_FRAME_SIZE) {
      throw new EncodeError({
        code: "TlvTooLarge",
        message: `TLV type ${type} value of ${size} bytes does not fit a frame`,
        facts: { tlv_type: type, size, max: Math.min(0xffff, MAX_FRAME_SIZE - at) },
      });
    }
    if (end > this.valueBytes.length) this.growValue(end);
    const b = this.valueBytes;
    if (!this.ownHeader) this.initOwnHeader();
    if (ext) {
      b[32] = EXTENDED_MARKER;
      b[33] = 0;
      b[34] = type;
      b[35] = size & 0xff;
      b[36] = size >>> 8;
    } else {
      b[32] = type;
      b[33] = size;
    }
    this.ownEnd = end;
    this.ownOpen = true;
    return at;
  }

  /** Completes and publishes the frame begun by beginValue (counted under `name`, like publishRaw). */
  finishValue(name: string, timestampNs?: bigint): void {
    if (!this.ownOpen) {
      throw new EncodeError({
        code: "NoFrame",
        message: "finishValue() without beginValue()",
        hint: "call beginValue() first",
      });
    }
    this.ownOpen = false;
    const dv = this.valueView;
    const end = this.ownEnd;
    const seq = this.builder.sequence + this.own++;
    const seqLo = seq >>> 0; // exact: seq is an integer below 2^53
    const seqHi = (seq - seqLo) / 4294967296;
    dv.setUint32(8, seqLo, true);
    dv.setUint32(12, seqHi, true);
    let tsLo: number;
    let tsHi: number;
    if (timestampNs === undefined) {
      // the builder's clock write (core/time.ts writeNowNs, inlined there too)
      const sum = CLOCK_ORIGIN_LO + Bun.nanoseconds();
      tsLo = sum >>> 0;
      tsHi = (CLOCK_ORIGIN_HI + (sum - tsLo) / 4294967296) >>> 0;
      dv.setUint32(16, tsLo, true);
      dv.setUint32(20, tsHi, true);
    } else {
      if (!(timestampNs >= 0n && timestampNs <= 0xffffffffffffffffn)) {
        throw new EncodeError({
          code: "InvalidField",
          message: `frame timestamp_ns ${timestampNs}n is not a u64`,
          facts: { field: "timestamp_ns", actual: String(timestampNs) },
        });
      }
      dv.setBigUint64(16, timestampNs, true);
      tsLo = dv.getUint32(16, true);
      tsHi = dv.getUint32(20, true);
    }
    dv.setUint32(24, end - HEADER_SIZE, true);
    const b = this.valueBytes;
    const head = crcWords5(this.ownPrefixCrc, seqLo, seqHi, tsLo, tsHi, end - HEADER_SIZE);
    const slot = end & 63;
    if (end - HEADER_SIZE >= NATIVE_CRC_MIN) {
      // the same CRC-32 continued from `head` (Bun.hash.crc32's seed), natively: cheaper past ~56 bytes
      let payload = this.ownPayloads[slot];
      if (payload === undefined || payload.length !== end - HEADER_SIZE) {
        payload = this.ownPayloads[slot] = b.subarray(HEADER_SIZE, end);
      }
      dv.setUint32(28, Bun.hash.crc32(payload, head) >>> 0, true);
    } else dv.setUint32(28, crc32(b, HEADER_SIZE, end, head, dv), true);
    let frame = this.ownViews[slot];
    if (frame === undefined || frame.length !== end) frame = this.ownViews[slot] = b.subarray(0, end);
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  /** A builder frame renumbered after the frames of finishValue (sequence and CRC rewritten); as is before any. */
  private seq(frame: Uint8Array): Uint8Array {
    if (this.own === 0) return frame;
    const dv = new DataView(frame.buffer, frame.byteOffset, frame.length);
    const seq = dv.getUint32(8, true) + dv.getUint32(12, true) * 4294967296 + this.own;
    const seqLo = seq >>> 0;
    dv.setUint32(8, seqLo, true);
    dv.setUint32(12, (seq - seqLo) / 4294967296, true);
    dv.setUint32(28, frameChecksum(frame, 0, frame.length - HEADER_SIZE, dv), true);
    return frame;
  }

  private checkType(type: number): void {
    if (!(type >= 1 && type <= 254) || type !== Math.floor(type)) {
      throw new EncodeError({
        code: "InvalidTlvType",
        message: `TLV type ${type} is not 1-254`,
        facts: { tlv_type: type },
      });
    }
    const d = domainOfType(type);
    if (d !== 0 && d !== RelayDomain.MarketData) {
      throw new EncodeError({
        code: "DomainMismatch",
        message: `TLV type ${type} belongs to domain ${d}, this publisher makes domain ${RelayDomain.MarketData} frames`,
        facts: { tlv_type: type, tlv_domain: d, frame_domain: RelayDomain.MarketData },
      });
    }
    this.ownCheckedType = type;
  }

  /** Header bytes 0..7 (constant) and the CRC state after them. */
  private initOwnHeader(): void {
    const b = this.valueBytes;
    this.valueView.setUint32(0, MAGIC, true);
    b[4] = RelayDomain.MarketData;
    b[5] = PROTOCOL_VERSION;
    b[6] = this.options.source;
    b[7] = (this.options.flags ?? 0) & 0x03;
    this.ownPrefixCrc = crc32(b, 0, 8);
    this.ownHeader = true;
  }

  private growValue(needed: number): void {
    let cap = this.valueBytes.length * 2;
    while (cap < needed) cap *= 2;
    const next = new Uint8Array(Math.min(cap, MAX_FRAME_SIZE));
    next.set(this.valueBytes);
    this.valueBytes = next;
    this.valueView = new DataView(next.buffer);
    this.ownViews.fill(undefined);
    this.ownPayloads.fill(undefined);
  }

  /** Resolves when queued frames have gone to the relay (or at once without a relay). */
  async flushed(): Promise<void> {
    if (this.bus) await this.bus.drained(0);
  }

  get relay(): BusClient | undefined {
    return this.bus;
  }

  close(): void {
    this.bus?.close();
  }
}
