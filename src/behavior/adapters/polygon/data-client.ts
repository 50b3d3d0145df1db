import type { PublicClient } from "viem";
import { ApError } from "../../../core/errors.ts";
import { TlvType } from "../../../data/tlv-layouts.ts";
import type { MarketPublisher } from "../common/market-publisher.ts";
import type { VenueSocketState } from "../common/venue-socket.ts";
import { V2_TOPICS, V3_TOPICS } from "./abi.ts";
import { knownFactories, type PolygonCollectorConfig } from "./config.ts";
import { PolygonCollectorError } from "./errors.ts";
import { createRpcClient, PolygonInstrumentProvider } from "./instrument-provider.ts";
import { JsonRpcSocket } from "./json-rpc-socket.ts";
import { LogKeySet } from "./log-key-set.ts";
import { LogScan, scanLog, skipSpace } from "./log-scanner.ts";
import { PoolEventEncoder } from "./pool-event-encoder.ts";
import type { PoolInfo, RpcLog } from "./pool-info.ts";

/** StateInvalidation reasons (PROTOCOL.md §6). */
const REASON_REORG = 4;

/** How a node (geth, erigon, the replay venue) starts a log notification, up to the subscription id. */
const NOTIFICATION_HEAD = '{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"';
const RESULT_KEY = ',"result":';

export interface PolygonDataClientHooks {
  /** Once: the first session is connected, subscribed and backfilled. */
  onReady?: (detail: string) => void;
  /** A counted problem (bad log, failed request, refused pool): for the service log. */
  onProblem?: (what: string, error: unknown) => void;
  onState?: (state: VenueSocketState, reason: string) => void;
  /** No socket: logs are fed through ingestText/ingestLog (benchmark). Pools must be given by addPool. */
  offline?: boolean;
  /** false: every message through JSON.parse (the reference the fast path is tested against). Default true. */
  fastPath?: boolean;
}

export interface PolygonCounters {
  state: VenueSocketState | "offline";
  connects: number;
  reconnects: number;
  staleTimeouts: number;
  sessions: number;
  sessionErrors: number;
  pools: number;
  poolsRefused: number;
  snapshots: number;
  snapshotErrors: number;
  logsIn: number;
  swaps: number;
  syncs: number;
  mints: number;
  burns: number;
  /** Removed logs (reorgs) turned into corrections. */
  corrections: number;
  /** Removed logs for an event never published (nothing to correct). */
  removedUnseen: number;
  /** Logs already published (backfill overlapping the subscription, a re-sent notification). */
  duplicates: number;
  decodeErrors: number;
  /** Logs read by the in-place scanner (no JSON.parse). */
  fastLogs: number;
  /** Messages the in-place scanner left to JSON.parse (another shape, an answer, anything it does not take). */
  fastFallbacks: number;
  unknownPoolLogs: number;
  ignoredLogs: number;
  /** Backfills run (start block and one per reconnect) and the logs they brought. */
  backfills: number;
  backfilledLogs: number;
  /** Reconnects whose missed blocks were re-read (gap closed by backfill). */
  gaps: number;
  resyncs: number;
  rpcRequests: number;
  rpcErrors: number;
  rpcTimeouts: number;
  headBlock: number;
  syncedBlock: number;
}

/**
 * The Polygon DEX data client: Uniswap V2 (QuickSwap, SushiSwap) and V3 pools through WebSocket JSON-RPC.
 *
 * Each connection runs one session: eth_chainId check -> pool metadata (first time; cached) -> eth_blockNumber ->
 * PoolState snapshots (first time) -> eth_subscribe("logs", pools x topic0s) -> eth_getLogs backfill (from the
 * configured start block the first time, from the last synced block after a reconnect) -> the notifications that
 * arrived meanwhile -> live. Every log is keyed by (block, logIndex): a key already published is a duplicate and is
 * dropped, so the overlap of backfill and subscription never double counts; a removed:true log of a published key
 * is re-published with the removed flag (a correction), followed by a StateInvalidation (reason reorg) and a fresh
 * PoolState.
 */
export class PolygonDataClient {
  readonly counters: PolygonCounters;
  readonly provider: PolygonInstrumentProvider | undefined;
  readonly rpc: JsonRpcSocket;
  private readonly poolsByAddress = new Map<string, PoolInfo>();
  /** Published events by (block, logIndex), with their arrival order for pruning past the reorg window. */
  private readonly seen = new LogKeySet();
  private readonly client: PublicClient | undefined;
  private session = 0;
  private syncing = true;
  private buffered: { subscription: string; log: RpcLog }[] = [];
  private subscriptionId: string | undefined;
  private readonly window: number;
  private highestBlock = 0;
  private pruneTick = 0;
  private firstDone = false;
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private keepAlive: ReturnType<typeof setInterval> | undefined;
  private readonly topics: string[];
  private readonly encoder = new PoolEventEncoder();
  /** The fast path's scratch record, and the pools by a key of four address characters (then compared in full). */
  private readonly scan = new LogScan();
  private readonly poolsByPrefix = new Map<number, FastPool[]>();
  /** NOTIFICATION_HEAD + the live subscription id + '",' + RESULT_KEY: one compare for the whole envelope head. */
  private notificationPrefix = "";
  private prefixFor: string | undefined;

  constructor(
    readonly config: PolygonCollectorConfig,
    private readonly publisher: MarketPublisher,
    private readonly hooks: PolygonDataClientHooks = {},
  ) {
    this.window = config.reorgWindowBlocks ?? 1000;
    this.topics = [...V2_TOPICS, ...V3_TOPICS];
    this.readyPromise = new Promise((resolve) => (this.resolveReady = resolve));
    this.counters = {
      state: hooks.offline ? "offline" : "connecting",
      connects: 0,
      reconnects: 0,
      staleTimeouts: 0,
      sessions: 0,
      sessionErrors: 0,
      pools: 0,
      poolsRefused: 0,
      snapshots: 0,
      snapshotErrors: 0,
      logsIn: 0,
      swaps: 0,
      syncs: 0,
      mints: 0,
      burns: 0,
      corrections: 0,
      removedUnseen: 0,
      duplicates: 0,
      decodeErrors: 0,
      fastLogs: 0,
      fastFallbacks: 0,
      unknownPoolLogs: 0,
      ignoredLogs: 0,
      backfills: 0,
      backfilledLogs: 0,
      gaps: 0,
      resyncs: 0,
      rpcRequests: 0,
      rpcErrors: 0,
      rpcTimeouts: 0,
      headBlock: 0,
      syncedBlock: 0,
    };
    this.rpc = new JsonRpcSocket({
      url: config.url,
      offline: hooks.offline,
      staleAfterMs: config.staleAfterMs,
      requestTimeoutMs: config.requestTimeoutMs,
      maxRequestsPerSecond: config.maxRequestsPerSecond,
      onOpen: () => void this.runSession(),
      fastText: hooks.fastPath === false ? undefined : (text) => this.fastNotification(text),
      onNotification: (subscription, result) => this.onNotification(subscription, result as RpcLog),
      onBadMessage: (_text, reason) => this.hooks.onProblem?.(`bad message (${reason})`, undefined),
      onState: (state, reason) => {
        this.counters.state = state;
        if (state === "backoff") {
          this.syncing = true;
          this.subscriptionId = undefined;
        }
        hooks.onState?.(state, reason);
      },
    });
    if (!hooks.offline) {
      this.client = createRpcClient((method, params) => this.rpc.request(method, params));
      this.provider = new PolygonInstrumentProvider(this.client, {
        chainId: config.chainId ?? 137,
        verifyCreate2: config.verifyCreate2 ?? true,
        factories: knownFactories(config.extraFactories),
      });
      const every = Math.max(50, Math.floor((config.staleAfterMs ?? 30_000) / 3));
      this.keepAlive = setInterval(() => this.ping(), every);
      this.keepAlive.unref?.();
    } else {
      this.syncing = false;
    }
  }

  /** Resolves when the first session is live. */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Follows a pool whose metadata is already known (benchmarks, tests of the decoding path). */
  addPool(pool: PoolInfo): void {
    this.poolsByAddress.set(pool.address, pool);
    const bytes = new TextEncoder().encode(pool.address);
    if (bytes.length === 42) {
      const dv = new DataView(bytes.buffer);
      const words = Int32Array.from({ length: 10 }, (_, k) => dv.getInt32(2 + 4 * k, true));
      const list = this.poolsByPrefix.get(words[0]) ?? [];
      this.poolsByPrefix.set(words[0], [...list.filter((p) => p.pool.address !== pool.address), { pool, words }]);
    }
    this.counters.pools = this.poolsByAddress.size;
  }

  /** A raw message from the node, as the socket would deliver it (benchmark entry point). */
  ingestText(text: string): void {
    this.rpc.handleText(text);
  }

  stop(): void {
    clearInterval(this.keepAlive);
    this.session++;
    this.rpc.close();
  }

  /** Counters for reportStats (`ap status --json`). */
  stats(): PolygonCounters {
    const c = this.counters;
    const s = this.rpc.socket?.counters;
    if (s) {
      c.connects = s.connects;
      c.reconnects = s.reconnects;
      c.staleTimeouts = s.staleTimeouts;
    }
    c.rpcRequests = this.rpc.counters.requests;
    c.rpcErrors = this.rpc.counters.rpcErrors;
    c.rpcTimeouts = this.rpc.counters.timeouts;
    return c;
  }

  private async runSession(): Promise<void> {
    const gen = ++this.session;
    const first = !this.firstDone;
    this.syncing = true;
    this.buffered = [];
    this.subscriptionId = undefined;
    this.counters.sessions++;
    try {
      const chainId = Number(BigInt((await this.rpc.request("eth_chainId", [])) as string));
      const want = this.config.chainId ?? 137;
      if (chainId !== want) {
        throw new PolygonCollectorError({
          code: "ChainMismatch",
          message: `the node serves chain ${chainId}, the collector is configured for ${want}`,
          facts: { found: chainId, expected: want, url: this.config.url },
          hint: "point --url at a Polygon node (chain 137) or set the chain id",
        });
      }
      if (first) await this.loadPools();
      if (gen !== this.session) return;
      const head = Number(BigInt((await this.rpc.request("eth_blockNumber", [])) as string));
      this.counters.headBlock = head;
      if (first) {
        const at = this.config.fromBlock !== undefined ? this.config.fromBlock - 1n : BigInt(head);
        await this.snapshotAll(at);
      }
      const addresses = [...this.poolsByAddress.keys()];
      const subscription = (await this.rpc.request("eth_subscribe", [
        "logs",
        { address: addresses, topics: [this.topics] },
      ])) as string;
      if (gen !== this.session) return;
      this.subscriptionId = subscription;
      let from: number | undefined;
      if (first) from = this.config.fromBlock === undefined ? undefined : Number(this.config.fromBlock);
      else {
        from = Math.max(this.counters.syncedBlock, this.highestBlock);
        this.counters.gaps++;
        this.counters.resyncs++;
      }
      if (from !== undefined && from <= head) await this.backfill(from, head, gen);
      if (gen !== this.session) return;
      this.counters.syncedBlock = Math.max(this.counters.syncedBlock, head);
      this.syncing = false;
      const pending = this.buffered;
      this.buffered = [];
      for (const b of pending) if (b.subscription === subscription) this.ingestLog(b.log, false);
      if (first) {
        this.firstDone = true;
        this.hooks.onReady?.(`polygon: ${addresses.length} pools, head ${head}, subscription ${subscription}`);
        this.resolveReady();
      }
    } catch (e) {
      if (gen !== this.session) return;
      this.counters.sessionErrors++;
      this.hooks.onProblem?.("session failed", e);
      // A disconnect restarts the session by itself; any other failure forces a fresh connection.
      if (!isDisconnect(e)) {
        this.rpc.reconnect(`session failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  private async loadPools(): Promise<void> {
    const results = await Promise.allSettled(this.config.pools.map((p) => this.provider!.load(p)));
    results.forEach((r, i) => {
      if (r.status === "fulfilled") this.addPool(r.value);
      else {
        this.counters.poolsRefused++;
        this.hooks.onProblem?.(`pool ${this.config.pools[i]} refused`, r.reason);
        if (isDisconnect(r.reason)) throw r.reason;
      }
    });
    if (this.poolsByAddress.size === 0) {
      throw new PolygonCollectorError({
        code: "NoPools",
        message: "no configured pool could be loaded",
        facts: { configured: this.config.pools.length, refused: this.counters.poolsRefused },
        hint: "check the pool addresses and that the node answers eth_call",
      });
    }
  }

  /**
   * One PoolState per pool. A read that fails (a node without archive state refuses an old block) is reported and
   * skipped, not fatal: the events still flow; only a lost connection aborts the session.
   */
  private async snapshotAll(blockNumber: bigint): Promise<void> {
    for (const pool of this.poolsByAddress.values()) {
      try {
        await this.snapshot(pool, blockNumber);
      } catch (e) {
        if (isDisconnect(e)) throw e;
        this.counters.snapshotErrors++;
        this.hooks.onProblem?.(`PoolState of ${pool.address} at block ${blockNumber} failed`, e);
      }
    }
  }

  private async snapshot(pool: PoolInfo, blockNumber: bigint): Promise<void> {
    const state = await this.provider!.readState(pool, blockNumber);
    if (state.protocol === 3 && state.sqrtPriceX96 === 0n) {
      this.hooks.onProblem?.(`pool ${pool.address} not initialized at block ${blockNumber}`, undefined);
      return;
    }
    this.publisher.publish("PoolState", state);
    this.counters.snapshots++;
  }

  /** eth_getLogs over [from, to] in ranges of maxBlockRange; a range the node refuses is halved and retried. */
  private async backfill(from: number, to: number, gen: number): Promise<void> {
    this.counters.backfills++;
    let span = Math.max(1, this.config.maxBlockRange ?? 2000);
    const address = [...this.poolsByAddress.keys()];
    for (let start = from; start <= to; ) {
      const end = Math.min(to, start + span - 1);
      let logs: RpcLog[];
      try {
        logs = (await this.rpc.request("eth_getLogs", [
          { address, topics: [this.topics], fromBlock: hex(start), toBlock: hex(end) },
        ])) as RpcLog[];
      } catch (e) {
        if (e instanceof PolygonCollectorError && e.code === "RpcError" && span > 1) {
          span = Math.ceil(span / 2);
          continue;
        }
        throw e;
      }
      if (gen !== this.session) return;
      this.counters.backfilledLogs += logs.length;
      for (const log of logs) this.ingestLog(log, false);
      start = end + 1;
    }
  }

  private onNotification(subscription: string, log: RpcLog): void {
    if (this.syncing) {
      this.buffered.push({ subscription, log });
      return;
    }
    if (subscription !== this.subscriptionId) return; // a subscription of an earlier session
    this.ingestLog(log, true);
  }

  /**
   * The fast path for a log notification of the live subscription: the text scanned in place (LogScan), the pool
   * and event matched by comparing characters, the TLV written from the hex by encodeText, then the same
   * de-duplication and publishing as ingestLog. Returns false, having changed nothing, for any message it does not
   * take (while syncing, another subscription, another shape, an unknown pool or event, a value encode() would
   * refuse): the socket then parses it with JSON.parse and the usual path decides.
   */
  private fastNotification(t: string): boolean {
    const sub = this.subscriptionId;
    if (this.syncing || sub === undefined) return this.fallback();
    if (this.prefixFor !== sub) {
      this.notificationPrefix = `${NOTIFICATION_HEAD}${sub}"${RESULT_KEY}`;
      this.prefixFor = sub;
    }
    if (!t.startsWith(this.notificationPrefix) || !this.scan.load(t)) return this.fallback();
    let p = scanLog(this.notificationPrefix.length, this.scan);
    if (p < 0) return this.fallback();
    if (t.charCodeAt(p) !== 125) p = skipSpace(t, p);
    if (t.charCodeAt(p) !== 125) return this.fallback();
    p++;
    if (t.charCodeAt(p) !== 125) p = skipSpace(t, p);
    if (t.charCodeAt(p) !== 125 || (p + 1 !== t.length && skipSpace(t, p + 1) !== t.length)) return this.fallback();
    return this.fastLog(t) || this.fallback();
  }

  /** The scanned log (this.scan over `t`) encoded and published; false if the encoder does not take it. */
  private fastLog(t: string): boolean {
    const s = this.scan;
    const dv = s.dv;
    const at = s.address + 2;
    if (s.bytes[s.address] !== 48 || s.bytes[s.address + 1] !== 120) return false; // "0x"
    const list = this.poolsByPrefix.get(dv.getInt32(at, true));
    if (list === undefined) return false;
    let pool: PoolInfo | undefined;
    for (let i = 0; i < list.length && pool === undefined; i++) {
      const w = list[i].words;
      let k = 1;
      while (k < 10 && dv.getInt32(at + 4 * k, true) === w[k]) k++;
      if (k === 10) pool = list[i].pool;
    }
    if (pool === undefined) return false;
    const type = this.encoder.encodeText(t, s, pool);
    if (type === 0) return false;
    this.counters.logsIn++;
    this.counters.fastLogs++;
    this.publishEncoded(type, pool, s.removed);
    return true;
  }

  private fallback(): false {
    this.counters.fastFallbacks++;
    return false;
  }

  /**
   * One log, live or backfilled: written as its TLV value by the encoder, de-duplicated by (block, logIndex),
   * published. Never throws: a bad log is counted and reported.
   */
  ingestLog(log: RpcLog, _live: boolean): void {
    this.counters.logsIn++;
    const address = log?.address;
    // nodes send lower-case addresses; toLowerCase() (an allocation) only for one that is not found as sent
    const pool =
      typeof address === "string"
        ? (this.poolsByAddress.get(address) ?? this.poolsByAddress.get(address.toLowerCase()))
        : undefined;
    if (!pool) {
      this.counters.unknownPoolLogs++;
      return;
    }
    const enc = this.encoder;
    let type: number;
    try {
      type = enc.encode(log, pool);
    } catch (e) {
      this.counters.decodeErrors++;
      this.hooks.onProblem?.("bad log", e);
      return;
    }
    if (type === 0) {
      this.counters.ignoredLogs++;
      return;
    }
    this.publishEncoded(type, pool, log.removed === true);
  }

  /** The encoder's event (of either path): de-duplicated by (block, logIndex), published or turned into a correction. */
  private publishEncoded(type: number, pool: PoolInfo, removed: boolean): void {
    const enc = this.encoder;
    const block = enc.blockNumber;
    if (block > 0xffffffff || enc.logIndex >= 1048576) {
      this.counters.decodeErrors++;
      this.hooks.onProblem?.(`block ${block} / log index ${enc.logIndex} out of the supported range`, undefined);
      return;
    }
    const index = enc.logIndex;
    if (removed) {
      if (!this.seen.delete(block, index)) {
        this.counters.removedUnseen++;
        return;
      }
      this.publishEvent(type, true);
      this.counters.corrections++;
      this.publisher.publish("StateInvalidation", {
        instrument: pool.instrument,
        reason: REASON_REORG,
        venueSequence: BigInt(block),
      });
      if (this.provider && !this.syncing) {
        this.counters.resyncs++;
        this.rpc
          .request("eth_blockNumber", [])
          .then((h) => this.snapshot(pool, BigInt(h as string)))
          .catch((e) => this.hooks.onProblem?.("snapshot after reorg failed", e));
      }
      return;
    }
    if (!this.seen.add(block, index)) {
      this.counters.duplicates++;
      return;
    }
    if (block > this.highestBlock) {
      this.highestBlock = block;
      if ((++this.pruneTick & 255) === 0) this.prune();
    }
    this.publishEvent(type, false);
  }

  /** Publishes the encoder's TLV; the per-type counters count events added (corrections are counted apart). */
  private publishEvent(type: number, correction: boolean): void {
    const value = this.encoder.view();
    const add = correction ? 0 : 1;
    const c = this.counters;
    switch (type) {
      case TlvType.PoolSwap:
        this.publisher.publishRaw(type, "PoolSwap", value);
        c.swaps += add;
        break;
      case TlvType.PoolSync:
        this.publisher.publishRaw(type, "PoolSync", value);
        c.syncs += add;
        break;
      case TlvType.PoolMint:
        this.publisher.publishRaw(type, "PoolMint", value);
        c.mints += add;
        break;
      case TlvType.PoolBurn:
        this.publisher.publishRaw(type, "PoolBurn", value);
        c.burns += add;
        break;
    }
  }

  /** Forgets keys of blocks older than the reorg window (keys arrive in block order, backfill and live alike). */
  private prune(): void {
    this.seen.evictBelow(this.highestBlock - this.window);
  }

  private ping(): void {
    if (this.rpc.socket?.state !== "open") return;
    this.rpc
      .request("eth_blockNumber", [])
      .then((h) => (this.counters.headBlock = Number(BigInt(h as string))))
      .catch((e) => {
        if (!(e instanceof ApError && e.code === "RpcDisconnected")) this.hooks.onProblem?.("keep-alive failed", e);
      });
  }
}

/** A lost connection, also when it comes wrapped by viem (its errors keep the transport's error as `cause`). */
function isDisconnect(e: unknown): boolean {
  for (let x = e, depth = 0; x instanceof Error && depth < 8; x = x.cause, depth++) {
    if (x instanceof PolygonCollectorError) return x.code === "RpcDisconnected";
  }
  return false;
}

/** A followed pool with its address's 40 characters as 10 little-endian 32-bit words (the first is the key). */
interface FastPool {
  pool: PoolInfo;
  words: Int32Array;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
