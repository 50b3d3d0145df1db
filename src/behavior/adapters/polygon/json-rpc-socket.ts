import type { BackoffOptions } from "../../transport/backoff.ts";
import { VenueSocket, type VenueSocketState } from "../common/venue-socket.ts";
import { PolygonCollectorError } from "./errors.ts";

export interface JsonRpcSocketOptions {
  url: string;
  /** Called on every new connection (the session: subscriptions, backfill). */
  onOpen: () => void;
  /**
   * Tried first on every message: true when it has consumed a notification in place (the collector's fast path),
   * false to have the message parsed by JSON.parse and handled below.
   */
  fastText?: (text: string) => boolean;
  /** A subscription notification (eth_subscription): its id and result. */
  onNotification: (subscription: string, result: unknown) => void;
  onState?: (state: VenueSocketState, reason: string) => void;
  /** A message that is neither an answer to a pending request nor a notification. */
  onBadMessage?: (text: string, reason: string) => void;
  staleAfterMs?: number;
  requestTimeoutMs?: number;
  /** Client-side rate cap: a token bucket of this many requests per second (burst the same). */
  maxRequestsPerSecond?: number;
  backoff?: BackoffOptions;
  /** No connection at all (benchmarks feed messages through handleText). */
  offline?: boolean;
}

interface Pending {
  method: string;
  resolve: (value: unknown) => void;
  reject: (error: PolygonCollectorError) => void;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * Ethereum JSON-RPC 2.0 over the shared self-reconnecting VenueSocket: requests matched to answers by id,
 * eth_subscription notifications passed on, every pending request failed (RpcDisconnected) when the connection
 * drops, and a token-bucket rate cap on requests. JSON.parse is exact here: in Ethereum JSON-RPC every quantity is
 * a hex string (execution-apis "hex encoded unsigned integer"), the only JSON numbers are request ids.
 */
export class JsonRpcSocket {
  readonly counters = { requests: 0, rpcErrors: 0, timeouts: 0, disconnectedRequests: 0, notifications: 0, bad: 0 };
  readonly socket: VenueSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private tokens: number;
  private tokensAt = performance.now();
  private readonly rate: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: JsonRpcSocketOptions) {
    this.rate = options.maxRequestsPerSecond ?? 20;
    this.tokens = this.rate;
    this.timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.socket = options.offline
      ? undefined
      : new VenueSocket({
          url: options.url,
          staleAfterMs: options.staleAfterMs,
          backoff: options.backoff,
          onOpen: () => options.onOpen(),
          onMessage: (text) => this.handleText(text),
          onState: (state, reason) => {
            if (state === "backoff" || state === "closed") this.failPending(reason);
            options.onState?.(state, reason);
          },
        });
  }

  /** Sends a request (after the rate cap allows it) and resolves with its result. */
  async request(method: string, params: unknown[]): Promise<unknown> {
    const wait = this.takeToken();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    const socket = this.socket;
    if (socket?.state !== "open") throw this.disconnected(method, "not connected");
    const id = this.nextId++;
    this.counters.requests++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.counters.timeouts++;
        reject(
          new PolygonCollectorError({
            code: "RpcTimeout",
            message: `${method}: no answer in ${this.timeoutMs} ms`,
            facts: { method, timeout_ms: this.timeoutMs },
            hint: "the node is slow or the connection is dead; the collector reconnects on silence",
          }),
        );
      }, this.timeoutMs);
      this.pending.set(id, { method, resolve, reject, timer });
      socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  }

  /** One message from the node. Public so a benchmark can feed messages without a socket. */
  handleText(text: string): void {
    if (this.options.fastText?.(text) === true) {
      this.counters.notifications++;
      return;
    }
    let msg: {
      id?: number;
      method?: string;
      params?: { subscription: string; result: unknown };
      result?: unknown;
      error?: { code: number; message: string };
    };
    try {
      msg = JSON.parse(text);
    } catch {
      this.counters.bad++;
      this.options.onBadMessage?.(text, "not JSON");
      return;
    }
    if (msg.method === "eth_subscription" && msg.params) {
      this.counters.notifications++;
      this.options.onNotification(msg.params.subscription, msg.params.result);
      return;
    }
    const p = typeof msg.id === "number" ? this.pending.get(msg.id) : undefined;
    if (!p) {
      this.counters.bad++;
      this.options.onBadMessage?.(text, "answer to no pending request");
      return;
    }
    this.pending.delete(msg.id!);
    clearTimeout(p.timer);
    if (msg.error) {
      this.counters.rpcErrors++;
      p.reject(
        new PolygonCollectorError({
          code: "RpcError",
          message: `${p.method}: ${msg.error.message}`,
          facts: { method: p.method, rpc_code: msg.error.code, rpc_message: msg.error.message },
          hint: "see the node's documentation for the error code; -32005 is a rate or range limit",
        }),
      );
    } else p.resolve(msg.result);
  }

  reconnect(reason: string): void {
    this.socket?.reconnect(reason);
  }

  close(): void {
    this.socket?.close();
    this.failPending("closed");
  }

  private takeToken(): number {
    const now = performance.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.tokensAt) * this.rate) / 1000);
    this.tokensAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens * 1000) / this.rate;
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      this.counters.disconnectedRequests++;
      p.reject(this.disconnected(p.method, reason));
    }
  }

  private disconnected(method: string, reason: string): PolygonCollectorError {
    return new PolygonCollectorError({
      code: "RpcDisconnected",
      message: `${method}: connection lost before the answer (${reason})`,
      facts: { method, reason },
      hint: "the session restarts after the reconnect; the backfill fetches what was missed",
    });
  }
}
