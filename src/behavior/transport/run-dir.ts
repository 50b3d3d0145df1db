import { chmodSync, lstatSync, mkdirSync, type Stats } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TransportError } from "./errors.ts";

/**
 * The run directory holds the relays' sockets. Only its owner may enter it (mode 0700): a unix socket's own mode is
 * not honoured by every system, the directory's is, so the directory is the real fence and the 0600 sockets inside
 * are the second one.
 */
export function defaultRunDir(env: Record<string, string | undefined> = process.env): string {
  if (env.AP_RUN_DIR) return env.AP_RUN_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "ap");
  return join(tmpdir(), `ap-${process.getuid?.() ?? "user"}`);
}

/**
 * Creates `dir` (and missing parents) with mode 0700, or checks an existing one: it must be a directory owned by
 * this user with no permission for group or others. An existing directory with a wider mode is refused rather than
 * silently changed, since something else may rely on it (pass a fresh directory, or chmod 700 it).
 */
export function ensureRunDir(dir: string): string {
  let st = lstatOrUndefined(dir);
  if (st === undefined) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700); // mkdir's mode is filtered by the umask
    st = lstatSync(dir);
  }
  if (!st.isDirectory()) {
    throw new TransportError({
      code: "RunDirNotDirectory",
      message: `run directory ${dir} exists and is not a directory`,
      facts: { path: dir },
      hint: "choose another run directory (AP_RUN_DIR)",
    });
  }
  const uid = process.getuid?.();
  const mode = st.mode & 0o777;
  if ((uid !== undefined && st.uid !== uid) || (mode & 0o077) !== 0) {
    throw new TransportError({
      code: "RunDirNotPrivate",
      message: `run directory ${dir} has mode ${mode.toString(8).padStart(4, "0")} and owner uid ${st.uid}`,
      facts: { path: dir, mode: `0${mode.toString(8)}`, owner_uid: st.uid, uid },
      likelyCause: "the sockets would be reachable by other users",
      hint: `use a directory only you can enter: chmod 700 ${dir}, or set AP_RUN_DIR to a new path`,
    });
  }
  return dir;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}
