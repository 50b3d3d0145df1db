import { join, resolve } from "node:path";

/** Running the npm bin as a user does: `node bin/ap.js <args>`. */
export const ROOT = resolve(import.meta.dir, "../..");
export const AP_BIN = join(ROOT, "bin/ap.js");

export interface ApOptions {
  /** Working directory (default: this process's). */
  cwd?: string;
  /** The whole environment of the child (default: this process's). */
  env?: Record<string, string | undefined>;
  /** Text on its standard input (default: none). */
  stdin?: string;
  /** The node executable (default: `node` on the PATH). */
  node?: string;
}

/** `node bin/ap.js <args>` started, stdout and stderr piped. */
export function spawnAp(args: string[], options: ApOptions = {}) {
  return Bun.spawn([options.node ?? "node", AP_BIN, ...args], {
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "ignore" : new TextEncoder().encode(options.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: options.env,
  });
}

/** `node bin/ap.js <args>` run to its end: what it wrote and its exit code. */
export async function runAp(
  args: string[],
  options: ApOptions = {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  const proc = spawnAp(args, options);
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}
