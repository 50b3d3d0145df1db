import type { Address } from "../../../data/instrument-id.ts";
import { VENUE_ID_BY_NAME, VenueId } from "../../../data/venues.ts";

/** A pool factory the collector knows: which venue its pools are, which AMM, and the CREATE2 init code hash. */
export interface KnownFactory {
  factory: Address;
  venue: number;
  protocol: 2 | 3;
  initCodeHash: `0x${string}`;
  /** V2 fee in millionths (QuickSwap and SushiSwap pairs: 0.3 %); V3 pools read fee(). */
  v2FeePpm?: number;
}

/**
 * Polygon PoS factories (shared/captures/polygon/pools.json, where every pool address was re-derived with CREATE2
 * from these). Keys are lower-case.
 */
export const POLYGON_FACTORIES: ReadonlyMap<string, KnownFactory> = new Map(
  (
    [
      {
        factory: "0x5757371414417b8c6caad45baef941abc7d3ab32",
        venue: VenueId.QuickSwap,
        protocol: 2,
        initCodeHash: "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f",
        v2FeePpm: 3000,
      },
      {
        factory: "0xc35dadb65012ec5796536bd9864ed8773abc74c4",
        venue: VenueId.SushiSwapPolygon,
        protocol: 2,
        initCodeHash: "0xe18a34eb0e04b04f7a0ac29a6e80748dca96319b42c54d679cb821dca90c6303",
        v2FeePpm: 3000,
      },
      {
        factory: "0x1f98431c8ad98523631ae4a59f267346ea31f984",
        venue: VenueId.UniswapV3,
        protocol: 3,
        initCodeHash: "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54",
      },
    ] as KnownFactory[]
  ).map((f) => [f.factory, f]),
);

/** The two pools of the captures (fixtures/polygon): the default when no pool is configured. */
export const DEFAULT_POOLS: readonly Address[] = [
  "0x45dda9cb7c25131df268515131f647d726f50608",
  "0x4a35582a710e1f4b2030a3f826da20bfb6703c09",
];

export interface PolygonCollectorConfig {
  /** WebSocket JSON-RPC endpoint. */
  url: string;
  /** Pool addresses to follow. */
  pools: readonly string[];
  /** EVM chain id the node must report (eth_chainId). Default 137. */
  chainId?: number;
  /** Backfill from this block at start (eth_getLogs), before the live subscription's logs. Default: none. */
  fromBlock?: bigint;
  /** Blocks per eth_getLogs request (providers cap the range; 2,000 fits the common public limits). */
  maxBlockRange?: number;
  /** Client-side request rate cap (token bucket), requests per second. Default 20. */
  maxRequestsPerSecond?: number;
  /** Reconnect when nothing arrived for this long; a keep-alive eth_blockNumber goes out every third of it. */
  staleAfterMs?: number;
  /** A request without an answer after this long fails (RpcTimeout). Default 10 s. */
  requestTimeoutMs?: number;
  /** Blocks of (block, logIndex) keys kept for de-duplication and reorg corrections. Default 1,000. */
  reorgWindowBlocks?: number;
  /** Check each pool address by CREATE2 (default true). */
  verifyCreate2?: boolean;
  /**
   * Factories to accept besides POLYGON_FACTORIES (a local chain's deployments, e.g. anvil in the tests): same CREATE2
   * check with their own init code hash. One with the address of a known factory replaces it. Default: none.
   */
  extraFactories?: readonly KnownFactory[];
}

/** POLYGON_FACTORIES plus the configured extra ones (keys lower-case); POLYGON_FACTORIES itself without extras. */
export function knownFactories(extra: readonly KnownFactory[] = []): ReadonlyMap<string, KnownFactory> {
  if (extra.length === 0) return POLYGON_FACTORIES;
  const all = new Map(POLYGON_FACTORIES);
  for (const f of extra) all.set(f.factory.toLowerCase(), { ...f, factory: f.factory.toLowerCase() as Address });
  return all;
}

/**
 * One `--factory` value: `<address>:<v2|v3>:<init code hash>[:<venue>]`, venue a name of VENUE_NAME_BY_ID or a number
 * (default uniswap_v2 / uniswap_v3). V2 pairs of an extra factory get the 0.3 % fee. Throws Error with the reason.
 */
export function parseFactorySpec(text: string): KnownFactory {
  const [address, amm, hash, venueText, ...rest] = text.trim().toLowerCase().split(":");
  if (rest.length > 0 || !/^0x[0-9a-f]{40}$/.test(address ?? "")) {
    throw new Error(`"${text}" is not <0x address>:<v2|v3>:<0x init code hash>[:<venue>]`);
  }
  if (amm !== "v2" && amm !== "v3") throw new Error(`"${text}": the AMM must be v2 or v3 (got "${amm ?? ""}")`);
  if (!/^0x[0-9a-f]{64}$/.test(hash ?? ""))
    throw new Error(`"${text}": the init code hash must be 0x and 64 hex digits`);
  const protocol = amm === "v3" ? 3 : 2;
  let venue: number = protocol === 3 ? VenueId.UniswapV3 : VenueId.UniswapV2;
  if (venueText) {
    const v = VENUE_ID_BY_NAME.get(venueText) ?? (/^\d+$/.test(venueText) ? Number(venueText) : undefined);
    if (v === undefined || v > 65535) throw new Error(`"${text}": unknown venue "${venueText}"`);
    venue = v;
  }
  return {
    factory: address as Address,
    venue,
    protocol,
    initCodeHash: hash as `0x${string}`,
    ...(protocol === 2 ? { v2FeePpm: 3000 } : {}),
  };
}
