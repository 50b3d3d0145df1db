import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "../../core/errors.ts";

/**
 * Configuration of the execution service: the [risk], [execution] and [breakers] tables of ap.toml, each key
 * overridable as AP_<TABLE>_<KEY> (AP_RISK_MAX_OPEN_ORDERS=10), like src/core/config.ts. Money is USD e8 (quote
 * currencies USD, USDT and USDC are taken as USD), fees in hundredths of a basis point (1 = 0.0001 %), times in ms.
 * Amounts are integers in the file (TOML integers are i64, which holds every e8 limit here).
 */
export interface RiskConfig {
  /** Largest order notional, USD e8 (CEX: price x quantity; DEX: the signal's required_capital_usd_e8). */
  maxOrderNotionalE8: bigint;
  /** Largest |position| per instrument after the order, valued at the reference price, USD e8. */
  maxPositionNotionalE8: bigint;
  /** Largest sum of |position| over all instruments after the order, USD e8. */
  maxTotalPositionNotionalE8: bigint;
  /** Resting orders allowed at once. */
  maxOpenOrders: number;
  /** Largest distance of a limit price from the reference (book mid), or of a signal's expected output from the pool quote. */
  maxPriceDeviationBps: number;
  /** Book data older than this cannot be traded against. */
  maxBookAgeMs: number;
  /** Pool data older than this cannot be traded against (pools move per block). */
  maxPoolAgeMs: number;
  /** Daily loss (realised + unrealised - fees since the UTC day began) beyond which new orders are refused, USD e8. */
  dailyLossLimitE8: bigint;
}

export interface ExecutionConfig {
  /** Only "paper" exists; live venues come later. */
  mode: "paper";
  /** Frame and audit timestamps from the input frames, never the wall clock: same input, same bytes. */
  deterministic: boolean;
  /** Taker fee in hundredths of a bp (1000 = 0.10 %). */
  takerFeeCentiBps: number;
  /** Maker fee in hundredths of a bp (may be 0). */
  makerFeeCentiBps: number;
  /** Audit log path; "" = <run dir>/execution-audit.log. */
  auditLog: string;
  /** "always": fsync after each input's records, before its frames are published; "interval"; "never". */
  auditFsync: "always" | "interval" | "never";
  auditFsyncIntervalMs: number;
}

export type ResetPolicy = "manual" | "cooldown";

export interface BreakerConfig {
  /** Trips the global breaker when the day's P&L falls to -lossLimitE8 (USD e8). */
  lossLimitE8: bigint;
  /** Trips the global breaker at this many errors (bad frames, invalid orders, failed swaps) within errorWindowMs. */
  maxErrors: number;
  errorWindowMs: number;
  /** Trips an instrument's breaker when its data is this old (or invalidated) while it has resting orders or a reference. */
  staleDataMs: number;
  /** Trips an instrument's breaker when its mid moves more than this within priceMoveWindowMs. */
  priceMoveBps: number;
  priceMoveWindowMs: number;
  /** How tripped breakers (other than the kill switch, which is always manual) come back. */
  reset: ResetPolicy;
  cooldownMs: number;
}

export interface ExecutionServiceConfig {
  runDir: string;
  risk: RiskConfig;
  execution: ExecutionConfig;
  breakers: BreakerConfig;
}

export const DEFAULT_RISK: RiskConfig = {
  maxOrderNotionalE8: 100_000n * 10n ** 8n,
  maxPositionNotionalE8: 250_000n * 10n ** 8n,
  maxTotalPositionNotionalE8: 1_000_000n * 10n ** 8n,
  maxOpenOrders: 50,
  maxPriceDeviationBps: 500,
  maxBookAgeMs: 5_000,
  maxPoolAgeMs: 60_000,
  dailyLossLimitE8: 5_000n * 10n ** 8n,
};

export const DEFAULT_EXECUTION: ExecutionConfig = {
  mode: "paper",
  deterministic: false,
  takerFeeCentiBps: 1_000,
  makerFeeCentiBps: 0,
  auditLog: "",
  auditFsync: "always",
  auditFsyncIntervalMs: 1_000,
};

export const DEFAULT_BREAKERS: BreakerConfig = {
  lossLimitE8: 10_000n * 10n ** 8n,
  maxErrors: 20,
  errorWindowMs: 10_000,
  staleDataMs: 30_000,
  priceMoveBps: 1_000,
  priceMoveWindowMs: 10_000,
  reset: "cooldown",
  cooldownMs: 60_000,
};

type Kind = "e8" | "int" | "bool" | "string";
interface Key {
  kind: Kind;
  field: string;
  min?: number;
  max?: number;
  options?: readonly string[];
}

const K = (kind: Kind, field: string, extra: Partial<Key> = {}): Key => ({ kind, field, ...extra });

/** TOML key -> field, per table. Listed in docs/execution.md. */
export const EXECUTION_CONFIG_KEYS: Record<"risk" | "execution" | "breakers", Record<string, Key>> = {
  risk: {
    max_order_notional_usd_e8: K("e8", "maxOrderNotionalE8"),
    max_position_notional_usd_e8: K("e8", "maxPositionNotionalE8"),
    max_total_position_notional_usd_e8: K("e8", "maxTotalPositionNotionalE8"),
    max_open_orders: K("int", "maxOpenOrders", { min: 0, max: 100_000 }),
    max_price_deviation_bps: K("int", "maxPriceDeviationBps", { min: 0, max: 10_000 }),
    max_book_age_ms: K("int", "maxBookAgeMs", { min: 1, max: 86_400_000 }),
    max_pool_age_ms: K("int", "maxPoolAgeMs", { min: 1, max: 86_400_000 }),
    daily_loss_limit_usd_e8: K("e8", "dailyLossLimitE8"),
  },
  execution: {
    mode: K("string", "mode", { options: ["paper"] }),
    deterministic: K("bool", "deterministic"),
    taker_fee_centibps: K("int", "takerFeeCentiBps", { min: 0, max: 100_000 }),
    maker_fee_centibps: K("int", "makerFeeCentiBps", { min: 0, max: 100_000 }),
    audit_log: K("string", "auditLog"),
    audit_fsync: K("string", "auditFsync", { options: ["always", "interval", "never"] }),
    audit_fsync_interval_ms: K("int", "auditFsyncIntervalMs", { min: 10, max: 3_600_000 }),
  },
  breakers: {
    loss_limit_usd_e8: K("e8", "lossLimitE8"),
    max_errors: K("int", "maxErrors", { min: 1, max: 1_000_000 }),
    error_window_ms: K("int", "errorWindowMs", { min: 1, max: 86_400_000 }),
    stale_data_ms: K("int", "staleDataMs", { min: 1, max: 86_400_000 }),
    price_move_bps: K("int", "priceMoveBps", { min: 1, max: 10_000 }),
    price_move_window_ms: K("int", "priceMoveWindowMs", { min: 1, max: 86_400_000 }),
    reset: K("string", "reset", { options: ["manual", "cooldown"] }),
    cooldown_ms: K("int", "cooldownMs", { min: 0, max: 86_400_000 }),
  },
};

/**
 * Reads the execution tables from a TOML file (AP_CONFIG, then ./ap.toml if present) and the environment. Other
 * tables of the file are left to src/core/config.ts. Unknown keys in these three tables and bad values are
 * ConfigErrors naming the key, the value and where it came from.
 */
export function loadExecutionConfig(
  options: { path?: string; env?: Record<string, string | undefined>; cwd?: string } = {},
): ExecutionServiceConfig {
  const env = options.env ?? process.env;
  const path = options.path || env.AP_CONFIG || `${options.cwd ?? process.cwd()}/ap.toml`;
  let file: Record<string, unknown> = {};
  if (existsSync(path)) file = Bun.TOML.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
  else if (options.path || env.AP_CONFIG) {
    throw new ConfigError({ code: "ConfigNotFound", message: `config file ${path} does not exist`, facts: { path } });
  }
  return parseExecutionConfig(file, env, existsSync(path) ? path : "");
}

export function parseExecutionConfig(
  file: Record<string, unknown>,
  env: Record<string, string | undefined> = {},
  source = "",
): ExecutionServiceConfig {
  const out = {
    runDir: String(env.AP_RUN_DIR ?? file.run_dir ?? ""),
    risk: { ...DEFAULT_RISK },
    execution: { ...DEFAULT_EXECUTION },
    breakers: { ...DEFAULT_BREAKERS },
  };
  for (const table of ["risk", "execution", "breakers"] as const) {
    const keys = EXECUTION_CONFIG_KEYS[table];
    const fromFile = (file[table] ?? {}) as Record<string, unknown>;
    for (const k of Object.keys(fromFile)) {
      if (!(k in keys)) {
        throw new ConfigError({
          code: "UnknownConfigKey",
          message: `unknown key "${table}.${k}" in ${source || "config"}`,
          facts: { key: `${table}.${k}` },
          hint: `known: ${Object.keys(keys)
            .map((x) => `${table}.${x}`)
            .join(", ")}`,
        });
      }
    }
    const target = out[table] as unknown as Record<string, unknown>;
    for (const [key, spec] of Object.entries(keys)) {
      const variable = `AP_${table.toUpperCase()}_${key.toUpperCase()}`;
      let value: unknown = fromFile[key];
      let origin = source || "config";
      if (env[variable] !== undefined && env[variable] !== "") {
        value = env[variable];
        origin = variable;
      }
      if (value === undefined) continue;
      target[spec.field] = checkValue(`${table}.${key}`, spec, value, origin);
    }
  }
  return out;
}

function checkValue(name: string, spec: Key, value: unknown, origin: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError({
      code: "InvalidConfig",
      message: `${name} = ${JSON.stringify(String(value))} (from ${origin}): expected ${expected}`,
      facts: { key: name, value: String(value), origin, expected },
    });
  };
  const text = String(value);
  switch (spec.kind) {
    case "e8":
      // TOML integers arrive as number (exact up to 2^53) or bigint; text from the environment must be digits.
      if (!/^\d+$/.test(text)) fail("a non-negative integer (USD e8)");
      return BigInt(text);
    case "int": {
      if (!/^-?\d+$/.test(text)) fail("an integer");
      const n = Number(text);
      if (n < (spec.min ?? 0) || n > (spec.max ?? Number.MAX_SAFE_INTEGER))
        fail(`an integer in ${spec.min}..${spec.max}`);
      return n;
    }
    case "bool":
      if (text !== "true" && text !== "false") fail("true or false");
      return text === "true";
    default:
      if (spec.options && !spec.options.includes(text)) fail(`one of ${spec.options.join(", ")}`);
      return text;
  }
}
