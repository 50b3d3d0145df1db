import type { ProtocolError } from "../core/errors.ts";
import { DEFAULT_LIMITS, type Limits } from "../core/limits.ts";
import { diagnose } from "./diagnose.ts";
import { ErrorCode, isFramingError } from "./error-codes.ts";
import { MAX_FRAME_SIZE } from "./header.ts";
import { FrameParser } from "./parser.ts";

export interface StreamFramerOptions {
  /** Called once per valid frame with a view that is valid only during the call (copy it to keep it). */
  onFrame: (frame: Uint8Array, parser: FrameParser) => void;
  /**
   * Called when bytes are dropped: `skipped` bytes before the next candidate frame (garbage, or a frame that failed
   * its header or checksum checks), or a whole well-delimited frame whose TLVs are invalid. `error` says why.
   */
  onSkip?: (skipped: number, error: ProtocolError) => void;
  limits?: Limits;
  /** Largest frame accepted (header + payload). A larger payload_size is refused before anything is buffered. */
  maxFrameSize?: number;
}

const MAGIC_B0 = 0xef;

/**
 * Turns a byte stream cut at arbitrary points into whole, validated frames (PROTOCOL.md §2 "Streams").
 *
 * push() may be called with any chunking. Whole frames inside a chunk are handed out as views of the chunk itself
 * (no copy); only an incomplete tail is copied into the framer's own buffer until the rest arrives. A candidate that
 * fails a header check (magic, version, domain, size limit) or its checksum is never trusted for its length: the
 * framer advances one byte past its start, scans for the next `ef be ad de` and reports the skipped bytes. A frame
 * whose checksum holds but whose TLVs are invalid is well delimited: it is skipped whole and reported.
 */
export class StreamFramer {
  private readonly parser: FrameParser;
  private readonly onFrame: StreamFramerOptions["onFrame"];
  private readonly onSkip: StreamFramerOptions["onSkip"];
  private readonly limits: Limits;
  private pending = new Uint8Array(0);
  private pendingLength = 0;
  /** Frames delivered. */
  frames = 0;
  /** Bytes dropped (garbage, rejected candidates, invalid frames). */
  skippedBytes = 0;
  /** Number of times bytes were dropped. */
  skips = 0;

  constructor(options: StreamFramerOptions) {
    this.limits = options.limits ?? DEFAULT_LIMITS;
    this.parser = new FrameParser({ limits: this.limits, maxFrameSize: options.maxFrameSize ?? MAX_FRAME_SIZE });
    this.onFrame = options.onFrame;
    this.onSkip = options.onSkip;
  }

  /** Bytes held waiting for the rest of a frame. */
  get buffered(): number {
    return this.pendingLength;
  }

  push(chunk: Uint8Array): void {
    if (this.pendingLength === 0) {
      const consumed = this.drain(chunk, 0, chunk.length);
      if (consumed < chunk.length) this.keep(chunk.subarray(consumed));
      return;
    }
    // Append to the tail kept from earlier chunks, then drain that buffer.
    this.ensure(this.pendingLength + chunk.length);
    this.pending.set(chunk, this.pendingLength);
    this.pendingLength += chunk.length;
    const consumed = this.drain(this.pending, 0, this.pendingLength);
    this.pending.copyWithin(0, consumed, this.pendingLength);
    this.pendingLength -= consumed;
  }

  /**
   * End of the stream (connection closed, file ended): bytes still buffered can never complete a frame, so they are
   * reported as skipped with their diagnostic (usually Truncated). Returns how many bytes that was.
   */
  end(): number {
    const n = this.pendingLength;
    if (n === 0) return 0;
    this.parser.check(this.pending.subarray(0, n), 0);
    this.skip(n, diagnose(this.parser, this.limits));
    this.pendingLength = 0;
    return n;
  }

  /** Drains whole frames from bytes[start, end) (a view ending at `end`); returns how many bytes were consumed. */
  private drain(bytes: Uint8Array, start: number, end: number): number {
    const view = end === bytes.length ? bytes : bytes.subarray(0, end);
    const parser = this.parser;
    let p = start;
    let skipFrom = -1; // start of a run of dropped bytes, reported when the next frame is found
    let skipError: ProtocolError | undefined;
    while (end - p >= 4) {
      const code = parser.check(view, p);
      if (code === ErrorCode.Ok) {
        if (skipFrom >= 0) this.skip(p - skipFrom, skipError!);
        skipFrom = -1;
        this.frames++;
        const size = parser.frameSize;
        this.onFrame(view.subarray(p, p + size), parser);
        p += size;
        continue;
      }
      if (code === ErrorCode.Truncated) break; // wait for more bytes (header or payload incomplete)
      if (isFramingError(code)) {
        // Untrusted extent: one byte forward, then to the next magic.
        if (skipFrom < 0) {
          skipFrom = p;
          skipError = diagnose(parser, this.limits);
        }
        p = this.nextMagic(view, p + 1, end);
        continue;
      }
      // Checksum held: the frame's extent is right but its TLVs are not. Drop exactly this frame.
      if (skipFrom >= 0) this.skip(p - skipFrom, skipError!);
      skipFrom = -1;
      const size = parser.frameSize;
      this.skip(size, diagnose(parser, this.limits));
      p += size;
    }
    if (skipFrom >= 0) {
      // Everything from skipFrom to p is garbage; bytes from p on may start a frame and are kept.
      this.skip(p - skipFrom, skipError!);
    }
    return p;
  }

  /** Offset of the next magic at or after `from`, of a magic prefix cut by the end of the bytes, or `end`. */
  private nextMagic(bytes: Uint8Array, from: number, end: number): number {
    for (let i = bytes.indexOf(MAGIC_B0, from); i >= 0 && i < end; i = bytes.indexOf(MAGIC_B0, i + 1)) {
      if (i + 4 > end) return i; // may be a magic cut by the chunk boundary: keep it for the next push
      if (bytes[i + 1] === 0xbe && bytes[i + 2] === 0xad && bytes[i + 3] === 0xde) return i;
    }
    return end;
  }

  private skip(n: number, error: ProtocolError): void {
    if (n <= 0) return;
    this.skips++;
    this.skippedBytes += n;
    this.onSkip?.(n, error);
  }

  private keep(tail: Uint8Array): void {
    this.ensure(tail.length);
    this.pending.set(tail, 0);
    this.pendingLength = tail.length;
  }

  private ensure(size: number): void {
    if (this.pending.length >= size) return;
    let cap = Math.max(4096, this.pending.length * 2);
    while (cap < size) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.pending.subarray(0, this.pendingLength));
    this.pending = next;
  }
}
