/**
 * Gap detection across the bridge. Every message a bridge publishes carries `Ap-Origin` (its instance id) and
 * `Ap-Seq` (1, 2, 3 ... per subject of that origin; docs/bridge.md). The receiving side keeps, per origin and
 * subject, the next expected Ap-Seq:
 *
 * - the first message of an (origin, subject) sets the baseline: a host that joins late has no gap;
 * - above the expected one: one gap, `seq - expected` missing messages (lost in NATS, in an outage, or dropped by the
 *   sending bridge's full buffer: all of those advance Ap-Seq);
 * - Ap-Seq 1 below the expected one: the origin's bridge restarted (a new baseline, counted in `restarts`);
 * - otherwise at or below the last one: a duplicate (JetStream redelivery after a reconnect), counted and dropped.
 *
 * Sequences are per subject, so a receiver that subscribes to a subset of subjects sees no false gaps.
 */
export type TrackVerdict = "ok" | "gap" | "duplicate" | "restart" | "first";

/** Per (origin, subject): the next expected Ap-Seq; 0 before the first message. */
export interface OriginState {
  next: number;
}

export class OriginTracker {
  gaps = 0;
  missing = 0;
  duplicates = 0;
  restarts = 0;
  /** Messages whose (origin, subject) was not tracked because `maxEntries` were already. */
  untracked = 0;
  private entries = 0;
  private readonly byOrigin = new Map<string, Map<string, OriginState>>();

  constructor(private readonly maxEntries = 100_000) {}

  get origins(): number {
    return this.byOrigin.size;
  }

  track(origin: string, subject: string, seq: number): TrackVerdict {
    const state = this.stateOf(origin, subject);
    return state === undefined ? "ok" : this.step(state, seq);
  }

  /**
   * The state of (origin, subject), created at its first message; undefined (counted in `untracked`) when
   * `maxEntries` are tracked already. A caller may keep it and pass it to step() for the next messages.
   */
  stateOf(origin: string, subject: string): OriginState | undefined {
    let subjects = this.byOrigin.get(origin);
    if (subjects === undefined) {
      if (this.entries >= this.maxEntries) {
        this.untracked++;
        return undefined;
      }
      subjects = new Map();
      this.byOrigin.set(origin, subjects);
    }
    let state = subjects.get(subject);
    if (state === undefined) {
      if (this.entries >= this.maxEntries) {
        this.untracked++;
        return undefined;
      }
      this.entries++;
      state = { next: 0 };
      subjects.set(subject, state);
    }
    return state;
  }

  /** The verdict on `seq` for a state from stateOf(), which it advances. */
  step(state: OriginState, seq: number): TrackVerdict {
    if (state.next === 0) {
      state.next = seq + 1;
      return "first";
    }
    if (seq === state.next) {
      state.next = seq + 1;
      return "ok";
    }
    if (seq > state.next) {
      this.gaps++;
      this.missing += seq - state.next;
      state.next = seq + 1;
      return "gap";
    }
    if (seq === 1) {
      this.restarts++;
      state.next = 2;
      return "restart";
    }
    this.duplicates++;
    return "duplicate";
  }
}
