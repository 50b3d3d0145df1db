import { chmodSync, lstatSync, unlinkSync } from "node:fs";
import { dirname } from "node:path";
import type { SocketHandler, UnixSocketListener } from "bun";
import { TransportError } from "./errors.ts";
import { ensureRunDir } from "./run-dir.ts";

/** sun_path is 108 bytes on Linux (104 on macOS), NUL included. */
const MAX_UNIX_PATH = 103;

export interface ListenUnixOptions<Data> {
  path: string;
  socket: SocketHandler<Data, "uint8array">;
}

/**
 * Listens on a unix socket in a private run directory (created 0700 if missing, refused if wider), with the socket
 * file at 0600: the umask is narrowed around bind() (listen is synchronous, so no other code runs meanwhile) and the
 * mode set again after, whatever the platform did.
 *
 * A socket file left by a process killed with SIGKILL is detected by connecting to it: refused means stale, and it
 * is removed; accepted means another process serves that path, and that is an error (never two relays on one path).
 */
export async function listenUnix<Data>(options: ListenUnixOptions<Data>): Promise<UnixSocketListener<Data>> {
  const { path } = options;
  if (Buffer.byteLength(path) > MAX_UNIX_PATH) {
    throw new TransportError({
      code: "SocketPathTooLong",
      message: `socket path is ${Buffer.byteLength(path)} bytes, unix sockets allow ${MAX_UNIX_PATH}`,
      facts: { path, length: Buffer.byteLength(path), max: MAX_UNIX_PATH },
      hint: "use a shorter run directory (AP_RUN_DIR)",
    });
  }
  ensureRunDir(dirname(path));
  await removeStaleSocket(path);
  const oldMask = process.umask(0o177);
  let listener: UnixSocketListener<Data>;
  try {
    listener = Bun.listen<Data>({ unix: path, socket: options.socket as unknown as SocketHandler<Data> });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(path, 0o600);
  return listener;
}

async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) {
    throw new TransportError({
      code: "SocketPathOccupied",
      message: `${path} exists and is not a socket`,
      facts: { path },
      hint: "remove it or choose another socket path",
    });
  }
  const alive = await Bun.connect({ unix: path, socket: { data() {}, connectError() {} } }).then(
    (s) => {
      s.end();
      return true;
    },
    () => false,
  );
  if (alive) {
    throw new TransportError({
      code: "SocketInUse",
      message: `another process is listening on ${path}`,
      facts: { path },
      hint: "stop the running relay first (ap down), or choose another socket path",
    });
  }
  unlinkSync(path);
}
