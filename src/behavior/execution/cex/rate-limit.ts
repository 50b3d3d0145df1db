/**
 * Client-side rate limits that stay under the venue's count whatever the network does. The venue counts a request
 * when it arrives, which is after we send it and before we read its answer. So a request is charged from the moment
 * it is sent (in flight it counts in full and never decays) and settles at the moment its answer is read: a later
 * charge can only make our count higher than the venue's, never lower. No margins tuned to a machine's speed.
 *
 * Times are integer microseconds of a monotonic clock (process.hrtime); levels are integer micro-units.
 */
export const nowUs = (): bigint => process.hrtime.bigint() / 1000n;

const UNIT = 1_000_000n;

/**
 * Kraken's decaying counter (docs "Spot REST Rate Limits"): each call adds its cost; the counter decays at a fixed
 * rate per second; a call that would take it past the maximum is refused (EAPI:Rate limit exceeded, or
 * EOrder:Rate limit exceeded for the per-pair trading counter). Starter tier: max 15, decay 0.33/s; trading
 * counter max 60, decay 1/s. `decayMilliPerSecond` keeps the rate an integer (330 = 0.33 per second).
 */
export class DecayingCounter {
  private levelMicro = 0n;
  private atUs = 0n;
  private inFlight = 0n;

  constructor(
    readonly max: number,
    readonly decayMilliPerSecond: number,
    private readonly clock: () => bigint = nowUs,
  ) {}

  /** The settled level at `t` (micro-units), decayed. */
  levelAt(t: bigint): bigint {
    const decayed = ((t - this.atUs) * BigInt(this.decayMilliPerSecond)) / 1000n;
    const l = this.levelMicro - decayed;
    return l > 0n ? l : 0n;
  }

  /** Adds `cost` at time `t` (the venue's own bookkeeping). Returns the level after, or undefined if refused. */
  charge(cost: number, t: bigint): bigint | undefined {
    const after = this.levelAt(t) + BigInt(cost) * UNIT;
    if (after > BigInt(this.max) * UNIT) return undefined;
    this.levelMicro = after;
    this.atUs = t;
    return after;
  }

  /** Waits until `cost` fits (settled level + in-flight + cost <= max), then holds it as in flight. */
  async acquire(cost: number): Promise<() => void> {
    const c = BigInt(cost) * UNIT;
    for (;;) {
      const t = this.clock();
      const over = this.levelAt(t) + this.inFlight + c - BigInt(this.max) * UNIT;
      if (over <= 0n) break;
      // time for the settled part to decay by `over`, rounded up to a whole ms
      const waitUs = (over * 1000n + BigInt(this.decayMilliPerSecond) - 1n) / BigInt(this.decayMilliPerSecond);
      await delayMs(Number((waitUs + 999n) / 1000n));
    }
    this.inFlight += c;
    // The venue counts the call when it arrives, somewhere between now (the send) and the answer. Settling with the
    // level decayed only up to the send, and decaying the sum from the answer on, never under-counts what the venue
    // holds (settling with the level decayed to the answer could, by the time in flight: a burst then hit the limit).
    const sentUs = this.clock();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight -= c;
      const t = this.clock();
      this.levelMicro = this.levelAt(sentUs < this.atUs ? this.atUs : sentUs) + c;
      this.atUs = t;
    };
  }
}

/**
 * A sliding-window count (Binance ORDERS per 10 s / per day, REQUEST_WEIGHT per minute). A request occupies the
 * window from its send until `windowMs` after its answer was read, so the venue's fixed or sliding window of the
 * same length never sees more than `limit`.
 */
export class SlidingWindow {
  /** Answer times (us) of settled requests with their weight, oldest first. */
  private readonly settled: { atUs: bigint; weight: number }[] = [];
  private inFlight = 0;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly clock: () => bigint = nowUs,
  ) {}

  private used(t: bigint): number {
    const from = t - BigInt(this.windowMs) * 1000n;
    while (this.settled.length > 0 && this.settled[0].atUs <= from) this.settled.shift();
    let n = this.inFlight;
    for (const s of this.settled) n += s.weight;
    return n;
  }

  async acquire(weight: number): Promise<() => void> {
    for (;;) {
      const t = this.clock();
      if (this.used(t) + weight <= this.limit) break;
      if (this.settled.length === 0) {
        await delayMs(1); // only in-flight requests fill the window: their answers free it
        continue;
      }
      const freeAt = this.settled[0].atUs + BigInt(this.windowMs) * 1000n;
      await delayMs(Number((freeAt - t + 999n) / 1000n));
    }
    this.inFlight += weight;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.inFlight -= weight;
      this.settled.push({ atUs: this.clock(), weight });
    };
  }
}

function delayMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(ms, 1)));
}
