import { ConfigError } from "./errors.ts";

/** Runtime limits of PROTOCOL.md §7, read once at start-up. */
export interface Limits {
  /** Levels per side in an OrderBook TLV; a BookDelta carries at most twice this many changes. */
  readonly maxOrderLevels: number;
  /** Tokens in a PoolLiquidity TLV. */
  readonly maxPoolTokens: number;
}

export const LIMIT_VARIABLES = {
  ALPHAPULSE_MAX_ORDER_LEVELS: { key: "maxOrderLevels", default: 50, min: 1, max: 1000 },
  ALPHAPULSE_MAX_POOL_TOKENS: { key: "maxPoolTokens", default: 8, min: 2, max: 32 },
} as const;

export const DEFAULT_LIMITS: Limits = { maxOrderLevels: 50, maxPoolTokens: 8 };

/**
 * Reads and validates the limits from an environment. Unset or empty means the default; anything else must be a
 * plain decimal integer inside the range, or a ConfigError names the variable, the value and the allowed range.
 */
export function readLimits(env: Record<string, string | undefined> = process.env): Limits {
  const out: Record<string, number> = {};
  for (const [variable, spec] of Object.entries(LIMIT_VARIABLES)) {
    const raw = env[variable];
    if (raw === undefined || raw === "") {
      out[spec.key] = spec.default;
      continue;
    }
    const value = /^\d{1,7}$/.test(raw) ? Number(raw) : Number.NaN;
    if (!(value >= spec.min && value <= spec.max)) {
      throw new ConfigError({
        code: "InvalidLimit",
        message: `${variable}=${JSON.stringify(raw)} is not an integer in ${spec.min}..${spec.max}`,
        facts: { variable, value: raw, min: spec.min, max: spec.max, default: spec.default },
        hint: `unset it for the default ${spec.default}, or give a whole number from ${spec.min} to ${spec.max}`,
      });
    }
    out[spec.key] = value;
  }
  return out as unknown as Limits;
}
