import { ApError } from "../../../core/errors.ts";
import { backoffDelay } from "../../transport/backoff.ts";
import type { MarketPublisher } from "../common/market-publisher.ts";
import { VenueSocket, type VenueSocketState } from "../common/venue-socket.ts";
import { BINANCE_MARKETS, type BinanceDataClientConfig, type BinanceMarketSpec, combinedStreamUrl } from "./config.ts";
import { BinanceRestError } from "./errors.ts";
import { type BinanceInstrument, fallbackInstrument, parseExchangeInfo } from "./instrument-provider.ts";
import { BinanceNormalizer, InvalidationReason, SyncState } from "./normalizer.ts";
import { RestWeightBudget } from "./rest-weight-budget.ts";

export interface BinanceDataClientOptions {
  config: BinanceDataClientConfig;
  publisher: MarketPublisher;
  /** Log lines (consola-like); silent by default. */
  log?: { info(msg: string): void; warn(msg: string): void };
}

/**
 * The Binance market-data client: exchangeInfo -> InstrumentMeta, one combined-stream WebSocket (VenueSocket:
 * backoff with jitter, silence detection, reconnect), REST depth snapshots under a request-weight budget, and the
 * BinanceNormalizer that keeps the books and publishes Trade, Quote, OrderBook, BookDelta and StateInvalidation.
 */
export class BinanceDataClient {
  readonly spec: BinanceMarketSpec;
  readonly budget: RestWeightBudget;
  normalizer: BinanceNormalizer | undefined;
  socket: VenueSocket | undefined;
  readonly rest = { requests: 0, failures: 0, rateLimited: 0, snapshotRetries: 0 };
  connectionState: VenueSocketState | "starting" = "starting";
  private readonly config: BinanceDataClientConfig;
  private readonly publisher: MarketPublisher;
  private readonly log: NonNullable<BinanceDataClientOptions["log"]>;
  private readonly waiters: { check: () => boolean; resolve: () => void }[] = [];
  /** Per symbol: a fetch in flight, consecutive failed attempts, and the session it belongs to. */
  private readonly fetching = new Map<string, { inFlight: boolean; attempts: number; again: boolean }>();
  private session = 0;
  private stopped = false;
  private openedOnce = false;
  private readyResolve: (() => void) | undefined;
  /** Resolves once the stream is open and subscribed (the streams are in the URL: open means subscribed). */
  readonly ready: Promise<void>;

  constructor(options: BinanceDataClientOptions) {
    this.config = options.config;
    this.publisher = options.publisher;
    this.spec = BINANCE_MARKETS[options.config.market];
    this.budget = new RestWeightBudget(this.spec.defaultWeightPerMinute);
    this.log = options.log ?? { info() {}, warn() {} };
    this.ready = new Promise((resolve) => {
      this.readyResolve = resolve;
    });
  }

  /** Loads exchangeInfo, publishes InstrumentMeta and opens the stream. */
  async start(): Promise<void> {
    const instruments = await this.loadInstruments();
    this.normalizer = new BinanceNormalizer({
      market: this.config.market,
      publisher: this.publisher,
      instruments,
      bookDepth: this.config.bookDepth,
      requestSnapshot: (symbol) => this.requestSnapshot(symbol),
      onProgress: () => this.progress(),
      onBadInput: (e) => this.log.warn(e.toLine()),
    });
    this.normalizer.publishInstrumentMeta();
    const url = combinedStreamUrl(this.config);
    this.socket = new VenueSocket({
      url,
      staleAfterMs: this.config.staleAfterMs,
      onOpen: () => this.onOpen(),
      onMessage: (text) => this.normalizer!.handleMessage(text),
      onState: (state, reason) => this.onSocketState(state, reason),
    });
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close();
  }

  /** Resolves when `check()` holds, re-checked after every message, snapshot and state change. */
  waitFor(check: () => boolean): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ check, resolve }));
  }

  private progress(): void {
    for (let i = 0; i < this.waiters.length; i++) {
      if (this.waiters[i].check()) {
        this.waiters[i].resolve();
        this.waiters.splice(i--, 1);
      }
    }
  }

  private onOpen(): void {
    this.session++;
    const n = this.normalizer!;
    // Every (re)connection starts a fresh sync: the buffer fills from this connection's events.
    n.requestAllSnapshots(this.openedOnce);
    this.log.info(`connected (${this.config.symbols.join(",")}), syncing books`);
    if (!this.openedOnce) {
      this.openedOnce = true;
      this.readyResolve?.();
    }
  }

  private onSocketState(state: VenueSocketState, reason: string): void {
    this.connectionState = state;
    if (state === "backoff") {
      this.log.warn(`stream lost: ${reason}`);
      this.session++;
      this.normalizer?.invalidateAll(InvalidationReason.Disconnected);
    }
    this.progress();
  }

  private async loadInstruments(): Promise<Map<string, BinanceInstrument>> {
    const out = new Map<string, BinanceInstrument>();
    let listed: Map<string, BinanceInstrument> | undefined;
    for (let attempt = 0; attempt < 3 && !listed; attempt++) {
      try {
        const text = await this.get(this.spec.exchangeInfoPath, 10);
        const info = parseExchangeInfo(text, this.spec);
        listed = info.instruments;
        if (info.weightPerMinute) this.budget.limitPerMinute = info.weightPerMinute;
      } catch (e) {
        this.log.warn(`exchangeInfo: ${e instanceof ApError ? e.toLine() : String(e)}`);
        await sleep(backoffDelay(attempt, { initialMs: 200, maxMs: 2000 }));
      }
    }
    for (const symbol of this.config.symbols) {
      const s = symbol.toUpperCase();
      const known = listed?.get(s);
      if (!known) this.log.warn(`${s}: not in exchangeInfo, precision assumed e8 and base/quote split by suffix`);
      out.set(s, known ?? fallbackInstrument(s, this.spec));
    }
    return out;
  }

  /** Schedules a snapshot fetch for `symbol` (one in flight per symbol; a request meanwhile asks for another). */
  private requestSnapshot(symbol: string): void {
    let f = this.fetching.get(symbol);
    if (!f) this.fetching.set(symbol, (f = { inFlight: false, attempts: 0, again: false }));
    if (f.inFlight) {
      f.again = true;
      return;
    }
    f.inFlight = true;
    void this.fetchSnapshot(symbol, f);
  }

  private async fetchSnapshot(symbol: string, f: { inFlight: boolean; attempts: number; again: boolean }) {
    const n = this.normalizer!;
    for (;;) {
      f.again = false;
      if (f.attempts > 0) {
        this.rest.snapshotRetries++;
        await sleep(backoffDelay(f.attempts - 1, this.config.snapshotBackoff));
      }
      if (this.stopped) break;
      const session = this.session;
      let body: string | undefined;
      try {
        body = await this.get(
          `${this.spec.restDepthPath}?symbol=${symbol}&limit=${this.config.snapshotLimit}`,
          this.spec.depthWeight(this.config.snapshotLimit),
        );
      } catch (e) {
        this.log.warn(`${symbol} snapshot: ${e instanceof ApError ? e.toLine() : String(e)}`);
      }
      if (this.stopped) break;
      const sb = n.books.get(symbol)!;
      // A snapshot fetched for a connection that has since gone is useless: the new one asked for its own.
      if (session !== this.session || sb.state !== SyncState.AwaitingSnapshot) {
        if (f.again) continue;
        break;
      }
      if (body !== undefined && n.applySnapshot(symbol, body)) {
        f.attempts = 0;
        // applySnapshot may have found the snapshot stale or a gap in the buffer, and asked again (f.again).
        if (f.again || sb.state === SyncState.AwaitingSnapshot) {
          f.attempts++;
          continue;
        }
        break;
      }
      f.attempts++;
    }
    f.inFlight = false;
    this.progress();
  }

  /** GET under the weight budget; 429/418 block the budget for Retry-After. */
  private async get(pathAndQuery: string, weight: number): Promise<string> {
    await this.budget.reserve(weight);
    this.rest.requests++;
    const url = `${this.config.restUrl.replace(/\/+$/, "")}${pathAndQuery}`;
    let res: Response;
    try {
      res = await fetch(url);
    } catch (e) {
      this.rest.failures++;
      throw new BinanceRestError({
        code: "RestUnreachable",
        message: `GET ${pathAndQuery} failed: ${e instanceof Error ? e.message : String(e)}`,
        facts: { url },
        hint: "retried with backoff",
      });
    }
    this.budget.observeUsed(res.headers.get("x-mbx-used-weight-1m"));
    const text = await res.text();
    if (res.status === 429 || res.status === 418) {
      this.rest.rateLimited++;
      this.budget.blockFor(res.headers.get("retry-after"));
    }
    if (!res.ok) {
      this.rest.failures++;
      throw new BinanceRestError({
        code: res.status === 429 || res.status === 418 ? "RateLimited" : "RestStatus",
        message: `GET ${pathAndQuery} answered ${res.status}`,
        facts: { url, status: res.status, body: text.slice(0, 120) },
        hint: res.status === 429 ? "waiting Retry-After before any other call" : "retried with backoff",
      });
    }
    return text;
  }

  /** Counters for reportStats (`ap status --json`). */
  stats(): Record<string, unknown> {
    const n = this.normalizer;
    const c = n?.counters;
    const books: Record<string, unknown> = {};
    for (const [symbol, sb] of n?.books ?? []) {
      books[symbol] = {
        state: ["awaiting_snapshot", "awaiting_straddle", "live"][sb.state],
        update_id: sb.lastUpdateId,
        bids: sb.book.bidLevels,
        asks: sb.book.askLevels,
        applied: sb.applied,
        gaps: sb.gaps,
        resyncs: sb.resyncs,
      };
    }
    return {
      msgs_in: c?.msgsIn ?? 0,
      msgs_out: this.publisher.framesOut,
      drops: (c?.parseErrors ?? 0) + (c?.precisionErrors ?? 0),
      gaps: c?.gaps ?? 0,
      connection: this.connectionState,
      connects: this.socket?.counters.connects ?? 0,
      reconnects: this.socket?.counters.reconnects ?? 0,
      stale_timeouts: this.socket?.counters.staleTimeouts ?? 0,
      resyncs: c?.resyncs ?? 0,
      syncs: c?.syncs ?? 0,
      applied: c?.applied ?? 0,
      dropped_before_sync: c?.dropped ?? 0,
      stale_snapshots: c?.staleSnapshots ?? 0,
      trades: c?.trades ?? 0,
      quotes: c?.quotes ?? 0,
      parse_errors: c?.parseErrors ?? 0,
      precision_errors: c?.precisionErrors ?? 0,
      crossed_books: c?.crossedBooks ?? 0,
      fast_path: c?.fastPath ?? 0,
      fallbacks: c?.fallbacks ?? 0,
      rest_requests: this.rest.requests,
      rest_failures: this.rest.failures,
      rate_limited: this.rest.rateLimited,
      weight_used: this.budget.used,
      books,
    };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
