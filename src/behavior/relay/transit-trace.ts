import { readFileSync, writeFileSync } from "node:fs";

/**
 * A relay's transit trace (docs/relay.md "Transit trace"): for every data frame, its publisher's source and sequence,
 * when the chunk that carried it was received, and when the relay's writes for that chunk had returned (the frame
 * handed to the kernel for every subscriber), both on CLOCK_MONOTONIC (transport/monotonic-clock.ts), so that
 * latencies can be measured between relays of different processes: `ap bench pipeline` measures "into the market data
 * relay" to "out of the signal relay" with it.
 *
 * Opt-in (`--trace FILE`): a relay without it pays one comparison per chunk. Rows live in one preallocated
 * Float64Array (4 numbers a frame, all integers below 2^53); frames past the capacity are counted, not recorded.
 * The file is the rows as little-endian f64, written when the relay stops.
 */
export interface TransitRow {
  source: number;
  sequence: number;
  inNs: number;
  outNs: number;
}

export class TransitTrace {
  readonly capacity: number;
  /** Frames seen after the trace was full. */
  overflow = 0;
  private readonly rows: Float64Array;
  private readonly clock: () => number;
  private n = 0;
  private chunkFirst = 0;
  private chunkInNs = 0;

  constructor(capacity: number, clock: () => number) {
    this.capacity = capacity;
    this.clock = clock;
    this.rows = new Float64Array(capacity * 4);
  }

  get length(): number {
    return this.n;
  }

  /** A chunk arrived: the receive time of the frames recorded until chunkOut(). */
  chunkIn(): void {
    this.chunkInNs = this.clock();
    this.chunkFirst = this.n;
  }

  frame(source: number, sequence: number): void {
    const n = this.n;
    if (n === this.capacity) {
      this.overflow++;
      return;
    }
    const r = this.rows;
    r[4 * n] = source;
    r[4 * n + 1] = sequence;
    r[4 * n + 2] = this.chunkInNs;
    this.n = n + 1;
  }

  /** The chunk's writes returned: the send time of its frames. */
  chunkOut(): void {
    const t = this.clock();
    const r = this.rows;
    for (let i = this.chunkFirst; i < this.n; i++) r[4 * i + 3] = t;
  }

  write(path: string): void {
    writeFileSync(path, new Uint8Array(this.rows.buffer, 0, this.n * 32));
  }

  static read(path: string): TransitRow[] {
    const bytes = Uint8Array.from(readFileSync(path)); // a fresh, 8-aligned buffer
    const f = new Float64Array(bytes.buffer, 0, Math.floor(bytes.byteLength / 32) * 4);
    const out: TransitRow[] = [];
    for (let i = 0; i < f.length; i += 4)
      out.push({ source: f[i], sequence: f[i + 1], inNs: f[i + 2], outNs: f[i + 3] });
    return out;
  }
}
