import type { ServiceStats } from "../../supervisor/service-report.ts";
import type { MarketPublisher } from "../common/market-publisher.ts";
import { VenueSocket, type VenueSocketState } from "../common/venue-socket.ts";
import { apiOfUrl, KRAKEN_DEFAULTS, type KrakenConfig } from "./config.ts";
import { KrakenError } from "./errors.ts";
import { InvalidationReason, type KrakenApi, KrakenFeedHandler } from "./feed-handler.ts";
import { instrumentsFromAssetPairs } from "./instrument-provider.ts";

export interface KrakenDataClientOptions extends Partial<Omit<KrakenConfig, "url">> {
  url: string;
  publisher: MarketPublisher;
  onWarning?: (message: string, facts: Record<string, unknown>) => void;
  onState?: (state: VenueSocketState, reason: string) => void;
}

/**
 * The Kraken data client: a self-reconnecting VenueSocket, the subscriptions, and the feed handler.
 *
 * Start-up: v1 fetches AssetPairs (--rest-url) for InstrumentMeta; then the socket opens and subscribes (v2 also to
 * the instrument channel, which gives the checksum precision). `ready` resolves once every subscription is
 * answered. A checksum mismatch resubscribes that pair's book (a fresh snapshot for it alone), falling back to a
 * session reconnect if no snapshot comes; a lost connection invalidates every book (StateInvalidation reason 3)
 * until its new snapshot.
 */
export class KrakenDataClient {
  readonly api: KrakenApi;
  readonly handler: KrakenFeedHandler;
  readonly symbols: string[];
  readonly depth: number;
  socket: VenueSocket | undefined;
  private readonly expected = new Set<string>();
  /** Subscriptions answered in the current session (acknowledged or refused): `ready` waits for all of them. */
  private readonly acked = new Set<string>();
  /** Subscriptions the venue refused (unknown pair...), shown in the ready line and the stats. */
  readonly refused = new Set<string>();
  private readyResolve!: () => void;
  /** Resolves when every subscription of the current session is acknowledged (first time). */
  readonly ready: Promise<void>;
  private waiters: { check: () => boolean; resolve: () => void }[] = [];
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private resyncTimer: ReturnType<typeof setTimeout> | undefined;
  /** Per symbol: when it was last resubscribed, and the timer that falls back to a reconnect. */
  private readonly lastResubscribe = new Map<string, number>();
  private readonly resubscribeTimers = new Map<string, ReturnType<typeof setTimeout>>();
  private lastForcedReconnect = Number.NEGATIVE_INFINITY;
  private reqId = 0;
  private closed = false;
  readonly extra = { forcedReconnects: 0, resubscribes: 0, sessions: 0, metadataErrors: 0, instrumentsPublished: 0 };

  constructor(private readonly options: KrakenDataClientOptions) {
    this.api = options.api ?? apiOfUrl(options.url);
    this.depth = options.depth ?? KRAKEN_DEFAULTS.depth;
    this.symbols = options.symbols ?? [this.api === "v1" ? "XBT/USD" : "BTC/USD"];
    this.ready = new Promise((resolve) => {
      this.readyResolve = resolve;
    });
    this.handler = new KrakenFeedHandler({
      api: this.api,
      depth: this.depth,
      publisher: options.publisher,
      onResync: (symbol, reason) => this.resubscribe(symbol, reason),
      onSubscribed: (channel, symbol, ok) => {
        const key = `${channel} ${channel === "instrument" ? "" : symbol}`;
        if (!ok) this.refused.add(key);
        this.acked.add(key);
        if ([...this.expected].every((k) => this.acked.has(k))) this.readyResolve();
        this.wake();
      },
      onWarning: options.onWarning,
    });
    for (const s of this.symbols) {
      this.handler.bookFor(s, this.depth);
      this.expected.add(`book ${s}`);
      if (options.trades ?? KRAKEN_DEFAULTS.trades) this.expected.add(`trade ${s}`);
    }
    if (this.api === "v2") this.expected.add("instrument ");
  }

  /** Loads metadata (v1 REST), then connects. Metadata failures are counted, not fatal: books still work. */
  async start(): Promise<void> {
    if (this.api === "v1" && this.options.restUrl) {
      try {
        const url = `${this.options.restUrl.replace(/\/+$/, "")}/0/public/AssetPairs`;
        const res = await fetch(url);
        if (!res.ok) {
          throw new KrakenError({
            code: "KrakenAssetPairs",
            message: `AssetPairs answered HTTP ${res.status}`,
            facts: { url, status: res.status },
          });
        }
        const set = instrumentsFromAssetPairs(await res.text());
        for (const [s, i] of set.bySymbol) this.handler.instruments.set(s, i);
        this.extra.instrumentsPublished += this.handler.publishInstruments(this.symbols);
      } catch (e) {
        this.extra.metadataErrors++;
        this.options.onWarning?.("instrument metadata unavailable", { error: String((e as Error).message ?? e) });
      }
    }
    if (this.closed) return;
    this.socket = new VenueSocket({
      url: this.options.url,
      staleAfterMs: this.options.staleAfterMs ?? KRAKEN_DEFAULTS.staleAfterMs,
      backoff: this.options.backoff ?? KRAKEN_DEFAULTS.backoff,
      onOpen: (s) => this.subscribe(s),
      onMessage: (text, recvNs) => {
        this.handler.handle(text, recvNs);
        if (this.resubscribeTimers.size > 0) this.settleResubscribes();
        if (this.waiters.length > 0) this.wake();
      },
      onState: (state, reason) => {
        if (state === "backoff") {
          this.acked.clear();
          this.handler.invalidateAll(InvalidationReason.Disconnected);
        }
        this.options.onState?.(state, reason);
        this.wake();
      },
    });
    const interval = this.options.pingIntervalMs ?? KRAKEN_DEFAULTS.pingIntervalMs;
    this.pingTimer = setInterval(() => this.ping(), interval);
    this.pingTimer.unref?.();
  }

  private subscribe(s: VenueSocket): void {
    this.extra.sessions++;
    this.handler.resetSession();
    const trades = this.options.trades ?? KRAKEN_DEFAULTS.trades;
    if (this.api === "v1") {
      const pair = this.symbols;
      s.send(
        JSON.stringify({
          event: "subscribe",
          reqid: ++this.reqId,
          pair,
          subscription: { name: "book", depth: this.depth },
        }),
      );
      if (trades)
        s.send(JSON.stringify({ event: "subscribe", reqid: ++this.reqId, pair, subscription: { name: "trade" } }));
    } else {
      const symbol = this.symbols;
      s.send(
        JSON.stringify({
          method: "subscribe",
          params: { channel: "instrument", snapshot: true },
          req_id: ++this.reqId,
        }),
      );
      s.send(
        JSON.stringify({
          method: "subscribe",
          params: { channel: "book", symbol, depth: this.depth, snapshot: true },
          req_id: ++this.reqId,
        }),
      );
      if (trades) {
        s.send(
          JSON.stringify({
            method: "subscribe",
            params: { channel: "trade", symbol, snapshot: false },
            req_id: ++this.reqId,
          }),
        );
      }
    }
  }

  private ping(): void {
    if (this.socket?.state !== "open") return;
    this.socket.send(
      this.api === "v1"
        ? JSON.stringify({ event: "ping", reqid: ++this.reqId })
        : JSON.stringify({ method: "ping", req_id: ++this.reqId }),
    );
  }

  /**
   * Kraken's per-pair resync: unsubscribe and subscribe the book again, which brings a fresh snapshot for that pair
   * alone (the other books keep going). At most one per symbol per minResyncIntervalMs; if the snapshot has not come
   * within staleAfterMs, the whole session is reconnected.
   */
  private resubscribe(symbol: string, reason: string): void {
    if (this.resubscribeTimers.has(symbol)) return;
    const min = this.options.minResyncIntervalMs ?? KRAKEN_DEFAULTS.minResyncIntervalMs;
    const wait = Math.max(0, (this.lastResubscribe.get(symbol) ?? Number.NEGATIVE_INFINITY) + min - performance.now());
    const send = () => {
      this.lastResubscribe.set(symbol, performance.now());
      this.extra.resubscribes++;
      const s = this.socket;
      if (s?.state === "open") {
        if (this.api === "v1") {
          const subscription = { name: "book", depth: this.depth };
          s.send(JSON.stringify({ event: "unsubscribe", reqid: ++this.reqId, pair: [symbol], subscription }));
          s.send(JSON.stringify({ event: "subscribe", reqid: ++this.reqId, pair: [symbol], subscription }));
        } else {
          const params = { channel: "book", symbol: [symbol], depth: this.depth };
          s.send(JSON.stringify({ method: "unsubscribe", params, req_id: ++this.reqId }));
          s.send(JSON.stringify({ method: "subscribe", params: { ...params, snapshot: true }, req_id: ++this.reqId }));
        }
      }
      const timeout = this.options.staleAfterMs ?? KRAKEN_DEFAULTS.staleAfterMs;
      const timer = setTimeout(() => {
        this.resubscribeTimers.delete(symbol);
        const b = this.handler.books.get(symbol);
        if (b && !b.synced) this.forceReconnect(`${reason}: no snapshot ${timeout} ms after resubscribing`);
      }, timeout);
      timer.unref?.();
      this.resubscribeTimers.set(symbol, timer);
    };
    if (wait === 0) send();
    else {
      const timer = setTimeout(() => {
        this.resubscribeTimers.delete(symbol);
        send();
      }, wait);
      this.resubscribeTimers.set(symbol, timer);
    }
  }

  private forceReconnect(reason: string): void {
    if (this.resyncTimer !== undefined) return;
    const min = this.options.minResyncIntervalMs ?? KRAKEN_DEFAULTS.minResyncIntervalMs;
    const wait = Math.max(0, this.lastForcedReconnect + min - performance.now());
    const go = () => {
      this.resyncTimer = undefined;
      this.lastForcedReconnect = performance.now();
      this.extra.forcedReconnects++;
      this.socket?.reconnect(reason);
    };
    if (wait === 0) go();
    else this.resyncTimer = setTimeout(go, wait);
  }

  /** Ends the fallback timers of books that have their snapshot again. */
  private settleResubscribes(): void {
    for (const [symbol, timer] of this.resubscribeTimers) {
      if (this.handler.books.get(symbol)?.synced) {
        clearTimeout(timer);
        this.resubscribeTimers.delete(symbol);
      }
    }
  }

  /** Resolves when `check()` holds, tested after every message and state change (tests, the demo). */
  until(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    this.waiters = this.waiters.filter((w) => {
      if (!w.check()) return true;
      w.resolve();
      return false;
    });
  }

  /** The `stats` line for the supervisor: counters plus connection state and per-book state. */
  stats(): ServiceStats {
    const c = this.handler.counters;
    const sc = this.socket?.counters;
    const books: Record<string, unknown> = {};
    for (const b of this.handler.books.values()) {
      books[b.id.toString()] = {
        synced: b.synced,
        bids: b.bids.length,
        asks: b.asks.length,
        update_id: b.updateId,
        checksums_verified: b.checksumsVerified,
        checksum_mismatches: b.checksumMismatches,
      };
    }
    return {
      msgs_in: c.messages,
      msgs_out: this.options.publisher.framesOut,
      drops: c.parseErrors + c.precisionErrors,
      gaps: c.checksumMismatches,
      connection: this.socket?.state ?? "starting",
      connection_reason: this.socket?.lastReason ?? "",
      venue_status: this.handler.venueStatus,
      api: this.api,
      connects: sc?.connects ?? 0,
      reconnects: sc?.reconnects ?? 0,
      stale_timeouts: sc?.staleTimeouts ?? 0,
      resyncs: c.resyncs,
      resubscribes: this.extra.resubscribes,
      forced_reconnects: this.extra.forcedReconnects,
      checksums_verified: c.checksumsVerified,
      checksum_mismatches: c.checksumMismatches,
      snapshots: c.bookSnapshots,
      updates: c.bookUpdates,
      trades: c.trades,
      parse_errors: c.parseErrors,
      precision_errors: c.precisionErrors,
      skipped_while_stale: c.skippedWhileStale,
      metadata_errors: this.extra.metadataErrors,
      refused_subscriptions: [...this.refused],
      books_synced: [...this.handler.books.values()].filter((b) => b.synced).length,
      books,
    };
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.resyncTimer);
    for (const t of this.resubscribeTimers.values()) clearTimeout(t);
    this.resubscribeTimers.clear();
    this.socket?.close();
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
  }
}
