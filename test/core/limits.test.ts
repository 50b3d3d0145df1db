import { describe, expect, test } from "bun:test";
import { join, resolve } from "node:path";
import { ConfigError } from "../../src/core/errors.ts";
import { DEFAULT_LIMITS, LIMIT_VARIABLES, readLimits } from "../../src/core/limits.ts";

const LEVELS = "ALPHAPULSE_MAX_ORDER_LEVELS";
const TOKENS = "ALPHAPULSE_MAX_POOL_TOKENS";

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

describe("readLimits", () => {
  test("defaults are 50 order levels and 8 pool tokens (PROTOCOL.md §7)", () => {
    expect(readLimits({})).toEqual({ maxOrderLevels: 50, maxPoolTokens: 8 });
    expect(DEFAULT_LIMITS).toEqual({ maxOrderLevels: 50, maxPoolTokens: 8 });
  });

  test("an empty variable means the default", () => {
    expect(readLimits({ [LEVELS]: "", [TOKENS]: "" })).toEqual(DEFAULT_LIMITS);
  });

  test("valid values are read, bounds included", () => {
    expect(readLimits({ [LEVELS]: "1", [TOKENS]: "2" })).toEqual({ maxOrderLevels: 1, maxPoolTokens: 2 });
    expect(readLimits({ [LEVELS]: "1000", [TOKENS]: "32" })).toEqual({ maxOrderLevels: 1000, maxPoolTokens: 32 });
    expect(readLimits({ [LEVELS]: "200" })).toEqual({ maxOrderLevels: 200, maxPoolTokens: 8 });
    expect(readLimits({ [TOKENS]: "16" })).toEqual({ maxOrderLevels: 50, maxPoolTokens: 16 });
  });

  test("other variables in the environment are ignored", () => {
    expect(readLimits({ PATH: "/bin", ALPHAPULSE_OTHER: "x" })).toEqual(DEFAULT_LIMITS);
  });

  test.each([
    [LEVELS, "0", "1..1000"],
    [LEVELS, "1001", "1..1000"],
    [LEVELS, "abc", "1..1000"],
    [LEVELS, "1.5", "1..1000"],
    [LEVELS, "-3", "1..1000"],
    [LEVELS, "1e3", "1..1000"],
    [LEVELS, " 50", "1..1000"],
    [LEVELS, "0x10", "1..1000"],
    [LEVELS, "99999999999", "1..1000"],
    [TOKENS, "33", "2..32"],
    [TOKENS, "1", "2..32"],
    [TOKENS, "0", "2..32"],
    [TOKENS, "eight", "2..32"],
  ])(
    "%s=%p is refused with a ConfigError naming the variable, the value and the range %s",
    (variable, value, range) => {
      const e = configError(() => readLimits({ [variable]: value }));
      expect(e.code).toBe("InvalidLimit");
      expect(e.message).toBe(`${variable}=${JSON.stringify(value)} is not an integer in ${range}`);
      const spec = LIMIT_VARIABLES[variable as keyof typeof LIMIT_VARIABLES];
      expect(e.facts).toEqual({ variable, value, min: spec.min, max: spec.max, default: spec.default });
    },
  );

  test("the error is one line with the variable, the value, the range and how to fix it", () => {
    expect(configError(() => readLimits({ [LEVELS]: "0" })).toLine()).toMatchInlineSnapshot(
      `"InvalidLimit: ALPHAPULSE_MAX_ORDER_LEVELS="0" is not an integer in 1..1000 (variable=ALPHAPULSE_MAX_ORDER_LEVELS, value=0, min=1, max=1000, default=50); hint: unset it for the default 50, or give a whole number from 1 to 1000"`,
    );
    expect(configError(() => readLimits({ [TOKENS]: "33" })).toLine()).toMatchInlineSnapshot(
      `"InvalidLimit: ALPHAPULSE_MAX_POOL_TOKENS="33" is not an integer in 2..32 (variable=ALPHAPULSE_MAX_POOL_TOKENS, value=33, min=2, max=32, default=8); hint: unset it for the default 8, or give a whole number from 2 to 32"`,
    );
  });

  test("reads process.env when no environment is given", () => {
    const saved = process.env[LEVELS];
    process.env[LEVELS] = "7";
    try {
      expect(readLimits().maxOrderLevels).toBe(7);
    } finally {
      if (saved === undefined) delete process.env[LEVELS];
      else process.env[LEVELS] = saved;
    }
  });
});

describe("limits at start-up of a real process", () => {
  const ROOT = resolve(import.meta.dir, "../..");
  /** The heartbeat_small_extended_form vector: a valid frame. */
  const HEARTBEAT =
    "efbeadde04015000020000000000000015cd853dfe9c9717150000000cade979ff0064100015cd853dfe9c97170000000000000000";

  async function apDecode(env: Record<string, string>) {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("ALPHAPULSE_")));
    const proc = Bun.spawn([process.execPath, join(ROOT, "bin/ap.js"), "decode", HEARTBEAT], {
      cwd: ROOT,
      env: { ...clean, ...env },
      stdout: "pipe",
      stderr: "pipe",
    });
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    return { stdout, stderr, code };
  }

  test("an invalid limit stops `ap` with exit code 3 and one stderr line naming variable, value and range", async () => {
    const r = await apDecode({ [TOKENS]: "1" });
    expect(r.code).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain('ALPHAPULSE_MAX_POOL_TOKENS="1" is not an integer in 2..32');
  });

  test("valid limits at the top of their ranges let `ap` start and decode", async () => {
    const r = await apDecode({ [LEVELS]: "1000", [TOKENS]: "32" });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Heartbeat");
  });
});
