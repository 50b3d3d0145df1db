import { join } from "node:path";
import type { UnixSocketListener } from "bun";
import { ApError } from "../../core/errors.ts";
import { listenUnix } from "../transport/listen-unix.ts";

/**
 * The supervisor's control socket, `<runDir>/supervisor.sock` (0600 in the 0700 run dir): one JSON request per line,
 * one JSON reply per line. Used by ap status / restart / down, and by `ap up` to see whether ap already runs.
 */
export type ControlRequest =
  | { cmd: "ping" }
  | { cmd: "status" }
  | { cmd: "restart"; service: string }
  | { cmd: "down" };
export type ControlReply =
  | { ok: true; [k: string]: unknown }
  | { ok: false; error: { code: string; message: string; hint?: string } };

export function controlSocketPath(runDir: string): string {
  return join(runDir, "supervisor.sock");
}

type Conn = { buf: string };

export async function serveControl(
  runDir: string,
  handle: (req: ControlRequest) => Promise<Record<string, unknown>>,
): Promise<UnixSocketListener<Conn>> {
  return listenUnix<Conn>({
    path: controlSocketPath(runDir),
    socket: {
      open(s) {
        s.data = { buf: "" };
      },
      data(s, chunk) {
        s.data.buf += new TextDecoder().decode(chunk);
        let nl = s.data.buf.indexOf("\n");
        while (nl >= 0) {
          const line = s.data.buf.slice(0, nl);
          s.data.buf = s.data.buf.slice(nl + 1);
          nl = s.data.buf.indexOf("\n");
          let req: ControlRequest;
          try {
            req = JSON.parse(line) as ControlRequest;
          } catch {
            s.write(`${JSON.stringify({ ok: false, error: { code: "BadRequest", message: "not JSON" } })}\n`);
            continue;
          }
          handle(req).then(
            (reply) => s.write(`${JSON.stringify({ ok: true, ...reply })}\n`),
            (e: unknown) => {
              const error =
                e instanceof ApError
                  ? { code: e.code, message: e.message, hint: e.hint }
                  : { code: "Internal", message: String(e) };
              s.write(`${JSON.stringify({ ok: false, error })}\n`);
            },
          );
        }
      },
    },
  });
}

/**
 * Sends one request and resolves with the reply; resolves undefined when no supervisor listens (no socket, or a
 * stale one). `timeoutMs` bounds a supervisor that accepts but never answers.
 */
export async function controlRequest(
  runDir: string,
  req: ControlRequest,
  timeoutMs = 30_000,
): Promise<ControlReply | undefined> {
  return new Promise((resolve) => {
    let buf = "";
    let settled = false;
    const done = (v: ControlReply | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(
      () => done({ ok: false, error: { code: "Timeout", message: `no reply within ${timeoutMs} ms` } }),
      timeoutMs,
    );
    Bun.connect<undefined>({
      unix: controlSocketPath(runDir),
      socket: {
        open(s) {
          s.write(`${JSON.stringify(req)}\n`);
        },
        data(s, chunk) {
          buf += new TextDecoder().decode(chunk);
          const nl = buf.indexOf("\n");
          if (nl >= 0) {
            done(JSON.parse(buf.slice(0, nl)) as ControlReply);
            s.end();
          }
        },
        close() {
          done(undefined);
        },
        connectError() {
          done(undefined);
        },
      },
    }).catch(() => done(undefined));
  });
}
