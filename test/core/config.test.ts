import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, parseConfig } from "../../src/core/config.ts";
import { ConfigError } from "../../src/core/errors.ts";

describe("loadConfig", () => {
  test("needs no file: every key has a default", () => {
    const c = loadConfig({ env: {}, cwd: tmpdir() });
    expect(c.source).toBe("");
    expect(c.supervisor.stopTimeoutMs).toBe(5000);
    expect(c.relays.enabled).toEqual(["market-data", "signal", "execution"]);
  });

  test("reads ./ap.toml, and the environment overrides the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "ap-cfg-"));
    try {
      writeFileSync(
        join(dir, "ap.toml"),
        `run_dir = "/tmp/r"\n[supervisor]\nstop_timeout_ms = 2000\n[relays]\nenabled = ["signal"]\n`,
      );
      const c = loadConfig({ env: { AP_SUPERVISOR_STOP_TIMEOUT_MS: "3000" }, cwd: dir });
      expect(c.source).toBe(join(dir, "ap.toml"));
      expect(c.runDir).toBe("/tmp/r");
      expect(c.supervisor.stopTimeoutMs).toBe(3000);
      expect(c.relays.enabled).toEqual(["signal"]);
      expect(loadConfig({ env: { AP_RELAYS_ENABLED: "market-data, execution" }, cwd: dir }).relays.enabled).toEqual([
        "market-data",
        "execution",
      ]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  test("errors name the key, the value, where it came from and the allowed range", () => {
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ConfigError);
        return (e as ConfigError).toLine();
      }
      throw new Error("no error");
    };
    expect(err(() => parseConfig({ supervisor: { stop_timeout_ms: 5 } }, {}, "ap.toml"))).toMatchInlineSnapshot(
      `"InvalidConfig: supervisor.stop_timeout_ms = 5 (from ap.toml): expected an integer in 100..600000 (key=supervisor.stop_timeout_ms, value=5, origin=ap.toml, expected=an integer in 100..600000); hint: SIGTERM grace period before SIGKILL"`,
    );
    expect(err(() => parseConfig({}, { AP_SUPERVISOR_READY_TIMEOUT_MS: "soon" }))).toContain(
      "(from AP_SUPERVISOR_READY_TIMEOUT_MS)",
    );
    expect(err(() => parseConfig({ supervisr: {} }, {}, "ap.toml"))).toContain('unknown key "supervisr" in ap.toml');
    expect(err(() => parseConfig({ supervisor: { stop_timeout: 1 } }, {}, "ap.toml"))).toContain(
      "known: supervisor.ready_timeout_ms",
    );
    expect(err(() => parseConfig({ relays: { enabled: ["market-data", "orders"] } }, {}))).toContain(
      "a list of market-data, signal, execution",
    );
    expect(err(() => loadConfig({ path: "/nonexistent/ap.toml", env: {} }))).toContain("ConfigNotFound");
  });
});
