import { existsSync, readFileSync } from "node:fs";
import { ConfigError } from "./errors.ts";

/**
 * ap's configuration: one TOML file (`ap.toml` in the working directory, or --config / AP_CONFIG), every key
 * overridable from the environment as AP_<SECTION>_<KEY> (AP_SUPERVISOR_STOP_TIMEOUT_MS=2000; top-level keys as
 * AP_<KEY>, e.g. AP_RUN_DIR). Every key has a default, so no file is needed. Validated once at start-up: an unknown
 * key, a wrong type or a value out of range is a ConfigError naming the key, the value, where it came from and the
 * allowed range. Later issues add sections (venues, strategies, risk) to SPEC.
 */
type IntSpec = { kind: "int"; min: number; max: number; default: number; doc: string };
type StrSpec = { kind: "string"; default: string; doc: string; pattern?: RegExp };
type ListSpec = { kind: "list"; options: readonly string[]; default: readonly string[]; doc: string };
type BoolSpec = { kind: "bool"; default: boolean; doc: string };
type KeySpec = IntSpec | StrSpec | ListSpec | BoolSpec;

const int = (min: number, max: number, def: number, doc: string): IntSpec => ({
  kind: "int",
  min,
  max,
  default: def,
  doc,
});

export const CONFIG_SPEC = {
  "": {
    run_dir: {
      kind: "string",
      default: "",
      doc: "run directory (sockets, logs, pid); default $XDG_RUNTIME_DIR/ap or /tmp/ap-<uid>",
    } as StrSpec,
    profile: {
      kind: "string",
      default: "demo",
      pattern: /^(demo|live|relays)$/,
      doc: "what ap up runs: demo (recorded data through local replay venues), live (real venues' public feeds), relays (the bus only)",
    } as StrSpec,
  },
  demo: {
    cex_speed: {
      kind: "string",
      default: "1x",
      pattern: /^(max|\d+(\.\d+)?x?)$/,
      doc: "replay speed of the CEX captures (1x, 10x, max)",
    } as StrSpec,
    dex_speed: {
      kind: "string",
      default: "30x",
      pattern: /^(max|\d+(\.\d+)?x?)$/,
      doc: "replay speed of the Polygon capture (block times)",
    } as StrSpec,
    loop: { kind: "bool", default: true, doc: "start the captures over when they end" } as BoolSpec,
  },
  dashboard: {
    port: int(0, 65_535, 0, "dashboard port on 127.0.0.1 (0: a free port, printed by ap up)"),
  },
  supervisor: {
    ready_timeout_ms: int(100, 120_000, 10_000, "how long a service may take to report ready"),
    stop_timeout_ms: int(100, 600_000, 5_000, "SIGTERM grace period before SIGKILL"),
    restart_backoff_ms: int(10, 60_000, 200, "first restart delay after a crash (doubles per crash)"),
    restart_backoff_max_ms: int(100, 600_000, 10_000, "largest restart delay"),
    crash_loop_restarts: int(2, 1000, 5, "crashes within the window that make a crash loop"),
    crash_loop_window_ms: int(1_000, 3_600_000, 60_000, "window for counting crashes"),
    stats_interval_ms: int(100, 60_000, 1_000, "how often services report their counters"),
  },
  relays: {
    enabled: {
      kind: "list",
      options: ["market-data", "signal", "execution"],
      default: ["market-data", "signal", "execution"],
      doc: "relays `ap up` starts",
    } as ListSpec,
    max_queue_bytes: int(
      65_536,
      1_073_741_824,
      8_388_608,
      "per-subscriber queue limit; a subscriber past it is disconnected",
    ),
  },
} as const satisfies Record<string, Record<string, KeySpec>>;

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type ValueOf<S extends KeySpec> = S extends IntSpec
  ? number
  : S extends ListSpec
    ? string[]
    : S extends BoolSpec
      ? boolean
      : string;
type Section<T extends Record<string, KeySpec>> = { readonly [K in keyof T & string as Camel<K>]: ValueOf<T[K]> };

export type ApConfig = Section<(typeof CONFIG_SPEC)[""]> & {
  readonly demo: Section<(typeof CONFIG_SPEC)["demo"]>;
  readonly dashboard: Section<(typeof CONFIG_SPEC)["dashboard"]>;
  readonly supervisor: Section<(typeof CONFIG_SPEC)["supervisor"]>;
  readonly relays: Section<(typeof CONFIG_SPEC)["relays"]>;
  /** Tables validated by the services that own them (OWNED_SECTIONS), as parsed. */
  readonly owned: Readonly<Record<string, unknown>>;
  /** Where the file came from ("" when no file). */
  readonly source: string;
};

/**
 * Tables that belong to one service and are validated by it when it starts (it reads the same file): execution
 * ([risk], [execution], [breakers], [onchain]), strategies ([strategies.<name>]), collectors ([venues.<venue>]) and
 * the NATS bridge ([bridge]).
 */
export const OWNED_SECTIONS = ["risk", "execution", "breakers", "strategies", "venues", "bridge", "onchain"] as const;

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const envName = (section: string, key: string) =>
  `AP_${section ? `${section.toUpperCase()}_` : ""}${key.toUpperCase()}`;

/** Loads and validates the configuration; `path` defaults to AP_CONFIG, then ./ap.toml if it exists. */
export function loadConfig(
  options: { path?: string; env?: Record<string, string | undefined>; cwd?: string } = {},
): ApConfig {
  const env = options.env ?? process.env;
  const explicit = options.path || env.AP_CONFIG || undefined;
  const path = explicit ?? `${options.cwd ?? process.cwd()}/ap.toml`;
  let file: Record<string, unknown> = {};
  let source = "";
  if (explicit !== undefined || existsSync(path)) {
    if (!existsSync(path)) {
      throw new ConfigError({
        code: "ConfigNotFound",
        message: `config file ${path} does not exist`,
        facts: { path },
        hint: "give an existing file, or none for the defaults",
      });
    }
    try {
      file = Bun.TOML.parse(readFileSync(path, "utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new ConfigError({
        code: "ConfigSyntax",
        message: `${path} is not valid TOML: ${(e as Error).message}`,
        facts: { path },
      });
    }
    source = path;
  }
  return parseConfig(file, env, source);
}

/** Validates a parsed TOML document plus environment overrides against CONFIG_SPEC. */
export function parseConfig(
  file: Record<string, unknown>,
  env: Record<string, string | undefined>,
  source = "",
): ApConfig {
  const owned: Record<string, unknown> = {};
  const out: Record<string, unknown> = { source, owned };
  const where = source || "config";
  for (const key of Object.keys(file)) {
    if ((OWNED_SECTIONS as readonly string[]).includes(key)) {
      owned[key] = file[key];
      continue;
    }
    const isSection = key in CONFIG_SPEC && key !== "";
    const isTop = key in CONFIG_SPEC[""];
    if (!isSection && !isTop) {
      const known = [...Object.keys(CONFIG_SPEC[""]), ...Object.keys(CONFIG_SPEC).filter(Boolean), ...OWNED_SECTIONS];
      unknownKey(where, key, known);
    }
  }
  for (const [section, keys] of Object.entries(CONFIG_SPEC) as [string, Record<string, KeySpec>][]) {
    const fromFile = (section ? file[section] : file) as Record<string, unknown> | undefined;
    if (
      section &&
      fromFile !== undefined &&
      (typeof fromFile !== "object" || fromFile === null || Array.isArray(fromFile))
    ) {
      throw new ConfigError({
        code: "ConfigType",
        message: `[${section}] must be a table`,
        facts: { section, source: where },
      });
    }
    if (section && fromFile)
      for (const k of Object.keys(fromFile))
        if (!(k in keys))
          unknownKey(
            where,
            `${section}.${k}`,
            Object.keys(keys).map((x) => `${section}.${x}`),
          );
    const target: Record<string, unknown> = {};
    for (const [key, spec] of Object.entries(keys)) {
      const name = section ? `${section}.${key}` : key;
      const variable = envName(section, key);
      const raw = env[variable];
      let value: unknown = spec.default;
      let origin = "default";
      if (fromFile && key in fromFile) {
        value = fromFile[key];
        origin = where;
      }
      if (raw !== undefined && raw !== "") {
        value = fromEnv(spec, raw);
        origin = variable;
      }
      target[camel(key)] = check(spec, name, value, origin);
    }
    if (section) out[camel(section)] = target;
    else Object.assign(out, target);
  }
  return out as ApConfig;
}

/** Environment text to the key's type; what does not convert is left as text for check() to refuse. */
function fromEnv(spec: KeySpec, raw: string): unknown {
  if (spec.kind === "int") return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (spec.kind === "list")
    return raw
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean);
  if (spec.kind === "bool") return raw === "true" || raw === "1" ? true : raw === "false" || raw === "0" ? false : raw;
  return raw;
}

function check(spec: KeySpec, name: string, value: unknown, origin: string): unknown {
  const fail = (expected: string): never => {
    throw new ConfigError({
      code: "InvalidConfig",
      message: `${name} = ${JSON.stringify(value)} (from ${origin}): expected ${expected}`,
      facts: { key: name, value: JSON.stringify(value), origin, expected },
      hint: spec.doc,
    });
  };
  if (spec.kind === "int") {
    if (typeof value !== "number" || !Number.isInteger(value) || value < spec.min || value > spec.max)
      fail(`an integer in ${spec.min}..${spec.max}`);
    return value;
  }
  if (spec.kind === "bool") {
    if (typeof value !== "boolean") fail("true or false");
    return value;
  }
  if (spec.kind === "list") {
    if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || !spec.options.includes(v)))
      fail(`a list of ${spec.options.join(", ")}`);
    return [...(value as string[])];
  }
  if (typeof value !== "string" || (spec.pattern && !spec.pattern.test(value))) {
    fail(spec.pattern ? `a string matching ${spec.pattern}` : "a string");
  }
  return value;
}

function unknownKey(where: string, key: string, known: string[]): never {
  throw new ConfigError({
    code: "UnknownConfigKey",
    message: `unknown key "${key}" in ${where}`,
    facts: { key, source: where },
    hint: `known: ${known.join(", ")}`,
  });
}
