import { defaultRunDir } from "../../src/behavior/transport/run-dir.ts";
import { type ApConfig, loadConfig } from "../../src/core/config.ts";

/** Configuration and run directory shared by up, status, logs, down and restart. */
export function systemContext(configPath?: string): { config: ApConfig; runDir: string } {
  const config = loadConfig({ path: configPath });
  return { config, runDir: config.runDir || defaultRunDir() };
}

export const configArg = {
  config: { type: "string", description: "TOML config file (default: AP_CONFIG, then ./ap.toml if present)" },
} as const;
