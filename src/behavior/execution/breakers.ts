import type { InstrumentId } from "../../data/instrument-id.ts";
import type { CircuitBreaker } from "../../data/tlv-layouts.ts";

/** CircuitBreaker TLV numbers (PROTOCOL.md §6). */
export const BreakerScope = { Global: 1, Strategy: 2, Venue: 3, Instrument: 4 } as const;
export const BreakerState = { Tripped: 1, Reset: 2 } as const;
export const BreakerReason = { LossLimit: 1, ErrorRate: 2, StaleData: 3, PriceDeviation: 4, Manual: 5 } as const;

export interface Breaker {
  readonly key: string;
  readonly scope: number;
  readonly scopeId: bigint;
  readonly instrument: InstrumentId | null;
  readonly reason: number;
  readonly trippedNs: bigint;
  /** Resets only by `ap resume` (the kill switch, or any breaker under reset = "manual"). */
  readonly manual: boolean;
  /** Free text for the audit log (the halt reason, the numbers that tripped it). */
  readonly detail: string;
}

/** Where an order would go: a breaker blocks it when its scope covers any of these. */
export interface OrderScope {
  strategyId: number;
  venue: number;
  instrumentKey: string;
}

export function breakerKey(scope: number, scopeId: bigint, instrument: InstrumentId | null, reason: number): string {
  return `${scope}:${scopeId}:${instrument?.toString() ?? ""}:${reason}`;
}

/** The CircuitBreaker TLV value of a breaker event. */
export function breakerTlv(b: Breaker, state: number, timestampNs: bigint): CircuitBreaker {
  return { scope: b.scope, state, reason: b.reason, scopeId: b.scopeId, instrument: b.instrument, timestampNs };
}

/**
 * The set of tripped breakers and the detectors that trip them: an error-rate window and per-instrument price
 * anchors. Pure bookkeeping: the engine publishes the frames, cancels orders and writes the audit records.
 */
export class CircuitBreakers {
  readonly tripped = new Map<string, Breaker>();
  private errorTimes: bigint[] = [];
  private readonly anchors = new Map<string, { mid: bigint; sinceNs: bigint }>();

  /** Trips a breaker; undefined if the same breaker is already tripped. */
  trip(b: Omit<Breaker, "key">): Breaker | undefined {
    const key = breakerKey(b.scope, b.scopeId, b.instrument, b.reason);
    if (this.tripped.has(key)) return undefined;
    const breaker = { ...b, key };
    this.tripped.set(key, breaker);
    return breaker;
  }

  reset(key: string): Breaker | undefined {
    const b = this.tripped.get(key);
    if (b) this.tripped.delete(key);
    if (b?.scope === BreakerScope.Instrument) this.anchors.delete(b.instrument!.toString());
    return b;
  }

  /** The first tripped breaker whose scope covers the order, in insertion (trip) order. */
  blocking(o: OrderScope): Breaker | undefined {
    for (const b of this.tripped.values()) {
      if (b.scope === BreakerScope.Global) return b;
      if (b.scope === BreakerScope.Strategy && b.scopeId === BigInt(o.strategyId)) return b;
      if (b.scope === BreakerScope.Venue && b.scopeId === BigInt(o.venue)) return b;
      if (b.scope === BreakerScope.Instrument && b.instrument!.toString() === o.instrumentKey) return b;
    }
    return undefined;
  }

  /** Breakers whose cool-down has run out (manual ones never). */
  due(nowNs: bigint, cooldownMs: number): Breaker[] {
    const out: Breaker[] = [];
    const cooldownNs = BigInt(cooldownMs) * 1_000_000n;
    for (const b of this.tripped.values()) if (!b.manual && nowNs - b.trippedNs >= cooldownNs) out.push(b);
    return out;
  }

  /** Counts an error; true when `max` errors fall within the window ending now. */
  recordError(nowNs: bigint, max: number, windowMs: number): boolean {
    const from = nowNs - BigInt(windowMs) * 1_000_000n;
    this.errorTimes.push(nowNs);
    let drop = 0;
    while (drop < this.errorTimes.length && this.errorTimes[drop] < from) drop++;
    if (drop > 0) this.errorTimes.splice(0, drop);
    return this.errorTimes.length >= max;
  }

  get recentErrors(): number {
    return this.errorTimes.length;
  }

  /**
   * Feeds an instrument's mid; true when it moved more than maxBps from the anchor, the first mid seen in the
   * current window (the anchor restarts when the window has passed).
   */
  observeMid(instrumentKey: string, mid: bigint, nowNs: bigint, maxBps: number, windowMs: number): boolean {
    if (mid <= 0n) return false;
    const a = this.anchors.get(instrumentKey);
    if (a === undefined || nowNs - a.sinceNs > BigInt(windowMs) * 1_000_000n) {
      this.anchors.set(instrumentKey, { mid, sinceNs: nowNs });
      return false;
    }
    const move = mid > a.mid ? mid - a.mid : a.mid - mid;
    return move * 10_000n > BigInt(maxBps) * a.mid;
  }
}
