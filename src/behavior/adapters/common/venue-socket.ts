import { nowNs } from "../../../core/time.ts";
import { type BackoffOptions, backoffDelay } from "../../transport/backoff.ts";

export type VenueSocketState = "connecting" | "open" | "backoff" | "closed";

export interface VenueSocketOptions {
  /** WebSocket URL; a function is called on every (re)connect. */
  url: string | (() => string);
  /** Called on every new connection: send the subscriptions here. */
  onOpen: (socket: VenueSocket) => void;
  /** Each text message with its receive time (ns). */
  onMessage: (text: string, recvNs: bigint) => void;
  onState?: (state: VenueSocketState, reason: string) => void;
  /** Reconnect when nothing arrived for this long (a dead connection that never closed). Default 30 s. */
  staleAfterMs?: number;
  backoff?: BackoffOptions;
}

/**
 * A venue WebSocket that keeps itself up: reconnects with exponential backoff and jitter after a close, an error or
 * silence longer than staleAfterMs (heartbeats count as traffic), and re-runs onOpen (the subscriptions) each time.
 * reconnect(reason) lets an adapter force a fresh session, e.g. to rebuild a book after a checksum mismatch.
 */
export class VenueSocket {
  readonly counters = { connects: 0, reconnects: 0, messages: 0, staleTimeouts: 0, errors: 0 };
  state: VenueSocketState = "connecting";
  lastReason = "";
  private ws: WebSocket | undefined;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private staleTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly staleAfterMs: number;

  constructor(private readonly options: VenueSocketOptions) {
    this.staleAfterMs = options.staleAfterMs ?? 30_000;
    this.connect();
  }

  send(text: string): void {
    this.ws?.send(text);
  }

  /** Drops the current connection and connects again (after the backoff delay). */
  reconnect(reason: string): void {
    if (this.state === "closed") return;
    this.drop(reason);
  }

  close(): void {
    this.setState("closed", "closed by owner");
    clearTimeout(this.retryTimer);
    clearTimeout(this.staleTimer);
    const ws = this.ws;
    this.ws = undefined;
    ws?.close();
  }

  private connect(): void {
    if (this.state === "closed") return;
    this.setState("connecting", this.lastReason);
    const url = typeof this.options.url === "function" ? this.options.url() : this.options.url;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      if (this.counters.connects > 0) this.counters.reconnects++;
      this.counters.connects++;
      this.attempt = 0;
      this.setState("open", "connected");
      this.armStale();
      this.options.onOpen(this);
    };
    ws.onmessage = (event) => {
      if (this.ws !== ws) return;
      this.counters.messages++;
      this.armStale();
      this.options.onMessage(
        typeof event.data === "string" ? event.data : new TextDecoder().decode(event.data as ArrayBuffer),
        nowNs(),
      );
    };
    ws.onerror = () => {
      if (this.ws !== ws) return;
      this.counters.errors++;
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.drop(`closed by the venue (code ${event.code}${event.reason ? `: ${event.reason}` : ""})`);
    };
  }

  private drop(reason: string): void {
    const ws = this.ws;
    this.ws = undefined;
    clearTimeout(this.staleTimer);
    if (ws && ws.readyState <= 1) ws.close();
    if (this.state === "closed") return;
    this.setState("backoff", reason);
    const delay = backoffDelay(this.attempt++, this.options.backoff);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  private armStale(): void {
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => {
      this.counters.staleTimeouts++;
      this.drop(`no message for ${this.staleAfterMs} ms`);
    }, this.staleAfterMs);
  }

  private setState(state: VenueSocketState, reason: string): void {
    this.state = state;
    this.lastReason = reason;
    this.options.onState?.(state, reason);
  }
}
