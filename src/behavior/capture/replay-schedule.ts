import { CaptureError } from "./errors.ts";

/** A replay speed: `max` (no waiting), or a factor num/den applied to the recorded spacing. */
export interface ReplaySpeed {
  max: boolean;
  num: bigint;
  den: bigint;
  text: string;
}

/** Parses `max`, `10x`, `1x`, `0.5x` (the `x` is optional); the factor is kept exact as a fraction. */
export function parseSpeed(text: string): ReplaySpeed {
  const t = text.trim().toLowerCase();
  if (t === "max") return { max: true, num: 1n, den: 1n, text: "max" };
  const m = /^(\d{1,9})(?:\.(\d{1,6}))?x?$/.exec(t);
  const frac = m?.[2] ?? "";
  const num = m ? BigInt(m[1] + frac) : 0n;
  if (num === 0n) {
    throw new CaptureError({
      code: "InvalidSpeed",
      message: `speed "${text}" is not a positive factor or max`,
      facts: { speed: text },
      hint: "use 1x (recorded pace), 10x, 0.5x or max",
    });
  }
  return { max: false, num, den: 10n ** BigInt(frac.length), text: `${m![1]}${frac ? `.${frac}` : ""}x` };
}

/**
 * When each record is due: record i is sent at start + (recv_i - recv_0) / speed on the monotonic clock. Every due
 * time is computed from the same origin, never from the previous send, so lateness (a slow write, a timer firing
 * late) does not accumulate. All in bigint ns.
 */
export class ReplaySchedule {
  private readonly speed: ReplaySpeed;
  private readonly startMonoNs: bigint;
  private firstRecvNs: bigint | undefined;

  constructor(speed: ReplaySpeed, startMonoNs: bigint) {
    this.speed = speed;
    this.startMonoNs = startMonoNs;
  }

  /** Monotonic time (ns) at which the record received at `recvNs` is due. */
  dueMonoNs(recvNs: bigint): bigint {
    if (this.firstRecvNs === undefined) this.firstRecvNs = recvNs;
    if (this.speed.max) return this.startMonoNs;
    const span = recvNs - this.firstRecvNs;
    // A clock step backwards in the recording is sent at once, not waited for.
    if (span <= 0n) return this.startMonoNs;
    return this.startMonoNs + (span * this.speed.den) / this.speed.num;
  }
}

/** The monotonic clock in ns (Bun.nanoseconds: exact integers, since process start). */
export function monoNs(): bigint {
  return BigInt(Bun.nanoseconds());
}
