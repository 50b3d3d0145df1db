/** Reconnect delays: exponential with jitter, so clients of a restarted relay do not all knock at the same instant. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. Default 25. */
  initialMs?: number;
  /** Ceiling of the delay, in ms. Default 2000. */
  maxMs?: number;
  /** Growth per failed attempt. Default 2. */
  factor?: number;
  /** Fraction of the delay that is random: the delay is uniform in [base·(1-jitter), base]. Default 0.5. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 25, maxMs: 2000, factor: 2, jitter: 0.5 };

/** Delay in ms before retry number `attempt` (0-based): min(max, initial·factor^attempt), less up to `jitter` of it. */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const base = Math.min(o.maxMs, o.initialMs * o.factor ** Math.min(attempt, 64));
  return base * (1 - o.jitter * random());
}
