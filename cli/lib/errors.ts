import { ApError, ConfigError } from "../../src/core/errors.ts";

/** Exit codes of ap's commands. */
export const Exit = { Ok: 0, Failure: 1, Usage: 2, Config: 3 } as const;

/**
 * Prints an error as one line on stderr (never a stack trace for a user mistake) and exits. Unexpected errors
 * (bugs) keep their stack so they can be reported.
 */
export function exitWithError(
  error: unknown,
  code: number = error instanceof ConfigError ? Exit.Config : Exit.Failure,
): never {
  if (error instanceof ApError) {
    process.stderr.write(`ap: ${error.toLine()}\n`);
  } else {
    process.stderr.write(
      `ap: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(code);
}

/** Runs a command body; ApErrors become one line and a non-zero exit code. */
export async function guard(body: () => unknown | Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (e) {
    exitWithError(e);
  }
}
