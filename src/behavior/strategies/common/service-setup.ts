import { existsSync, readFileSync } from "node:fs";
import type { ConsolaInstance } from "consola";
import { ApError } from "../../../core/errors.ts";
import { failStart, serviceLogger } from "../../supervisor/service-report.ts";

/** The strategies' logger: the services' own (stderr, tagged). */
export const strategyLogger = serviceLogger;

/**
 * A strategy's table `[strategies.<name>]` from --config, AP_CONFIG or ./ap.toml (the file is optional), with
 * `deterministic` forced on by the flag, resolved by the strategy's own config reader; any mistake stops the start.
 */
export function loadStrategyTable<T>(
  log: ConsolaInstance,
  name: string,
  options: { config?: string; deterministic?: boolean },
  resolve: (table: Record<string, unknown>) => T,
): T {
  let table: Record<string, unknown> = {};
  const path = options.config ?? process.env.AP_CONFIG ?? (existsSync("ap.toml") ? "ap.toml" : undefined);
  if (path !== undefined) {
    try {
      const toml = Bun.TOML.parse(readFileSync(path, "utf8")) as Record<string, Record<string, unknown>>;
      table = (toml.strategies?.[name] as Record<string, unknown>) ?? {};
    } catch (e) {
      failStart(log, `cannot read ${path}: ${(e as Error).message}`);
    }
  }
  if (options.deterministic) table = { ...table, deterministic: true };
  try {
    return resolve(table);
  } catch (e) {
    return failStart(log, e instanceof ApError ? e.toLine() : String(e));
  }
}
