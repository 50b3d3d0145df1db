import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { nowNs, writeNowNs } from "../../core/time.ts";
import { crc32 } from "../../rules/crc32.ts";
import { CaptureError } from "./errors.ts";
import {
  CAPTURE_HEADER_SIZE,
  encodeHeader,
  MAX_RECORD_FRAME,
  MIN_RECORD_FRAME,
  RECORD_HEADER_SIZE,
  RECORD_MARKER,
} from "./format.ts";

export interface CaptureWriterOptions {
  path: string;
  /** Relay recorded (`market-data`), stored in the header. */
  relay: string;
  /** Its domain (1-4), or 0 when mixed. */
  domain: number;
  /** Replace an existing file (default: refuse, CaptureExists). */
  overwrite?: boolean;
  /** Buffered bytes before a write to the file. Default 1 MiB. */
  bufferBytes?: number;
  /** Periodic flush to the file (ms); 0 turns it off. Default 500. */
  flushIntervalMs?: number;
  /** created_ns of the header; default the clock. A fixed value makes the file a pure function of its records. */
  createdNs?: bigint;
}

/**
 * Appends records to a capture file (docs/capture-format.md). Records are built in one buffer and written with one
 * write() when it fills, on flush(), every `flushIntervalMs`, and on close(); the header is written at open.
 *
 * Durability: a write() puts whole records into the kernel, so once flush() returns they survive the death of this
 * process (kill -9 included); flush({ sync: true }) and close() also fsync, for a power loss. A process killed
 * between flushes loses what was still buffered, at most the unflushed records; the file then ends either on a
 * record boundary or with a torn record, which the reader reports and stops at.
 *
 * The writer trusts the frames it is given (the recorder takes them from a framer that checked them); it checks
 * only the length, so a reader never meets a record it could not delimit.
 */
export class CaptureWriter {
  readonly path: string;
  /** Records appended (buffered or written). */
  records = 0;
  /** Bytes of the file once everything is flushed (header included). */
  bytes = CAPTURE_HEADER_SIZE;
  /** Bytes written to the file so far. */
  flushedBytes = 0;
  private fd: number;
  private buf: Uint8Array;
  private dv: DataView;
  private len = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(options: CaptureWriterOptions) {
    this.path = options.path;
    const header = encodeHeader({
      domain: options.domain,
      relay: options.relay,
      createdNs: options.createdNs ?? nowNs(),
    });
    try {
      this.fd = openSync(options.path, options.overwrite ? "w" : "wx", 0o644);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CaptureError({
        code: code === "EEXIST" ? "CaptureExists" : "CaptureOpenFailed",
        message: code === "EEXIST" ? `${options.path} already exists` : `cannot create ${options.path}`,
        facts: { path: options.path, errno: code },
        hint: code === "EEXIST" ? "choose another file name, or pass --force to replace it" : undefined,
      });
    }
    this.buf = new Uint8Array(Math.max(options.bufferBytes ?? 1 << 20, 4096));
    this.dv = new DataView(this.buf.buffer);
    this.writeAll(header, header.length);
    const interval = options.flushIntervalMs ?? 500;
    if (interval > 0) {
      this.timer = setInterval(() => this.flush(), interval);
      this.timer.unref?.();
    }
  }

  /** Appends a record received now (the receive time is stamped without allocating). */
  appendNow(frame: Uint8Array): void {
    const at = this.reserve(frame);
    writeNowNs(this.dv, at + 8);
    this.finishRecord(at, frame);
  }

  /** Appends a record with the given receive time (ns since the epoch). */
  append(recvNs: bigint, frame: Uint8Array): void {
    const at = this.reserve(frame);
    this.dv.setBigUint64(at + 8, recvNs, true);
    this.finishRecord(at, frame);
  }

  /** Writes the buffered records to the file; with `sync`, also fsyncs. */
  flush(options: { sync?: boolean } = {}): void {
    if (this.closed) return;
    if (this.len > 0) {
      const n = this.len;
      this.len = 0;
      this.writeAll(this.buf, n);
    }
    if (options.sync) fsyncSync(this.fd);
  }

  /** Flushes, fsyncs and closes the file. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.flush({ sync: true });
    this.closed = true;
    closeSync(this.fd);
  }

  /** Makes room for a record, writes its marker and length; returns its offset in the buffer. */
  private reserve(frame: Uint8Array): number {
    if (this.closed) {
      throw new CaptureError({ code: "CaptureClosed", message: `${this.path} is closed`, facts: { path: this.path } });
    }
    const n = frame.length;
    if (n < MIN_RECORD_FRAME || n > MAX_RECORD_FRAME) {
      throw new CaptureError({
        code: "InvalidRecordLength",
        message: `a frame of ${n} bytes cannot be recorded`,
        facts: { length: n, min: MIN_RECORD_FRAME, max: MAX_RECORD_FRAME },
      });
    }
    const size = RECORD_HEADER_SIZE + n;
    if (this.len + size > this.buf.length) {
      this.flush();
      if (size > this.buf.length) this.grow(size);
    }
    const at = this.len;
    this.dv.setUint32(at, RECORD_MARKER, true);
    this.dv.setUint32(at + 4, n, true);
    return at;
  }

  private finishRecord(at: number, frame: Uint8Array): void {
    // header_crc covers frame_length and recv_ns (bytes 4..15); the frame is covered by its own CRC-32.
    this.dv.setUint32(at + 16, crc32(this.buf, at + 4, at + 16, 0, this.dv), true);
    this.buf.set(frame, at + RECORD_HEADER_SIZE);
    const size = RECORD_HEADER_SIZE + frame.length;
    this.len = at + size;
    this.records++;
    this.bytes += size;
  }

  private grow(size: number): void {
    const next = new Uint8Array(Math.max(size, this.buf.length * 2));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.dv = new DataView(next.buffer);
  }

  private writeAll(bytes: Uint8Array, n: number): void {
    let off = 0;
    try {
      while (off < n) off += writeSync(this.fd, bytes, off, n - off);
    } catch (e) {
      throw new CaptureError({
        code: "CaptureWriteFailed",
        message: `cannot write to ${this.path}`,
        facts: { path: this.path, errno: (e as NodeJS.ErrnoException).code, flushed_bytes: this.flushedBytes + off },
        hint: "check free disk space and the file system",
      });
    }
    this.flushedBytes += n;
  }
}
