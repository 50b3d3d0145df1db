import type { Server, ServerWebSocket } from "bun";
import { ApError } from "../../core/errors.ts";
import { FrameBuilder } from "../../rules/builder.ts";
import type { FrameParser } from "../../rules/parser.ts";
import { sendControl } from "../execution/control-client.ts";
import { RELAY_CONFIGS, type RelayName } from "../relay/relay-configs.ts";
import { controlRequest } from "../supervisor/control.ts";
import { BusClient, Role } from "../transport/bus-client.ts";
import { DashboardError } from "./errors.ts";
import { FrameCoalescer, type FrameCoalescerOptions } from "./frame-coalescer.ts";
import { buildPageBundle, type PageBundle } from "./page-bundle.ts";
import { buildStatusFrame, type DashboardStatus, type ServiceRow } from "./status-frame.ts";
import { bearerMatches } from "./token.ts";

/** The kill-switch call behind POST /api/halt and /api/resume; resolves with what the engine acknowledged. */
export type ControlAction = (
  command: "halt" | "resume",
  params: { reason: string; all: boolean },
) => Promise<{ state: number; timestampNs: bigint }>;

export interface DashboardOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Bearer token for the control actions. */
  token: string;
  /** The relays' sockets. */
  sockets: Record<RelayName, string>;
  /** Where the supervisor's control socket is (for the services table). */
  runDir: string;
  /** How often the throttled frames go out. Default 100 ms (at most 10 updates/s per instrument). */
  flushIntervalMs?: number;
  /** How often the supervisor is asked for its table. Default 1000 ms. */
  statusIntervalMs?: number;
  coalescer?: FrameCoalescerOptions;
  /** Default: sendControl over the execution relay (src/behavior/execution/control-client.ts). */
  control?: ControlAction;
  /** Warnings (a relay frame the dashboard could not use...). */
  onWarning?: (message: string) => void;
}

export interface Dashboard {
  readonly url: string;
  readonly port: number;
  readonly coalescer: FrameCoalescer;
  readonly relays: Record<RelayName, BusClient>;
  readonly page: PageBundle;
  clients(): number;
  stop(): void;
}

/** TLV types the dashboard subscribes to, per relay (heartbeats and kill-switch requests are not for the page). */
const SUBSCRIPTIONS: Record<RelayName, number[]> = {
  "market-data": [1, 2, 3, 4, 6, 10, 11, 12, 13, 15, 16, 18, 19],
  signal: range(20, 39),
  execution: range(40, 79),
};

/** A browser that does not read its WebSocket is disconnected past this (it reconnects and gets a snapshot). */
const WS_BACKPRESSURE_LIMIT = 4 << 20;
const TOPIC = "frames";

/**
 * The dashboard server (docs/dashboard.md): Bun.serve on 127.0.0.1 only, the page bundled at start-up, the three
 * relays read as a subscriber, their frames throttled by a FrameCoalescer and sent to every page as binary
 * WebSocket messages (frames back to back), a status frame every second, and the token-guarded kill switch.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const page = await buildPageBundle();
  const coalescer = new FrameCoalescer(options.coalescer);
  const warn = options.onWarning ?? (() => {});
  const control = options.control ?? defaultControl(options.sockets.execution);
  let handlerErrors = 0;

  const onFrame = (frame: Uint8Array, parser: FrameParser) => {
    // The boundary with the relays: whatever a frame does to the coalescer, the dashboard keeps running.
    try {
      coalescer.push(frame, parser);
    } catch (e) {
      handlerErrors++;
      warn(`frame not used: ${e instanceof ApError ? e.toLine() : String(e)}`);
    }
  };
  const relays = {} as Record<RelayName, BusClient>;
  for (const name of Object.keys(RELAY_CONFIGS) as RelayName[]) {
    relays[name] = new BusClient({
      socketPath: options.sockets[name],
      domain: RELAY_CONFIGS[name].domain,
      source: 60,
      role: Role.Subscriber,
      types: SUBSCRIPTIONS[name],
      name: "dashboard",
      onFrame,
    });
  }

  let lastStatus: Uint8Array | undefined;
  let supervisor: DashboardStatus["supervisor"] = null;
  const statusBuilder = new FrameBuilder({ domain: 4, source: 60 });
  const host = "127.0.0.1";
  let server: Server<undefined>;
  try {
    server = serve();
  } catch (e) {
    for (const r of Object.values(relays)) r.close();
    throw new DashboardError({
      code: "ListenFailed",
      message: `cannot listen on ${host}:${options.port ?? 0}: ${(e as Error).message}`,
      facts: { host, port: options.port ?? 0 },
      hint: "choose another --port, or 0 for a free one",
    });
  }

  function serve(): Server<undefined> {
    return Bun.serve<undefined>({
      hostname: host,
      port: options.port ?? 0,
      async fetch(request, srv) {
        const url = new URL(request.url);
        // DNS rebinding: a page from another origin resolving its name to 127.0.0.1 still sends its own Host.
        const hostHeader = request.headers.get("host");
        if (hostHeader !== `${host}:${srv.port}` && hostHeader !== `localhost:${srv.port}`) {
          return json(421, {
            ok: false,
            error: { code: "WrongHost", message: `Host ${hostHeader} is not served here` },
          });
        }
        if (url.pathname === "/ws") {
          const origin = request.headers.get("origin");
          if (origin !== null && origin !== `http://${hostHeader}`) {
            return json(403, { ok: false, error: { code: "WrongOrigin", message: `Origin ${origin} refused` } });
          }
          return srv.upgrade(request) ? undefined : json(400, { ok: false, error: { code: "NotWebSocket" } });
        }
        if (request.method === "GET") {
          if (url.pathname === "/" || url.pathname === "/index.html") return asset(page.html, "text/html", srv.port);
          if (url.pathname === "/app.js") return asset(page.js, "text/javascript", srv.port);
          if (url.pathname === "/app.css") return asset(page.css, "text/css", srv.port);
          if (url.pathname === "/api/health") return json(200, { ok: true, clients: srv.subscriberCount(TOPIC) });
        }
        if (url.pathname === "/api/halt" || url.pathname === "/api/resume") {
          if (request.method !== "POST") return json(405, { ok: false, error: { code: "MethodNotAllowed" } });
          return controlRoute(request, url.pathname === "/api/halt" ? "halt" : "resume");
        }
        return json(404, { ok: false, error: { code: "NotFound", message: url.pathname } });
      },
      websocket: {
        backpressureLimit: WS_BACKPRESSURE_LIMIT,
        closeOnBackpressureLimit: true,
        open(ws: ServerWebSocket<undefined>) {
          ws.subscribe(TOPIC);
          const snapshot = coalescer.snapshot();
          if (snapshot.length > 0) ws.sendBinary(snapshot);
          if (lastStatus !== undefined) ws.sendBinary(lastStatus);
        },
        message() {
          // The page only listens.
        },
      },
      error(e) {
        warn(`request failed: ${String(e)}`);
        return json(500, { ok: false, error: { code: "Internal", message: "internal error" } });
      },
    });
  }

  async function controlRoute(request: Request, command: "halt" | "resume"): Promise<Response> {
    if (!bearerMatches(request, options.token)) {
      return json(
        401,
        {
          ok: false,
          error: {
            code: "Unauthorized",
            message: "missing or wrong token",
            hint: "send Authorization: Bearer <token>; ap up prints the token (or set AP_DASHBOARD_TOKEN)",
          },
        },
        { "www-authenticate": "Bearer" },
      );
    }
    let body: { reason?: unknown; all?: unknown } = {};
    try {
      const text = await request.text();
      if (text.length > 0) body = JSON.parse(text) as typeof body;
    } catch {
      return json(400, { ok: false, error: { code: "BadRequest", message: "body is not JSON" } });
    }
    const reason = typeof body.reason === "string" ? body.reason.slice(0, 200) : "dashboard";
    try {
      const ack = await control(command, { reason, all: body.all === true });
      return json(200, {
        ok: true,
        command,
        state: ack.state === 1 ? "tripped" : "reset",
        timestamp_ns: ack.timestampNs.toString(),
      });
    } catch (e) {
      const error =
        e instanceof ApError
          ? { code: e.code, message: e.message, hint: e.hint }
          : { code: "Internal", message: String(e) };
      return json(503, { ok: false, error });
    }
  }

  const flushTimer = setInterval(() => {
    const batch = coalescer.flush();
    if (batch !== undefined) server.publish(TOPIC, batch);
  }, options.flushIntervalMs ?? 100);

  let statusBusy = false;
  const statusTimer = setInterval(async () => {
    if (statusBusy) return;
    statusBusy = true;
    try {
      const reply = await controlRequest(options.runDir, { cmd: "status" }, 900);
      supervisor =
        reply?.ok === true ? { pid: Number(reply.pid), services: (reply.services as ServiceRow[]) ?? [] } : null;
      const c = coalescer.counters;
      const status: DashboardStatus = {
        at_ms: Date.now(),
        supervisor,
        relays: Object.fromEntries(Object.entries(relays).map(([n, r]) => [n, r.state])),
        dashboard: {
          frames_in: c.framesIn,
          frames_out: c.framesOut,
          coalesced: c.coalesced,
          shed: c.shed,
          bad_frames:
            c.badFrames + handlerErrors + Object.values(relays).reduce((n, r) => n + r.counters.skippedBytes, 0),
          clients: server.subscriberCount(TOPIC),
        },
      };
      lastStatus = buildStatusFrame(status, statusBuilder);
      server.publish(TOPIC, lastStatus);
    } catch (e) {
      warn(`status not sent: ${String(e)}`);
    } finally {
      statusBusy = false;
    }
  }, options.statusIntervalMs ?? 1000);

  const port = server.port ?? 0;
  return {
    url: `http://${host}:${port}/`,
    port,
    coalescer,
    relays,
    page,
    clients: () => server.subscriberCount(TOPIC),
    stop() {
      clearInterval(flushTimer);
      clearInterval(statusTimer);
      for (const r of Object.values(relays)) r.close();
      server.stop(true);
    },
  };
}

function defaultControl(executionSocket: string): ControlAction {
  return async (command, { reason, all }) => {
    const ack = await sendControl({ command, reason, all, socketPath: executionSocket, timeoutMs: 5000 });
    return { state: ack.state, timestampNs: ack.timestampNs };
  };
}

function asset(body: string, type: string, port: number | undefined): Response {
  return new Response(body, {
    headers: {
      "content-type": `${type}; charset=utf-8`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      // Scripts only from this origin, data only over this origin's WebSocket; uPlot sets inline styles. The codec
      // compiles its list readers from the layout table with new Function at load (src/rules/tlv-codec.ts), in the
      // page as in every service: hence 'unsafe-eval' (no inline script is allowed).
      "content-security-policy": `default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}; img-src 'self' data:; frame-ancestors 'none'`,
    },
  });
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

function range(first: number, last: number): number[] {
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
