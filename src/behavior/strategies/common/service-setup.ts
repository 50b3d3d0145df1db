import { existsSync, readFileSync } from "node:fs";
import { type ConsolaInstance, createConsola } from "consola";
import { ApError } from "../../../core/errors.ts";

/** A strategy service's logger: stderr (stdout carries the supervisor's ready/stats lines), tagged by strategy. */
export function strategyLogger(tag: string): ConsolaInstance {
  // An explicit level: consola goes silent under a test runner's NODE_ENV=test otherwise.
  const level = Number(process.env.AP_LOG_LEVEL ?? 3);
  return createConsola({ level, stdout: process.stderr, stderr: process.stderr }).withTag(tag);
}

/** One line on stderr, exit 1: how a strategy refuses to start (bad config, unreadable file). */
export function failStart(log: ConsolaInstance, message: string): never {
  log.error(message);
  process.exit(1);
}

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
