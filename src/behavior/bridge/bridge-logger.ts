import { type ConsolaInstance, createConsola, type LogObject } from "consola/core";

/**
 * The bridge's logger: `time level [bridge] message` lines on stderr (stdout carries the ready and stats lines), every
 * line passed through `redact` first, so a credential that slipped into an error text never reaches a log.
 */
export function createBridgeLogger(redact: (text: string) => string, level = 3): ConsolaInstance {
  const stderr = Bun.stderr.writer();
  const reporter = {
    log(entry: LogObject): void {
      const message = entry.args.map((a) => (a instanceof Error ? a.message : String(a))).join(" ");
      stderr.write(redact(`${entry.date.toISOString()} ${entry.type} [${entry.tag}] ${message}\n`));
      stderr.flush();
    },
  };
  return createConsola({ level, reporters: [reporter] }).withTag("bridge");
}
