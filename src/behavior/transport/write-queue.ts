import { HEADER_SIZE } from "../../rules/header.ts";

/** What a WriteQueue needs from a socket: Bun's non-blocking write that may accept only part of the bytes. */
export interface WritableSocket {
  write(data: Uint8Array, byteOffset?: number, byteLength?: number): number;
}

/**
 * Outgoing bytes of one connection: frames appended back to back into one buffer, written with one socket.write()
 * per flush (frames queued in the same tick leave in one syscall), the unwritten tail kept for the next `drain`.
 *
 * Bun's socket.write() is unbuffered: it returns how many bytes the kernel took (0 when its buffer is full, -1 when
 * the socket is closed) and fires `drain` when it can take more (measured on a unix socket: the first write of 1 MiB
 * to a reader that is not reading returned 219,264, the next ones 0, then one drain). So the queue owns the tail.
 *
 * The buffer grows geometrically up to `maxBytes` and is compacted (copyWithin) only when an append reaches its end.
 * push() refuses, without copying anything, a frame that would take the queued bytes past `maxBytes`: the caller
 * applies its policy (the relay disconnects a slow subscriber; a client drops and counts).
 *
 * Frame boundaries are tracked so that a connection lost in the middle of a frame can drop that frame's unsent rest
 * (discardPartialFrame) instead of sending a torn frame on the next connection.
 */
export class WriteQueue {
  readonly maxBytes: number;
  private buf: Uint8Array;
  private head = 0;
  private tail = 0;
  /** Start of the first frame not completely written; <= head. */
  private boundary = 0;

  private readonly initialCapacity: number;

  constructor(maxBytes: number, initialCapacity = 64 * 1024) {
    this.maxBytes = maxBytes;
    this.initialCapacity = Math.min(initialCapacity, maxBytes);
    this.buf = new Uint8Array(this.initialCapacity);
  }

  /** Bytes waiting to be written. */
  get length(): number {
    return this.tail - this.head;
  }

  /** Current buffer capacity (for memory accounting). */
  get capacity(): number {
    return this.buf.length;
  }

  /**
   * Appends a copy of `bytes`; false (nothing appended) if that would take the queued bytes past maxBytes. An empty
   * queue takes any one frame, so a limit below the 1 MiB frame maximum never makes a frame undeliverable.
   */
  push(bytes: Uint8Array): boolean {
    const n = bytes.length;
    const queued = this.tail - this.head;
    if (queued + n > this.maxBytes && queued > 0) return false;
    if (this.tail + n > this.buf.length) this.makeRoom(n);
    this.buf.set(bytes, this.tail);
    this.tail += n;
    return true;
  }

  /**
   * Writes as much as the socket takes. Returns the bytes written, 0 when the socket is full (wait for `drain`),
   * or -1 when the socket is closed.
   */
  flushTo(socket: WritableSocket): number {
    const len = this.tail - this.head;
    if (len === 0) return 0;
    const n = socket.write(this.buf, this.head, len);
    if (n <= 0) return n;
    this.head += n;
    if (this.head === this.tail) {
      this.head = this.tail = this.boundary = 0;
    } else {
      this.advanceBoundary();
    }
    return n;
  }

  /**
   * Drops the unsent rest of a frame cut by a lost connection, so the queue starts at a frame boundary again.
   * Returns the number of bytes dropped.
   */
  discardPartialFrame(): number {
    if (this.boundary === this.head) return 0;
    const end = Math.min(this.boundary + frameSizeAt(this.buf, this.boundary), this.tail);
    const dropped = end - this.head;
    this.head = this.boundary = end;
    if (this.head === this.tail) this.head = this.tail = this.boundary = 0;
    return dropped;
  }

  /**
   * Gives a buffer grown by a burst back to the allocator, if the queue is empty now. Meant for a slow timer (the
   * relay calls it every second), never the hot path: growing again costs one allocation per doubling.
   */
  shrink(): boolean {
    if (this.tail !== this.head || this.buf.length <= this.initialCapacity) return false;
    this.buf = new Uint8Array(this.initialCapacity);
    this.head = this.tail = this.boundary = 0;
    return true;
  }

  /** Forgets everything queued. */
  clear(): void {
    this.head = this.tail = this.boundary = 0;
  }

  private advanceBoundary(): void {
    const buf = this.buf;
    let b = this.boundary;
    for (let size = frameSizeAt(buf, b); b + size <= this.head; size = frameSizeAt(buf, b)) b += size;
    this.boundary = b;
  }

  /** Compacts (keeping the partly written frame from `boundary`) and grows to fit `n` more bytes. */
  private makeRoom(n: number): void {
    const keepFrom = this.boundary;
    const kept = this.tail - keepFrom;
    if (kept + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < kept + n) cap *= 2;
      // A partly written frame before head, or one frame larger than the limit, may take it past maxBytes.
      const next = new Uint8Array(Math.min(cap, Math.max(this.maxBytes, kept + n)));
      next.set(this.buf.subarray(keepFrom, this.tail));
      this.buf = next;
    } else if (keepFrom > 0) {
      this.buf.copyWithin(0, keepFrom, this.tail);
    }
    this.head -= keepFrom;
    this.tail = kept;
    this.boundary = 0;
  }
}

/** Whole size of the frame whose header starts at `at` (PROTOCOL.md §2: 32 + payload_size at offset 24). */
function frameSizeAt(buf: Uint8Array, at: number): number {
  return HEADER_SIZE + ((buf[at + 24] | (buf[at + 25] << 8) | (buf[at + 26] << 16) | (buf[at + 27] << 24)) >>> 0);
}
