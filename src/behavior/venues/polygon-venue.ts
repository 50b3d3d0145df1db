import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ServerWebSocket } from "bun";
import { decodeFunctionData, encodeFunctionResult, type Hex } from "viem";
import { poolMetadataAbi, Topic } from "../adapters/polygon/abi.ts";
import type { RpcLog } from "../adapters/polygon/pool-info.ts";
import { playRecords } from "./capture-records.ts";

/**
 * A local Polygon JSON-RPC node for tests and the offline demo: a Bun.serve WebSocket endpoint that serves captured
 * pool logs (eth_getLogs JSON lines, fixtures/polygon) as a chain that advances block by block at a chosen speed.
 *
 * Methods: eth_chainId (0x89), eth_blockNumber (the replay head), eth_subscribe / eth_unsubscribe "logs" (address and
 * topic0 filters; one eth_subscription notification per log, blocks in order), eth_getLogs (address, topics, block
 * range over the logs up to the head), eth_call for the pools and tokens of pools.json: token0, token1, factory, fee,
 * tickSpacing, decimals, symbol from the file; slot0, liquidity and getReserves DERIVED from the logs at or before
 * the requested block (see stateAt). Anything else is a JSON-RPC error, as a node would answer.
 *
 * Faults for tests: `reorgLogs` (after log i, the same log again with removed:true, then re-included), `corruptLogs`
 * (log i sent with its data cut short), `dropLogs` (log i never notified, though on the chain: only a backfill finds
 * it), `closeAfterMessages` (the first connection is closed after N notifications), `silentAfterMessages` (the first
 * connection goes silent after N notifications without closing: a dead connection).
 */
export interface PolygonVenueOptions {
  /** eth_getLogs JSON-lines files (.gz read too), or the logs themselves. */
  logs: string | string[] | RpcLog[];
  /** pools.json (default fixtures/polygon/pools.json). */
  poolsFile?: string;
  port?: number;
  /** Block pace: 1 = the recorded block times, 10 = ten times faster, Infinity = as fast as possible. Default 1. */
  speed?: number;
  /** Play the capture again after the end, block numbers shifted past the last block. */
  loop?: boolean;
  /** Blocks up to this one are already on the chain at start (eth_getLogs finds them, no notification). */
  headBlock?: number;
  /** Start the playback at the first eth_subscribe (default) or at once. */
  startOnSubscribe?: boolean;
  /** Gap in ms between blocks without a timestamp when speed is finite. Default 2000 (Polygon's block time). */
  defaultBlockGapMs?: number;
  faults?: {
    reorgLogs?: number[];
    corruptLogs?: number[];
    dropLogs?: number[];
    closeAfterMessages?: number;
    /** The first connection stops sending anything (answers too) after N notifications, without closing. */
    silentAfterMessages?: number;
  };
}

export interface PolygonVenue {
  url: string;
  port: number;
  /** Resolves when the playback has sent the last block (not with loop). */
  done: Promise<void>;
  head(): number;
  readonly stats: { connections: number; notifications: number; closedByFault: number; requests: number };
  stop(): void;
}

interface PoolRow {
  type: "uniswap-v2" | "uniswap-v3";
  address: string;
  token0: { address: string; decimals: number; symbol: string };
  token1: { address: string; decimals: number; symbol: string };
  feePips?: number;
  tickSpacing?: number;
  factory: string;
}

interface Subscription {
  addresses: Set<string> | null;
  topic0s: Set<string> | null;
}

interface Conn {
  n: number;
  subs: Map<string, Subscription>;
  sent: number;
  /** A dead connection (fault): open, but nothing is sent any more. */
  silent: boolean;
}

const DEFAULT_POOLS = join(import.meta.dir, "../../../fixtures/polygon/pools.json");

export async function startPolygonVenue(options: PolygonVenueOptions): Promise<PolygonVenue> {
  const source = loadLogs(options.logs);
  const pools = new Map<string, PoolRow>();
  const tokens = new Map<string, { decimals: number; symbol: string }>();
  const table = JSON.parse(readFileSync(options.poolsFile ?? DEFAULT_POOLS, "utf8")) as { pools: PoolRow[] };
  for (const p of table.pools) {
    pools.set(p.address.toLowerCase(), p);
    for (const t of [p.token0, p.token1]) tokens.set(t.address.toLowerCase(), t);
  }
  const speed = options.speed ?? 1;
  const faults = options.faults ?? {};
  const reorg = new Set(faults.reorgLogs ?? []);
  const corrupt = new Set(faults.corruptLogs ?? []);
  const drop = new Set(faults.dropLogs ?? []);
  const firstBlock = source.length ? blockOf(source[0]) : 0;
  const lastBlock = source.length ? blockOf(source[source.length - 1]) : 0;
  let head = options.headBlock ?? firstBlock - 1;
  /** The canonical chain so far: logs at or below the head, in order. */
  const chain: RpcLog[] = source.filter((l) => blockOf(l) <= head);
  const conns = new Set<ServerWebSocket<Conn>>();
  const stats = { connections: 0, notifications: 0, closedByFault: 0, requests: 0 };
  const abort = new AbortController();
  let started = false;
  let nextSub = 1;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));

  const notify = (log: RpcLog, text: string | undefined = undefined): void => {
    const address = log.address.toLowerCase();
    const body = text ?? JSON.stringify(log);
    for (const ws of conns) {
      if (ws.data.silent) continue;
      for (const [id, s] of ws.data.subs) {
        if (s.addresses && !s.addresses.has(address)) continue;
        if (s.topic0s && !s.topic0s.has(log.topics[0])) continue;
        ws.send(`{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${id}","result":${body}}}`);
        stats.notifications++;
        if (++ws.data.sent === faults.closeAfterMessages && ws.data.n === 1) {
          stats.closedByFault++;
          ws.close(1001, "fault: close after messages");
          break;
        }
        if (ws.data.sent === faults.silentAfterMessages && ws.data.n === 1) {
          ws.data.silent = true;
          break;
        }
      }
    }
  };

  const play = async (): Promise<void> => {
    let round = 0;
    do {
      const shift = round * (lastBlock - firstBlock + 1);
      const blocks = groupByBlock(
        source.filter((l) => blockOf(l) > (options.headBlock ?? firstBlock - 1) || round > 0),
      );
      let index = 0;
      await playRecords(
        blocks,
        speed,
        (b) => {
          head = b.block + shift;
          for (const original of b.logs) {
            const i = index++;
            const log = shift ? { ...original, blockNumber: hex(blockOf(original) + shift) } : original;
            chain.push(log);
            if (drop.has(i)) continue;
            if (corrupt.has(i)) notify(log, JSON.stringify({ ...log, data: log.data.slice(0, -2) }));
            else notify(log);
            if (reorg.has(i)) {
              notify(log, JSON.stringify({ ...log, removed: true }));
              notify(log);
            }
          }
        },
        { signal: abort.signal, defaultGapMs: options.defaultBlockGapMs ?? 2000 },
      );
      round++;
    } while (options.loop && !abort.signal.aborted);
    resolveDone();
  };

  const start = (): void => {
    if (started) return;
    started = true;
    void play();
  };

  const answer = (id: unknown, result: unknown) => JSON.stringify({ jsonrpc: "2.0", id, result });
  const error = (id: unknown, code: number, message: string) =>
    JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } });

  const handle = (ws: ServerWebSocket<Conn>, text: string): string => {
    let req: { id?: unknown; method?: string; params?: unknown[] };
    try {
      req = JSON.parse(text);
    } catch {
      return error(null, -32700, "parse error");
    }
    stats.requests++;
    const { id, method } = req;
    const params = req.params ?? [];
    switch (method) {
      case "eth_chainId":
        return answer(id, "0x89");
      case "eth_blockNumber":
        return answer(id, hex(head));
      case "eth_subscribe": {
        if (params[0] !== "logs") return error(id, -32602, `subscription "${String(params[0])}" is not served`);
        const f = (params[1] ?? {}) as { address?: string | string[]; topics?: unknown[] };
        const subId = `0x${(nextSub++).toString(16).padStart(32, "0")}`;
        ws.data.subs.set(subId, { addresses: addressSet(f.address), topic0s: topicSet(f.topics) });
        if (options.startOnSubscribe !== false) queueMicrotask(start);
        return answer(id, subId);
      }
      case "eth_unsubscribe":
        return answer(id, ws.data.subs.delete(String(params[0])));
      case "eth_getLogs": {
        const f = (params[0] ?? {}) as {
          address?: string | string[];
          topics?: unknown[];
          fromBlock?: string;
          toBlock?: string;
        };
        const from = blockTag(f.fromBlock, head, head);
        const to = Math.min(blockTag(f.toBlock, head, head), head);
        const addresses = addressSet(f.address);
        const topics = topicSet(f.topics);
        const out = chain.filter((l) => {
          const b = blockOf(l);
          return (
            b >= from &&
            b <= to &&
            (!addresses || addresses.has(l.address.toLowerCase())) &&
            (!topics || topics.has(l.topics[0]))
          );
        });
        return answer(id, out);
      }
      case "eth_call": {
        const call = (params[0] ?? {}) as { to?: string; data?: string };
        const block = blockTag(params[1] as string | undefined, head, head);
        const result = ethCall(String(call.to ?? "").toLowerCase(), (call.data ?? "0x") as Hex, block);
        return result === undefined ? error(id, 3, "execution reverted") : answer(id, result);
      }
      default:
        return error(id, -32601, `the method ${method} does not exist/is not available`);
    }
  };

  const ethCall = (to: string, data: Hex, block: number): Hex | undefined => {
    let call: { functionName: string };
    try {
      call = decodeFunctionData({ abi: poolMetadataAbi, data });
    } catch {
      return undefined;
    }
    const name = call.functionName;
    const result = (value: unknown) =>
      encodeFunctionResult({ abi: poolMetadataAbi, functionName: name, result: value } as never) as Hex;
    const token = tokens.get(to);
    if (token) {
      if (name === "decimals") return result(token.decimals);
      if (name === "symbol") return result(token.symbol);
      return undefined;
    }
    const pool = pools.get(to);
    if (!pool) return undefined;
    const v3 = pool.type === "uniswap-v3";
    switch (name) {
      case "token0":
        return result(pool.token0.address);
      case "token1":
        return result(pool.token1.address);
      case "factory":
        return result(pool.factory);
      case "fee":
        return v3 ? result(pool.feePips) : undefined;
      case "tickSpacing":
        return v3 ? result(pool.tickSpacing) : undefined;
      case "slot0": {
        if (!v3) return undefined;
        const s = stateAt(to, block, source, head);
        return result([s.sqrtPriceX96, s.tick, 0, 1, 1, 0, true]);
      }
      case "liquidity":
        return v3 ? result(stateAt(to, block, source, head).liquidity) : undefined;
      case "getReserves": {
        if (v3) return undefined;
        const s = stateAt(to, block, source, head);
        return result([s.reserve0, s.reserve1, 0]);
      }
      default:
        return undefined;
    }
  };

  const server = Bun.serve<Conn>({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    fetch(req, srv) {
      if (srv.upgrade(req, { data: { n: ++stats.connections, subs: new Map(), sent: 0, silent: false } }))
        return undefined;
      return new Response("Polygon replay venue: WebSocket JSON-RPC only\n", { status: 426 });
    },
    websocket: {
      open(ws) {
        conns.add(ws);
      },
      message(ws, message) {
        if (ws.data.silent) return;
        ws.send(handle(ws, typeof message === "string" ? message : new TextDecoder().decode(message)));
      },
      close(ws) {
        conns.delete(ws);
      },
    },
  });
  if (options.startOnSubscribe === false) start();

  return {
    url: `ws://127.0.0.1:${server.port}`,
    port: server.port as number,
    done,
    head: () => head,
    stats,
    stop() {
      abort.abort();
      resolveDone();
      server.stop(true);
    },
  };
}

/**
 * Pool state at `block`, derived from the captured logs (the capture has no state reads):
 * - V3: sqrtPriceX96, tick and liquidity of the last Swap at or before the block, liquidity then moved by the
 *   in-range Mint/Burn after it (tickLower <= tick < tickUpper, as UniswapV3Pool._modifyPosition does). Before the
 *   first Swap: the state after the first Swap (an approximation, the pre-swap price is not in the capture).
 * - V2: reserves of the last Sync at or before the block. Before the first Sync: that Sync with its transaction's
 *   Swap undone (reserve - amountIn + amountOut), which is exact for a Sync+Swap pair.
 */
function stateAt(
  pool: string,
  block: number,
  logs: RpcLog[],
  _head: number,
): { sqrtPriceX96: bigint; tick: number; liquidity: bigint; reserve0: bigint; reserve1: bigint } {
  const s = { sqrtPriceX96: 0n, tick: 0, liquidity: 0n, reserve0: 0n, reserve1: 0n };
  const mine = logs.filter((l) => l.address.toLowerCase() === pool);
  let seenState = false;
  for (const l of mine) {
    if (blockOf(l) > block) break;
    const w = words(l.data);
    const t0 = l.topics[0];
    if (t0 === Topic.V3Swap) {
      s.sqrtPriceX96 = w[2];
      s.liquidity = w[3];
      s.tick = Number(BigInt.asIntN(24, w[4]));
      seenState = true;
    } else if ((t0 === Topic.V3Mint || t0 === Topic.V3Burn) && seenState) {
      const lower = Number(BigInt.asIntN(24, BigInt(l.topics[2])));
      const upper = Number(BigInt.asIntN(24, BigInt(l.topics[3])));
      const amount = t0 === Topic.V3Mint ? w[1] : w[0];
      if (lower <= s.tick && s.tick < upper) s.liquidity += t0 === Topic.V3Mint ? amount : -amount;
    } else if (t0 === Topic.V2Sync) {
      s.reserve0 = w[0];
      s.reserve1 = w[1];
      seenState = true;
    }
  }
  if (seenState) return s;
  const i = mine.findIndex((l) => l.topics[0] === Topic.V3Swap || l.topics[0] === Topic.V2Sync);
  if (i < 0) return s;
  const first = mine[i];
  const w = words(first.data);
  if (first.topics[0] === Topic.V3Swap) {
    return { ...s, sqrtPriceX96: w[2], liquidity: w[3], tick: Number(BigInt.asIntN(24, w[4])) };
  }
  s.reserve0 = w[0];
  s.reserve1 = w[1];
  const next = mine[i + 1];
  if (next && next.topics[0] === Topic.V2Swap && next.transactionHash === first.transactionHash) {
    const a = words(next.data);
    s.reserve0 = s.reserve0 - a[0] + a[2];
    s.reserve1 = s.reserve1 - a[1] + a[3];
  }
  return s;
}

function loadLogs(input: PolygonVenueOptions["logs"]): RpcLog[] {
  if (Array.isArray(input) && (input.length === 0 || typeof input[0] !== "string")) return input as RpcLog[];
  const files = typeof input === "string" ? [input] : (input as string[]);
  const out: RpcLog[] = [];
  for (const path of files) {
    const raw = new Uint8Array(readFileSync(path));
    const text = new TextDecoder().decode(path.endsWith(".gz") ? Bun.gunzipSync(raw) : raw);
    for (const line of text.split("\n")) if (line.trim()) out.push(JSON.parse(line) as RpcLog);
  }
  return out.sort(
    (a, b) => blockOf(a) - blockOf(b) || Number.parseInt(a.logIndex, 16) - Number.parseInt(b.logIndex, 16),
  );
}

function groupByBlock(logs: RpcLog[]): { block: number; recvNs: bigint | null; logs: RpcLog[] }[] {
  const out: { block: number; recvNs: bigint | null; logs: RpcLog[] }[] = [];
  for (const l of logs) {
    const b = blockOf(l);
    const last = out[out.length - 1];
    if (last && last.block === b) last.logs.push(l);
    else
      out.push({
        block: b,
        recvNs: l.blockTimestamp ? BigInt(l.blockTimestamp) * 1_000_000_000n : null,
        logs: [l],
      });
  }
  return out;
}

function blockOf(l: RpcLog): number {
  return Number.parseInt(l.blockNumber, 16);
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

function words(data: string): bigint[] {
  const out: bigint[] = [];
  for (let i = 2; i + 64 <= data.length; i += 64) out.push(BigInt(`0x${data.slice(i, i + 64)}`));
  return out;
}

function blockTag(tag: string | undefined, latest: number, fallback: number): number {
  if (tag === undefined || tag === "latest" || tag === "safe" || tag === "finalized" || tag === "pending") {
    return tag === undefined ? fallback : latest;
  }
  if (tag === "earliest") return 0;
  return Number.parseInt(tag, 16);
}

function addressSet(a: string | string[] | undefined): Set<string> | null {
  if (a === undefined || a === null) return null;
  return new Set((Array.isArray(a) ? a : [a]).map((x) => x.toLowerCase()));
}

/** Only the topic0 position is filtered (the collector's filters are [[topic0s]]). */
function topicSet(topics: unknown[] | undefined): Set<string> | null {
  const t0 = topics?.[0];
  if (t0 === undefined || t0 === null) return null;
  return new Set(Array.isArray(t0) ? (t0 as string[]) : [t0 as string]);
}
