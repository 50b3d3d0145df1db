import { closeSync, openSync, readSync } from "node:fs";
import { crc32, frameChecksum } from "../../rules/crc32.ts";
import { HEADER_SIZE, MAGIC } from "../../rules/header.ts";
import { CaptureError } from "./errors.ts";
import {
  CAPTURE_HEADER_SIZE,
  type CaptureHeader,
  decodeHeader,
  MAX_RECORD_FRAME,
  MIN_RECORD_FRAME,
  RECORD_HEADER_SIZE,
  RECORD_MARKER,
} from "./format.ts";

export interface CaptureRecord {
  /** When the recorder received the frame, ns since the epoch. */
  recvNs: bigint;
  /** The frame's bytes: a view into the reader's buffer, valid until the next record is read. */
  frame: Uint8Array;
  /** File offset of the record (its marker). */
  offset: number;
}

/** Why a run of bytes was skipped: the first check that failed at its start. */
export type DamageReason = "BadMarker" | "BadRecordHeaderCrc" | "BadRecordLength" | "BadFrame" | "BadFrameChecksum";

export interface CaptureDamage {
  /** File offset where the damaged bytes start. */
  offset: number;
  /** Bytes skipped, up to the next good record (or the torn tail / end of file). */
  length: number;
  reason: DamageReason;
}

export interface TornTail {
  /** File offset of the incomplete last record. */
  offset: number;
  /** Bytes of it present in the file. */
  length: number;
}

export interface CaptureReaderOptions {
  /** Called for each damaged run of bytes, before the next good record is yielded. */
  onDamage?: (damage: CaptureDamage) => void;
  /** Read size; the buffer also grows to hold the largest record. Default 4 MiB. */
  chunkBytes?: number;
}

// Outcome of looking at one position.
const Ok = 0;
const Torn = 1;
const Bad = 2;

const MARKER_B0 = RECORD_MARKER & 0xff;

/**
 * Reads a capture file as a stream of records: the file is read in chunks into one buffer (never whole), and each
 * record is yielded with its frame as a view of that buffer.
 *
 * A record is accepted when its marker, header CRC, length, frame magic, frame size and frame CRC all hold. At a
 * position where one fails, the reader scans forward byte by byte (marker first byte via indexOf) for the next
 * position where a whole record is accepted, and reports the bytes in between as one damage (offset, length,
 * reason). The length of a rejected record is never trusted. An incomplete record at the end of the file (the
 * writer was killed while writing it: the bytes present are a prefix of a record whose header, when complete, checks)
 * is the torn tail, reported in `tornTail` and not yielded.
 */
export class CaptureReader {
  readonly path: string;
  readonly header: CaptureHeader;
  /** Whole records yielded so far. */
  records = 0;
  /** Damaged runs found so far (each also passed to onDamage). */
  readonly damage: CaptureDamage[] = [];
  /** Set when the file ends inside a record. */
  tornTail: TornTail | undefined;
  /** File offset reached: everything before it has been yielded or reported. */
  position = CAPTURE_HEADER_SIZE;
  private readonly fd: number;
  private readonly onDamage: CaptureReaderOptions["onDamage"];
  private buf: Uint8Array;
  private dv: DataView;
  /** File offset of buf[0]. */
  private base = CAPTURE_HEADER_SIZE;
  /** Valid bytes in buf. */
  private len = 0;
  private eof = false;
  private closed = false;
  // set by examine()
  private frameLength = 0;
  private reason: DamageReason = "BadMarker";

  constructor(path: string, options: CaptureReaderOptions = {}) {
    this.path = path;
    this.onDamage = options.onDamage;
    try {
      this.fd = openSync(path, "r");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CaptureError({
        code: code === "ENOENT" ? "CaptureNotFound" : "CaptureOpenFailed",
        message: `cannot open ${path}`,
        facts: { path, errno: code },
      });
    }
    const head = new Uint8Array(CAPTURE_HEADER_SIZE);
    const n = readSync(this.fd, head, 0, CAPTURE_HEADER_SIZE, 0);
    try {
      this.header = decodeHeader(head.subarray(0, n), path);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    this.buf = new Uint8Array(Math.max(options.chunkBytes ?? 4 << 20, RECORD_HEADER_SIZE + MAX_RECORD_FRAME));
    this.dv = new DataView(this.buf.buffer);
  }

  *[Symbol.iterator](): Generator<CaptureRecord, void, undefined> {
    try {
      for (;;) {
        const record = this.next();
        if (record === undefined) return;
        yield record;
      }
    } finally {
      this.close();
    }
  }

  /** The next whole record, or undefined at the end of the file (after reporting damage and the torn tail). */
  next(): CaptureRecord | undefined {
    if (this.closed) return undefined;
    let p = this.position;
    let damageStart = -1;
    let damageReason: DamageReason = "BadMarker";
    for (;;) {
      const state = this.examine(p);
      if (state === Bad) {
        if (damageStart < 0) {
          damageStart = p;
          damageReason = this.reason;
        }
        p = this.nextCandidate(p + 1);
        if (p >= 0) continue;
        // no candidate up to the end of the file
        p = this.base + this.len;
      }
      if (damageStart >= 0) this.report({ offset: damageStart, length: p - damageStart, reason: damageReason });
      damageStart = -1;
      if (state === Ok) {
        const i = p - this.base;
        const size = RECORD_HEADER_SIZE + this.frameLength;
        this.position = p + size;
        this.records++;
        return {
          recvNs: this.dv.getBigUint64(i + 8, true),
          frame: this.buf.subarray(i + RECORD_HEADER_SIZE, i + size),
          offset: p,
        };
      }
      const end = this.base + this.len;
      if (state === Torn && p < end) this.tornTail = { offset: p, length: end - p };
      this.position = end;
      this.close();
      return undefined;
    }
  }

  /** Closes the file (also done at the end of iteration). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /**
   * Looks at the record starting at file offset p: Ok (then frameLength is set), Torn (the file ends inside what is
   * so far a valid record, or at p exactly), or Bad (reason set).
   */
  private examine(p: number): number {
    const avail = this.load(p, RECORD_HEADER_SIZE);
    const i = p - this.base;
    const buf = this.buf;
    if (avail < RECORD_HEADER_SIZE) {
      // A prefix of a record header: only the marker bytes present can be checked.
      for (let k = 0; k < Math.min(avail, 4); k++) {
        if (buf[i + k] !== ((RECORD_MARKER >>> (8 * k)) & 0xff)) return this.bad("BadMarker");
      }
      return Torn;
    }
    const dv = this.dv;
    if (dv.getUint32(i, true) !== RECORD_MARKER) return this.bad("BadMarker");
    if (crc32(buf, i + 4, i + 16, 0, dv) !== dv.getUint32(i + 16, true)) return this.bad("BadRecordHeaderCrc");
    const n = dv.getUint32(i + 4, true);
    if (n < MIN_RECORD_FRAME || n > MAX_RECORD_FRAME) return this.bad("BadRecordLength");
    const have = this.load(p, RECORD_HEADER_SIZE + n);
    const j = p - this.base; // load may have moved the window
    if (have < RECORD_HEADER_SIZE + n) return Torn;
    const f = j + RECORD_HEADER_SIZE;
    const fdv = this.dv;
    if (fdv.getUint32(f, true) !== MAGIC || fdv.getUint32(f + 24, true) !== n - HEADER_SIZE)
      return this.bad("BadFrame");
    if (frameChecksum(this.buf, f, n - HEADER_SIZE, fdv) !== fdv.getUint32(f + 28, true)) {
      return this.bad("BadFrameChecksum");
    }
    this.frameLength = n;
    return Ok;
  }

  private bad(reason: DamageReason): number {
    this.reason = reason;
    return Bad;
  }

  /** File offset of the next byte at or after `from` that could start a record marker, or -1 at the end. */
  private nextCandidate(from: number): number {
    let p = from;
    for (;;) {
      const avail = this.load(p, 1);
      if (avail === 0) return -1;
      const i = this.buf.subarray(0, this.len).indexOf(MARKER_B0, p - this.base);
      if (i >= 0) return this.base + i;
      p = this.base + this.len;
    }
  }

  /**
   * Makes file bytes [p, p + n) present in the buffer, as far as the file has them; returns how many are (from p).
   * Positions only move forward, so bytes before p are dropped.
   */
  private load(p: number, n: number): number {
    const end = this.base + this.len;
    if (p + n <= end) return n;
    if (p >= end) {
      this.base = p;
      this.len = 0;
    } else if (p > this.base) {
      this.buf.copyWithin(0, p - this.base, this.len);
      this.len -= p - this.base;
      this.base = p;
    }
    if (n > this.buf.length) {
      const next = new Uint8Array(n);
      next.set(this.buf.subarray(0, this.len));
      this.buf = next;
      this.dv = new DataView(next.buffer);
    }
    while (this.len < n && !this.eof) {
      const got = readSync(this.fd, this.buf, this.len, this.buf.length - this.len, this.base + this.len);
      if (got === 0) this.eof = true;
      this.len += got;
    }
    return Math.min(n, this.len);
  }

  private report(damage: CaptureDamage): void {
    this.damage.push(damage);
    this.onDamage?.(damage);
  }
}
