import { readFileSync } from "node:fs";
import type { ServerWebSocket } from "bun";
import { type CaptureRecord, loadCaptureRecords, playRecords } from "./capture-records.ts";
import { KrakenOrderDesk, type KrakenOrderDeskOptions } from "./kraken-orders.ts";
import { applyRecorded, type VenueBook } from "./kraken-venue-books.ts";

/**
 * A local Kraken: a WebSocket server (v1 at "/", v2 at "/v2") and the REST AssetPairs endpoint, replaying captures
 * so the Kraken collector runs against it unchanged, by URL.
 *
 * Per connection: the client subscribes; the venue acknowledges (v1 subscriptionStatus, unless the capture has the
 * recorded one for that pair and channel, which then plays in order; v2 a `subscribe` result; v2 `instrument` is
 * answered with the instrument snapshot file) and, on the first book or trade subscription, plays the capture's
 * inbound `ws` records from the start, as recorded text, at `speed`. Every new connection starts the capture over,
 * so a client that reconnects gets the snapshot again, as from Kraken. Unsubscribing a pair mutes its records on that
 * connection; subscribing it again mid-replay answers with a snapshot of the pair's book as it stands at that point
 * of the capture (kraken-venue-books.ts), after which its recorded updates flow again: Kraken's per-pair resync.
 * Pings are answered with pongs (v1 event, v2 method); recorded heartbeats and pongs play as recorded.
 *
 * Fault injection (record indexes are 0-based positions among the capture's inbound `ws` records, applied on the
 * first `faultConnections` connections only): drop a record, corrupt a record's checksum (+1), garble a record
 * (cut in half: not JSON), close the connection right after a record, or go silent after it (a dead link that
 * never closes: no records, no pongs).
 */
export interface KrakenVenueFaults {
  drop?: number[];
  corruptChecksum?: number[];
  garble?: number[];
  closeAfter?: number;
  /** Go silent after this record, pongs included, keeping the connection open: a dead link. */
  stallAfter?: number;
  /** Answer a re-subscription without the fresh snapshot (the client must fall back to reconnecting). */
  noResubscribeSnapshot?: boolean;
  /** How many connections (from the first) the faults apply to. Default 1. */
  faultConnections?: number;
}

export interface KrakenVenueOptions {
  /** One or more capture files (.jsonl or .jsonl.gz); several are merged by receive time (same recorder clock). */
  capture: string | string[];
  /** A capture file holding the AssetPairs `rest` record (v1 metadata); served at /0/public/AssetPairs. */
  assetPairs?: string;
  /** The v2 instrument snapshot message file (.json or .json.gz), sent on an `instrument` subscription. */
  instrumentSnapshot?: string;
  /** Venue symbols to refuse as Kraken refuses an unknown pair (v1 status "error", v2 success false). */
  refuse?: string[];
  /** Replay speed factor; Infinity (default) for as fast as possible. */
  speed?: number;
  /** Start the capture over when it ends. */
  loop?: boolean;
  port?: number;
  hostname?: string;
  faults?: KrakenVenueFaults;
  /** Private order endpoints (kraken-orders.ts) with this test key pair; absent: the venue has no /0/private. */
  orders?: KrakenOrderDeskOptions;
}

export interface KrakenVenue {
  /** WebSocket URL of the capture's protocol: ws://host:port (v1) or ws://host:port/v2 (v2). */
  url: string;
  /** REST base URL (AssetPairs). */
  restUrl: string;
  api: "v1" | "v2";
  /** The inbound ws records played on each connection. */
  records: readonly CaptureRecord[];
  stats: {
    connections: number;
    sent: number;
    dropped: number;
    corrupted: number;
    closes: number;
    stalls: number;
    subscribes: number;
    /** Records not sent because their pair was unsubscribed. */
    muted: number;
    /** Snapshots built for a re-subscription. */
    snapshots: number;
    /** Connections whose replay reached the end of the capture. */
    completed: number;
  };
  /** The order desk, when `orders` was given. */
  orders?: KrakenOrderDesk;
  stop(): void;
}

interface Conn {
  index: number;
  abort: AbortController;
  started: boolean;
  stalled: boolean;
  nextChannelId: number;
  /** Each pair's book as the capture has it so far on this connection (for re-subscription snapshots). */
  books: Map<string, VenueBook>;
  /** "book PAIR" / "trade PAIR" subscribed on this connection (a second subscribe is a re-subscription). */
  subscribed: Set<string>;
  /** "book PAIR" / "trade PAIR" unsubscribed on this connection: their records are not sent. */
  muted: Set<string>;
  v2Depth: number;
}

function readText(path: string): string {
  const raw = new Uint8Array(readFileSync(path));
  return new TextDecoder().decode(path.endsWith(".gz") ? Bun.gunzipSync(raw) : raw);
}

function mergeByTime(lists: CaptureRecord[][]): CaptureRecord[] {
  const all = lists.flat();
  if (lists.length === 1 || all.some((r) => r.recvNs === null)) return all;
  return all
    .map((r, i) => ({ r, i }))
    .sort((x, y) => (x.r.recvNs! < y.r.recvNs! ? -1 : x.r.recvNs! > y.r.recvNs! ? 1 : x.i - y.i))
    .map((x) => x.r);
}

/** Recorded v1 subscriptionStatus keys "name pair" (e.g. "book XBT/USD"), which play from the capture. */
function recordedSubscriptions(records: readonly CaptureRecord[]): Set<string> {
  const keys = new Set<string>();
  for (const r of records) {
    if (!r.raw.includes('"subscriptionStatus"')) continue;
    try {
      const m = JSON.parse(r.raw) as { pair?: string; subscription?: { name?: string } };
      keys.add(`${m.subscription?.name} ${m.pair}`);
    } catch {
      // not JSON: played as recorded anyway
    }
  }
  return keys;
}

function corruptChecksum(text: string): string {
  return text.replace(/("c":"|"checksum":)(\d+)/, (_m, key: string, digits: string) => {
    const wrong = (Number(digits) + 1) % 4294967296;
    return `${key}${wrong}`;
  });
}

export async function startKrakenVenue(options: KrakenVenueOptions): Promise<KrakenVenue> {
  const files = Array.isArray(options.capture) ? options.capture : [options.capture];
  const loaded = files.map((f) => loadCaptureRecords(f));
  const records = mergeByTime(loaded.map((l) => l.filter((r) => r.kind === "ws")));
  const restBody =
    [...loaded.flat(), ...(options.assetPairs ? loadCaptureRecords(options.assetPairs) : [])].find(
      (r) => r.kind === "rest" && r.url?.includes("AssetPairs"),
    )?.raw ?? undefined;
  const instrumentText = options.instrumentSnapshot ? readText(options.instrumentSnapshot) : undefined;
  const api: "v1" | "v2" = records.some((r) => r.raw.startsWith('{"channel"')) ? "v2" : "v1";
  const recorded = recordedSubscriptions(records);
  const speed = options.speed ?? Number.POSITIVE_INFINITY;
  const faults = options.faults ?? {};
  const drop = new Set(faults.drop ?? []);
  const corrupt = new Set(faults.corruptChecksum ?? []);
  const garble = new Set(faults.garble ?? []);
  const faultConnections = faults.faultConnections ?? 1;
  const refuse = new Set(options.refuse ?? []);
  const stats = {
    connections: 0,
    sent: 0,
    dropped: 0,
    corrupted: 0,
    closes: 0,
    stalls: 0,
    subscribes: 0,
    muted: 0,
    snapshots: 0,
    completed: 0,
  };
  /** Every message to a client goes through here, so `sent` counts all of them (acks and snapshots too). */
  const send = (ws: ServerWebSocket<Conn>, text: string): void => {
    ws.send(text);
    stats.sent++;
  };
  const open = new Set<ServerWebSocket<Conn>>();
  const desk = options.orders ? new KrakenOrderDesk(options.orders, records) : undefined;

  async function play(ws: ServerWebSocket<Conn>): Promise<void> {
    const conn = ws.data;
    const faulty = conn.index <= faultConnections;
    do {
      await playRecords(
        records,
        speed,
        (r, i) => {
          if (conn.abort.signal.aborted) return;
          desk?.onRecord(r.raw);
          const channel = applyRecorded(conn.books, r.raw, conn.v2Depth);
          if (channel !== undefined && conn.muted.has(`${channel.kind} ${channel.pair}`)) {
            stats.muted++;
            return;
          }
          let text = r.raw;
          if (faulty) {
            if (drop.has(i)) {
              stats.dropped++;
              return;
            }
            if (corrupt.has(i)) {
              text = corruptChecksum(text);
              stats.corrupted++;
            }
            if (garble.has(i)) {
              text = text.slice(0, text.length >> 1);
              stats.corrupted++;
            }
          }
          send(ws, text);
          if (faulty && faults.stallAfter === i) {
            stats.stalls++;
            conn.stalled = true;
            conn.abort.abort();
          }
          if (faulty && faults.closeAfter === i) {
            stats.closes++;
            conn.abort.abort();
            ws.close(1011, "replay venue: injected close");
          }
        },
        { signal: conn.abort.signal },
      );
      if (!conn.abort.signal.aborted) stats.completed++;
    } while (options.loop && !conn.abort.signal.aborted);
  }

  function onSubscribe(ws: ServerWebSocket<Conn>, m: Record<string, unknown>): void {
    stats.subscribes++;
    const conn = ws.data;
    let startsPlayback = false;
    if (m.event === "subscribe") {
      const sub = (m.subscription ?? {}) as { name?: string; depth?: number };
      const pairs = (m.pair ?? []) as string[];
      for (const pair of pairs) {
        const key = `${sub.name} ${pair}`;
        const again = conn.subscribed.has(key);
        conn.subscribed.add(key);
        if (again) {
          // a re-subscription mid-replay: Kraken answers with the pair's current book
          conn.muted.delete(`${sub.name} ${pair}`);
          const b = conn.books.get(pair);
          send(
            ws,
            JSON.stringify({
              channelID: b?.channelId ?? conn.nextChannelId++,
              channelName: sub.name === "book" ? `book-${b?.depth ?? sub.depth ?? 10}` : String(sub.name),
              event: "subscriptionStatus",
              pair,
              reqid: m.reqid,
              status: "subscribed",
              subscription: sub,
            }),
          );
          if (sub.name === "book" && b && !(faults.noResubscribeSnapshot && conn.index <= faultConnections)) {
            send(ws, b.v1Snapshot());
            stats.snapshots++;
          }
          continue;
        }
        if (refuse.has(pair)) {
          send(
            ws,
            JSON.stringify({
              errorMessage: "Currency pair not supported",
              event: "subscriptionStatus",
              pair,
              reqid: m.reqid,
              status: "error",
              subscription: sub,
            }),
          );
          continue;
        }
        if (recorded.has(`${sub.name} ${pair}`)) continue;
        const channelName = sub.name === "book" ? `book-${sub.depth ?? 10}` : String(sub.name);
        send(
          ws,
          JSON.stringify({
            channelID: conn.nextChannelId++,
            channelName,
            event: "subscriptionStatus",
            pair,
            reqid: m.reqid,
            status: "subscribed",
            subscription: sub,
          }),
        );
      }
      startsPlayback = sub.name === "book" || sub.name === "trade";
    } else {
      const params = (m.params ?? {}) as { channel?: string; symbol?: string[]; depth?: number; snapshot?: boolean };
      const now = new Date().toISOString();
      const symbols = params.channel === "instrument" ? [undefined] : (params.symbol ?? []);
      if (params.channel === "book" && params.depth) conn.v2Depth = params.depth;
      for (const symbol of symbols) {
        if (symbol !== undefined && refuse.has(symbol)) {
          send(
            ws,
            JSON.stringify({
              error: `Currency pair not supported ${symbol}`,
              method: "subscribe",
              success: false,
              symbol,
              time_in: now,
              time_out: now,
              req_id: m.req_id,
            }),
          );
          continue;
        }
        send(
          ws,
          JSON.stringify({
            method: "subscribe",
            result: {
              channel: params.channel,
              ...(symbol ? { symbol } : {}),
              ...(params.depth ? { depth: params.depth } : {}),
              snapshot: params.snapshot ?? true,
            },
            success: true,
            time_in: now,
            time_out: now,
            req_id: m.req_id,
          }),
        );
      }
      if (params.channel === "instrument" && instrumentText !== undefined) send(ws, instrumentText);
      if (params.channel === "book" || params.channel === "trade") {
        for (const symbol of params.symbol ?? []) {
          const key = `${params.channel} ${symbol}`;
          const again = conn.subscribed.has(key);
          conn.subscribed.add(key);
          if (!again) continue;
          conn.muted.delete(key);
          const b = conn.books.get(symbol);
          if (params.channel === "book" && b && !(faults.noResubscribeSnapshot && conn.index <= faultConnections)) {
            send(ws, b.v2Snapshot());
            stats.snapshots++;
          }
        }
      }
      startsPlayback = params.channel === "book" || params.channel === "trade";
    }
    if (startsPlayback && !conn.started) {
      conn.started = true;
      void play(ws);
    }
  }

  const server = Bun.serve<Conn>({
    port: options.port ?? 0,
    hostname: options.hostname ?? "127.0.0.1",
    fetch(req, srv) {
      const path = new URL(req.url).pathname;
      if (desk !== undefined && req.method === "POST" && path.startsWith("/0/private/")) return desk.handle(req, path);
      if (path === "/0/public/AssetPairs") {
        if (restBody === undefined)
          return Response.json({ error: ["EGeneral:Not available in this replay"] }, { status: 404 });
        return new Response(restBody, { headers: { "content-type": "application/json" } });
      }
      const ok = srv.upgrade(req, {
        data: {
          index: ++stats.connections,
          abort: new AbortController(),
          started: false,
          stalled: false,
          nextChannelId: 90001,
          books: new Map(),
          subscribed: new Set(),
          muted: new Set(),
          v2Depth: 10,
        },
      });
      return ok ? undefined : new Response("Kraken replay venue: WebSocket at / (v1) or /v2", { status: 426 });
    },
    websocket: {
      open(ws) {
        open.add(ws);
      },
      message(ws, message) {
        if (ws.data.stalled) return;
        let m: Record<string, unknown>;
        try {
          m = JSON.parse(String(message)) as Record<string, unknown>;
        } catch {
          send(ws, JSON.stringify({ event: "error", errorMessage: "Malformed request" }));
          return;
        }
        if (m.event === "ping") send(ws, JSON.stringify({ event: "pong", reqid: m.reqid }));
        else if (m.method === "ping") {
          const now = new Date().toISOString();
          send(ws, JSON.stringify({ method: "pong", req_id: m.req_id, time_in: now, time_out: now }));
        } else if (m.event === "subscribe" || m.method === "subscribe") onSubscribe(ws, m);
        else if (m.event === "unsubscribe") {
          const sub = (m.subscription ?? {}) as Record<string, unknown>;
          for (const pair of (m.pair ?? []) as string[]) {
            ws.data.muted.add(`${sub.name} ${pair}`);
            const channelID = ws.data.books.get(pair)?.channelId;
            send(
              ws,
              JSON.stringify({
                channelID,
                event: "subscriptionStatus",
                pair,
                status: "unsubscribed",
                subscription: sub,
              }),
            );
          }
        } else if (m.method === "unsubscribe") {
          const params = (m.params ?? {}) as { channel?: string; symbol?: string[] };
          for (const symbol of params.symbol ?? []) ws.data.muted.add(`${params.channel} ${symbol}`);
          send(ws, JSON.stringify({ method: "unsubscribe", result: m.params, success: true, req_id: m.req_id }));
        }
      },
      close(ws) {
        ws.data.abort.abort();
        open.delete(ws);
      },
    },
  });

  const base = `${server.hostname}:${server.port}`;
  return {
    url: api === "v2" ? `ws://${base}/v2` : `ws://${base}`,
    restUrl: `http://${base}`,
    api,
    records,
    stats,
    orders: desk,
    stop() {
      for (const ws of open) {
        ws.data.abort.abort();
        ws.close(1001, "replay venue stopping");
      }
      server.stop(true);
    },
  };
}

/** The pairs of the 2021 cryptofeed session (v1 names). */
export const KRAKEN_DEMO_PAIRS = [
  "WAVES/EUR",
  "XMR/USD",
  "KSM/XBT",
  "GRT/ETH",
  "SC/EUR",
  "ETH/CHF",
  "OCEAN/XBT",
  "OMG/USD",
  "XBT/CHF",
  "ADA/XBT",
] as const;

/**
 * The offline demo venue: the 2021 cryptofeed session of fixtures/kraken/, book-1000 and trades of 10 pairs merged
 * on their common recorder clock, with the AssetPairs response of the same session. Run the collector against it
 * with `--url <url> --rest-url <restUrl> --symbols <KRAKEN_DEMO_PAIRS> --depth 1000`.
 */
export function krakenDemoVenueOptions(
  fixturesDir: string,
  overrides: Partial<KrakenVenueOptions> = {},
): KrakenVenueOptions {
  const dir = fixturesDir.replace(/\/+$/, "");
  return {
    capture: [
      `${dir}/v1-book1000-10pairs-2021-04-17.cryptofeed.jsonl.gz`,
      `${dir}/v1-trade-10pairs-2021-04-17.cryptofeed.jsonl`,
    ],
    assetPairs: `${dir}/v1-rest-assetpairs-2021-04-17.cryptofeed.jsonl.gz`,
    speed: 1,
    loop: true,
    ...overrides,
  };
}
