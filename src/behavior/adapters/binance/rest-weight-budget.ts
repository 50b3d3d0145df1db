/**
 * Binance REST request weight, kept below the venue's REQUEST_WEIGHT limit (spot 6000/min, USD-M 2400/min, or what
 * exchangeInfo's rateLimits say). Each call reserves its documented weight in the current minute window; when the
 * window is full the call waits for the next one. The venue's own count (X-MBX-USED-WEIGHT-1M) replaces ours when
 * larger, and a 429/418 Retry-After blocks every call until it passes. We use at most `share` of the limit so other
 * processes on the same IP keep room.
 */
export class RestWeightBudget {
  used = 0;
  waits = 0;
  private windowStart = 0;
  private blockedUntil = 0;

  constructor(
    public limitPerMinute: number,
    private readonly share = 0.5,
    private readonly now: () => number = Date.now,
  ) {}

  /** Resolves when `weight` fits in the budget (and records it). */
  async reserve(weight: number): Promise<void> {
    for (;;) {
      const t = this.now();
      if (t < this.blockedUntil) {
        this.waits++;
        await sleepMs(this.blockedUntil - t);
        continue;
      }
      const window = Math.floor(t / 60_000) * 60_000;
      if (window !== this.windowStart) {
        this.windowStart = window;
        this.used = 0;
      }
      if (this.used + weight <= this.limitPerMinute * this.share) {
        this.used += weight;
        return;
      }
      this.waits++;
      await sleepMs(window + 60_000 - t);
    }
  }

  /** The venue's X-MBX-USED-WEIGHT-1M header value. */
  observeUsed(usedHeader: string | null): void {
    const n = usedHeader === null ? Number.NaN : Number(usedHeader);
    if (Number.isFinite(n) && n > this.used) this.used = n;
  }

  /** A 429 (too many requests) or 418 (IP banned) answer: wait Retry-After seconds (default 60). */
  blockFor(retryAfterHeader: string | null): void {
    const s = retryAfterHeader === null ? 60 : Number(retryAfterHeader);
    this.blockedUntil = this.now() + (Number.isFinite(s) ? s : 60) * 1000;
  }
}

function sleepMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(1, ms)));
}
