import type { ServerWebSocket } from "bun";
import { InstrumentId } from "../../data/instrument-id.ts";
import { BinanceOrderDesk, type BinanceOrderDeskOptions } from "./binance-orders.ts";
import { deriveSnapshot, type KnownRange, knownRange, snapshotLimit } from "./binance-venue-book.ts";
import { type CaptureRecord, loadCaptureRecords, playRecords } from "./capture-records.ts";

/**
 * A local Binance (spot and USD-M) that replays a capture (docs/adapters/binance.md "Replay venue"):
 *   WS   /stream?streams=a/b/c (combined: `{"stream":..,"data":..}`), /ws/<stream>[/<stream>] (bare events), and the
 *        SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS methods on either;
 *   REST /api/v3/depth, /fapi/v1/depth, /api/v3/exchangeInfo, /fapi/v1/exchangeInfo, /api/v3/ping, /fapi/v1/ping.
 *
 * One timeline per venue: the capture plays while at least one client is connected and pauses while none is, so a
 * client that reconnects resumes where the stream was (as on the real venue, minus the missed time).
 *
 * Depth snapshots. The first request for a symbol gets the capture's recorded REST snapshot (the records before it
 * are streamed first, and playback holds at the snapshot's recorded position until it was asked for, so the client
 * has buffered the events the Binance procedure needs). Every later request gets a snapshot DERIVED from the venue's
 * own reference book at the current stream position: the recorded snapshot plus every captured depth event up to
 * here, applied by the sync rules (dropped and corrupted events included: they are the venue's truth, only their
 * delivery was damaged). Its lastUpdateId is the u of the last event applied. It holds only the levels inside the
 * recorded snapshot's price range (where the capture knows every level; binance-venue-book.ts), at most 1000 per
 * side: the exact best levels of the true book, fewer than 1000 when the price moved away from that range. If no depth event of the symbol has
 * been streamed on the current connection yet, the answer waits for the next one (so a USD-M client finds an event
 * with U <= lastUpdateId <= u in its buffer).
 *
 * Faults (indices count `ws` records of the capture, 0-based): drop, corrupt (the text cut in half: not JSON),
 * overPrecise (a depth event whose first size gets a 9th decimal), closeAfter (close every connection after that
 * record). After a damaged depth event, and on every reconnection, playback holds once the symbol's next depth event
 * is out until the client has asked for a snapshot (or holdTimeoutMs passed): at full speed the capture would
 * otherwise end before a resync could be observed.
 */
export interface BinanceVenueOptions {
  /** Capture file (.jsonl or .jsonl.gz). */
  capture: string;
  port?: number;
  /** 1 = recorded pace, Infinity = as fast as possible. */
  speed?: number;
  loop?: boolean;
  drop?: number[];
  corrupt?: number[];
  overPrecise?: number[];
  closeAfter?: number[];
  holdTimeoutMs?: number;
  /** Answer REST calls with this status instead (e.g. 429 with Retry-After 1) for the first `restFailures` calls. */
  restFailures?: number;
  restFailureStatus?: number;
  /** SIGNED order endpoints (binance-orders.ts) with this test key pair; absent: the venue has none. */
  orders?: BinanceOrderDeskOptions;
}

export interface BinanceVenue {
  url: string;
  restUrl: string;
  port: number;
  /** ws records sent, depth snapshot requests, derived snapshots served, connections, closes. */
  stats: {
    sent: number;
    dropped: number;
    snapshotRequests: number;
    recordedSnapshots: number;
    derivedSnapshots: number;
    connections: number;
    closes: number;
    loops: number;
  };
  /** Resolves when the whole capture has been played once. */
  finished: Promise<void>;
  /** The order desk, when `orders` was given. */
  orders?: BinanceOrderDesk;
  stop(): void;
}

interface Entry {
  index: number;
  recvNs: bigint | null;
  record: CaptureRecord;
  kind: "ws" | "rest";
  /** ws: stream name; rest: "". */
  stream: string;
  symbol: string;
  /** ws: the bare event text (inside "data"). */
  data: string;
  depth?: { U: number; u: number; pu: number; b: [string, string][]; a: [string, string][] };
  /** For rest: the snapshot parsed. */
  snapshot?: { lastUpdateId: number; bids: [string, string][]; asks: [string, string][] };
  futures: boolean;
  wsIndex: number;
}

interface RefBook {
  bids: Map<string, string>;
  asks: Map<string, string>;
  lastUpdateId: number;
  valid: boolean;
  straddleIndex: number;
  recorded?: string;
  /** Where the reference book is the true book (binance-venue-book.ts): derived snapshots stay inside it. */
  range: KnownRange;
  recordedAt: number;
  requests: number;
  servedRecorded: boolean;
  depthSinceOpen: boolean;
  /** Requests waiting for the next depth event on this connection. */
  waiting: ((body: string) => void)[];
}

interface Conn {
  combined: boolean;
  streams: Set<string>;
}

export async function startBinanceVenue(options: BinanceVenueOptions): Promise<BinanceVenue> {
  const records = loadCaptureRecords(options.capture);
  const speed = options.speed ?? Number.POSITIVE_INFINITY;
  const holdTimeoutMs = options.holdTimeoutMs ?? 3000;
  const drop = new Set(options.drop ?? []);
  const corrupt = new Set(options.corrupt ?? []);
  const overPrecise = new Set(options.overPrecise ?? []);
  const closeAfter = new Set(options.closeAfter ?? []);
  let restFailuresLeft = options.restFailures ?? 0;

  const entries = indexRecords(records);
  const precision = derivePrecision(entries);
  const refs = new Map<string, RefBook>();
  const resetRefs = () => {
    refs.clear();
    for (const e of entries) {
      if (e.kind !== "rest" || !e.snapshot) continue;
      const L = e.snapshot.lastUpdateId;
      const straddle = entries.find(
        (d) =>
          d.depth &&
          d.symbol === e.symbol &&
          (e.futures ? d.depth.U <= L && L <= d.depth.u : d.depth.U <= L + 1 && L + 1 <= d.depth.u),
      );
      refs.set(e.symbol, {
        bids: new Map(),
        asks: new Map(),
        lastUpdateId: 0,
        valid: false,
        straddleIndex: straddle?.index ?? Number.MAX_SAFE_INTEGER,
        recorded: e.record.raw,
        range: knownRange(e.snapshot, snapshotLimit(e.record.url!)),
        recordedAt: e.index,
        requests: 0,
        servedRecorded: false,
        depthSinceOpen: false,
        waiting: [],
      });
    }
  };
  resetRefs();
  const desk = options.orders ? new BinanceOrderDesk(options.orders, (symbol) => refs.get(symbol)) : undefined;

  const stats = {
    sent: 0,
    dropped: 0,
    snapshotRequests: 0,
    recordedSnapshots: 0,
    derivedSnapshots: 0,
    connections: 0,
    closes: 0,
    loops: 0,
  };
  const conns = new Set<ServerWebSocket<Conn>>();
  let connectedWaiters: (() => void)[] = [];
  let drainWaiters: (() => void)[] = [];
  const holds = new Map<string, number>(); // symbol -> request count that must be exceeded
  let holdWaiter: (() => void) | undefined;
  const pendingReconnectHold = new Set<string>();
  const abort = new AbortController();

  const checkHolds = () => {
    for (const [symbol, marker] of holds) if ((refs.get(symbol)?.requests ?? 0) > marker) holds.delete(symbol);
    if (holds.size === 0 && holdWaiter) {
      const w = holdWaiter;
      holdWaiter = undefined;
      w();
    }
  };

  const derivedBody = (ref: RefBook): string => {
    stats.derivedSnapshots++;
    return JSON.stringify(deriveSnapshot(ref.bids, ref.asks, ref.lastUpdateId, ref.range));
  };

  const applyRef = (e: Entry) => {
    const ref = refs.get(e.symbol);
    if (!ref || !e.depth) return;
    if (!ref.valid) {
      if (e.index !== ref.straddleIndex) return;
      const snap = JSON.parse(ref.recorded!) as { lastUpdateId: number; bids: string[][]; asks: string[][] };
      for (const [p, q] of snap.bids) ref.bids.set(p, q);
      for (const [p, q] of snap.asks) ref.asks.set(p, q);
      ref.valid = true;
    }
    for (const [p, q] of e.depth.b) setLevel(ref.bids, p, q);
    for (const [p, q] of e.depth.a) setLevel(ref.asks, p, q);
    ref.lastUpdateId = e.depth.u;
  };

  const waitFor = (register: (release: () => void) => void): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, holdTimeoutMs);
      register(() => {
        clearTimeout(timer);
        resolve();
      });
    });

  const emit = async (e: Entry): Promise<void> => {
    while (conns.size === 0 && !abort.signal.aborted) {
      await new Promise<void>((resolve) => connectedWaiters.push(resolve));
    }
    if (holds.size > 0) {
      await waitFor((release) => {
        holdWaiter = release;
        checkHolds();
      });
      holds.clear();
      holdWaiter = undefined;
    }
    if (e.kind === "rest") {
      const ref = refs.get(e.symbol);
      // Hold at the recorded snapshot's position until the client has asked for it (or the timeout).
      if (ref && ref.requests === 0) {
        holds.set(e.symbol, 0);
        await waitFor((release) => {
          holdWaiter = release;
          checkHolds();
        });
        holds.clear();
        holdWaiter = undefined;
      }
      return;
    }
    applyRef(e);
    desk?.onEvent(e.symbol, e.depth !== undefined, e.data);
    const damaged = drop.has(e.wsIndex) || corrupt.has(e.wsIndex) || overPrecise.has(e.wsIndex);
    let text = e.record.raw;
    let bare = e.data;
    if (corrupt.has(e.wsIndex)) {
      text = text.slice(0, text.length >> 1);
      bare = bare.slice(0, bare.length >> 1);
    } else if (overPrecise.has(e.wsIndex)) {
      text = addNinthDecimal(text);
      bare = addNinthDecimal(bare);
    }
    if (drop.has(e.wsIndex)) stats.dropped++;
    else {
      for (const ws of conns) {
        if (!ws.data.streams.has(e.stream)) continue;
        const r = ws.send(ws.data.combined ? text : bare);
        stats.sent++;
        if (r === -1) await new Promise<void>((resolve) => drainWaiters.push(resolve));
      }
    }
    if (e.depth) {
      const ref = refs.get(e.symbol);
      if (ref) {
        if (damaged) pendingFault.add(e.symbol);
        else if (pendingFault.has(e.symbol) || pendingReconnectHold.has(e.symbol)) {
          // The client now has the event that reveals the damage (or its first event since reconnecting).
          pendingFault.delete(e.symbol);
          pendingReconnectHold.delete(e.symbol);
          holds.set(e.symbol, markers.get(e.symbol) ?? ref.requests);
          markers.delete(e.symbol);
        }
        if (!damaged) {
          ref.depthSinceOpen = true;
          const waiting = ref.waiting.splice(0);
          if (waiting.length > 0) {
            const body = derivedBody(ref);
            for (const w of waiting) w(body);
          }
        }
      }
    }
    if (closeAfter.has(e.wsIndex)) {
      stats.closes++;
      for (const ws of conns) ws.close(1001, "closed by the replay venue (fault injection)");
      conns.clear();
    }
  };
  const pendingFault = new Set<string>();
  const markers = new Map<string, number>();

  const server = Bun.serve<Conn>({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    fetch: async (req, srv) => {
      const url = new URL(req.url);
      const path = url.pathname;
      if (path === "/stream" || path.startsWith("/ws")) {
        const combined = path === "/stream";
        const list = combined ? (url.searchParams.get("streams") ?? "") : path.slice(4);
        const streams = new Set(list.split("/").filter(Boolean));
        if (srv.upgrade(req, { data: { combined, streams } })) return undefined;
        return new Response("expected a WebSocket upgrade", { status: 400 });
      }
      if (desk?.handles(path)) return desk.handle(req, url);
      if (restFailuresLeft > 0 && path !== "/api/v3/ping" && path !== "/fapi/v1/ping") {
        restFailuresLeft--;
        const status = options.restFailureStatus ?? 429;
        return json({ code: -1003, msg: "Too many requests (replay venue fault)." }, status, { "Retry-After": "1" });
      }
      if (path === "/api/v3/ping" || path === "/fapi/v1/ping") return json({});
      if (path === "/api/v3/exchangeInfo" || path === "/fapi/v1/exchangeInfo") {
        return json(exchangeInfo(precision, path.startsWith("/fapi")));
      }
      if (path === "/api/v3/depth" || path === "/fapi/v1/depth") {
        const symbol = (url.searchParams.get("symbol") ?? "").toUpperCase();
        const ref = refs.get(symbol);
        if (!ref) return json({ code: -1121, msg: "Invalid symbol." }, 400);
        stats.snapshotRequests++;
        ref.requests++;
        checkHolds();
        if (!ref.servedRecorded || !ref.valid) {
          ref.servedRecorded = true;
          stats.recordedSnapshots++;
          return new Response(ref.recorded, { headers: restHeaders(stats.snapshotRequests) });
        }
        if (ref.depthSinceOpen) return new Response(derivedBody(ref), { headers: restHeaders(stats.snapshotRequests) });
        const body = await new Promise<string>((resolve) => {
          ref.waiting.push(resolve);
          setTimeout(() => resolve(derivedBody(ref)), holdTimeoutMs);
        });
        return new Response(body, { headers: restHeaders(stats.snapshotRequests) });
      }
      return json({ code: -1, msg: `unknown path ${path}` }, 404);
    },
    websocket: {
      open(ws) {
        stats.connections++;
        conns.add(ws);
        for (const [symbol, ref] of refs) {
          ref.depthSinceOpen = false;
          if (stats.connections > 1) {
            pendingReconnectHold.add(symbol);
            // A request made from now on releases the hold.
            markers.set(symbol, ref.requests);
          }
        }
        const w = connectedWaiters;
        connectedWaiters = [];
        for (const f of w) f();
      },
      message(ws, message) {
        const text = typeof message === "string" ? message : new TextDecoder().decode(message);
        let req: { method?: string; params?: string[]; id?: unknown };
        try {
          req = JSON.parse(text);
        } catch {
          ws.send(JSON.stringify({ code: 3, msg: "Invalid JSON" }));
          return;
        }
        if (req.method === "SUBSCRIBE") for (const s of req.params ?? []) ws.data.streams.add(s);
        else if (req.method === "UNSUBSCRIBE") for (const s of req.params ?? []) ws.data.streams.delete(s);
        else if (req.method === "LIST_SUBSCRIPTIONS") {
          ws.send(JSON.stringify({ result: [...ws.data.streams], id: req.id ?? null }));
          return;
        } else {
          ws.send(JSON.stringify({ code: 2, msg: "Invalid request", id: req.id ?? null }));
          return;
        }
        ws.send(JSON.stringify({ result: null, id: req.id ?? null }));
      },
      drain() {
        const w = drainWaiters;
        drainWaiters = [];
        for (const f of w) f();
      },
      close(ws) {
        conns.delete(ws);
        const w = drainWaiters;
        drainWaiters = [];
        for (const f of w) f();
      },
    },
  });

  const finished = (async () => {
    do {
      await playRecords(entries, speed, emit, { signal: abort.signal });
      if (abort.signal.aborted) return;
      stats.loops++;
      resetRefs();
    } while (options.loop);
  })();

  const port = server.port as number;
  return {
    url: `ws://127.0.0.1:${port}`,
    restUrl: `http://127.0.0.1:${port}`,
    port,
    stats,
    finished,
    orders: desk,
    stop() {
      abort.abort();
      for (const f of connectedWaiters) f();
      holdWaiter?.();
      server.stop(true);
    },
  };
}

function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

function restHeaders(requests: number): Record<string, string> {
  return { "content-type": "application/json", "x-mbx-used-weight-1m": String(requests * 50) };
}

function setLevel(side: Map<string, string>, price: string, qty: string): void {
  if (/^0(\.0*)?$/.test(qty)) side.delete(price);
  else side.set(price, qty);
}

/** `"0.32332000"` -> `"0.323320001"`: the first size of the first level gets a 9th, non-zero decimal. */
function addNinthDecimal(text: string): string {
  return text.replace(/(\[\["[0-9.]+",")([0-9]+\.[0-9]+)(")/, "$1$21$3");
}

function indexRecords(records: CaptureRecord[]): Entry[] {
  const out: Entry[] = [];
  let wsIndex = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    if (record.kind === "rest" && record.url) {
      const u = new URL(record.url);
      const snap = JSON.parse(record.raw) as {
        lastUpdateId: number;
        bids: [string, string][];
        asks: [string, string][];
      };
      out.push({
        index: out.length,
        recvNs: record.recvNs,
        record,
        kind: "rest",
        stream: "",
        symbol: (u.searchParams.get("symbol") ?? "").toUpperCase(),
        data: "",
        snapshot: snap,
        futures: u.pathname.startsWith("/fapi"),
        wsIndex: -1,
      });
      continue;
    }
    if (record.kind !== "ws") continue;
    const m = JSON.parse(record.raw) as { stream?: string; data?: Record<string, unknown> };
    const data = m.data ?? (m as Record<string, unknown>);
    const stream = m.stream ?? "";
    const dataAt = record.raw.indexOf('"data":');
    const e: Entry = {
      index: out.length,
      recvNs: record.recvNs,
      record,
      kind: "ws",
      stream,
      symbol: String(data.s ?? "").toUpperCase(),
      data: dataAt >= 0 ? record.raw.slice(dataAt + 7, record.raw.lastIndexOf("}")) : record.raw,
      futures: "pu" in data,
      wsIndex: wsIndex++,
    };
    if (data.e === "depthUpdate") {
      e.depth = {
        U: Number(data.U),
        u: Number(data.u),
        pu: Number(data.pu ?? -1),
        b: data.b as [string, string][],
        a: data.a as [string, string][],
      };
    }
    out.push(e);
  }
  return out;
}

interface Precision {
  symbol: string;
  futures: boolean;
  priceDecimals: number;
  sizeDecimals: number;
}

/** Tick and step sizes implied by the capture: the finest price and size decimals seen per symbol (documented). */
function derivePrecision(entries: Entry[]): Map<string, Precision> {
  const out = new Map<string, Precision>();
  const decimals = (s: string) => (s.split(".")[1] ?? "").replace(/0+$/, "").length;
  const see = (symbol: string, futures: boolean, p: string, q: string) => {
    if (!symbol) return;
    let x = out.get(symbol);
    if (!x) out.set(symbol, (x = { symbol, futures, priceDecimals: 0, sizeDecimals: 0 }));
    x.priceDecimals = Math.max(x.priceDecimals, decimals(p));
    x.sizeDecimals = Math.max(x.sizeDecimals, decimals(q));
  };
  for (const e of entries) {
    if (e.snapshot) for (const [p, q] of [...e.snapshot.bids, ...e.snapshot.asks]) see(e.symbol, e.futures, p, q);
    if (e.depth) for (const [p, q] of [...e.depth.b, ...e.depth.a]) see(e.symbol, e.futures, p, q);
  }
  return out;
}

function exchangeInfo(precision: Map<string, Precision>, futures: boolean): unknown {
  const unit = (d: number) => (d === 0 ? "1" : `0.${"0".repeat(d - 1)}1`);
  const pad = (s: string) => (s.includes(".") ? s.padEnd(10, "0") : `${s}.00000000`);
  return {
    timezone: "UTC",
    serverTime: Date.now(),
    rateLimits: [
      { rateLimitType: "REQUEST_WEIGHT", interval: "MINUTE", intervalNum: 1, limit: futures ? 2400 : 6000 },
      { rateLimitType: "ORDERS", interval: "SECOND", intervalNum: 10, limit: 100 },
      { rateLimitType: "RAW_REQUESTS", interval: "MINUTE", intervalNum: 5, limit: 61000 },
    ],
    exchangeFilters: [],
    symbols: [...precision.values()]
      .filter((p) => p.futures === futures)
      .map((p) => {
        const id = InstrumentId.fromVenueSymbol("binance", p.symbol);
        return {
          symbol: p.symbol,
          status: "TRADING",
          baseAsset: id.base,
          quoteAsset: id.quote,
          ...(futures
            ? { contractType: "PERPETUAL", pricePrecision: p.priceDecimals, quantityPrecision: p.sizeDecimals }
            : {}),
          filters: [
            {
              filterType: "PRICE_FILTER",
              minPrice: pad(unit(p.priceDecimals)),
              maxPrice: "1000000.00000000",
              tickSize: pad(unit(p.priceDecimals)),
            },
            {
              filterType: "LOT_SIZE",
              minQty: pad(unit(p.sizeDecimals)),
              maxQty: "9000.00000000",
              stepSize: pad(unit(p.sizeDecimals)),
            },
          ],
        };
      }),
  };
}
