import { MarketPublisher } from "../../../../src/behavior/adapters/common/market-publisher.ts";
import type { PolygonCollectorConfig } from "../../../../src/behavior/adapters/polygon/config.ts";
import { PolygonDataClient } from "../../../../src/behavior/adapters/polygon/data-client.ts";
import type { RpcLog } from "../../../../src/behavior/adapters/polygon/pool-info.ts";
import {
  type PolygonVenue,
  type PolygonVenueOptions,
  startPolygonVenue,
} from "../../../../src/behavior/venues/polygon-venue.ts";
import { LAYOUT_BY_TYPE } from "../../../../src/data/tlv-layouts.ts";
import { SourceType } from "../../../../src/data/venues.ts";
import { FrameParser } from "../../../../src/rules/parser.ts";
import { Until } from "../../relay/helpers.ts";
import { QS_POOL, V3_POOL } from "./fixture.ts";

export { FIXTURES, QS_POOL, QUICKSWAP, readLogs, V3_DAY, V3_POOL, V3_POOL_INFO } from "./fixture.ts";

export const SWAP_V3 = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67";
export const MINT_V3 = "0x7a53080ba414158be7ec69b987b5fb7d07dee101fe85488f0853ae16239d0bde";
export const BURN_V3 = "0x0c396cd989a39f4459b5fa1aed6a9a8dcdbc45908acfd67e028cd568da98982c";

/** A decoded TLV with its type name and the frame's header flags. */
export interface Tlv {
  type: string;
  frameFlags: number;
  [field: string]: unknown;
}

/** The collector's real path: replay venue (real WebSocket server) -> PolygonDataClient -> MarketPublisher sink. */
export class Harness {
  readonly tlvs: Tlv[] = [];
  readonly changed = new Until();
  readonly problems: unknown[] = [];
  private readonly parser = new FrameParser();
  constructor(
    readonly venue: PolygonVenue,
    readonly client: PolygonDataClient,
  ) {}

  static async start(venue: PolygonVenueOptions, config: Partial<PolygonCollectorConfig> = {}): Promise<Harness> {
    const v = await startPolygonVenue({ speed: Number.POSITIVE_INFINITY, ...venue });
    let h: Harness | undefined;
    const publisher = new MarketPublisher({
      source: SourceType.PolygonCollector,
      name: "test",
      sink: (frame) => h!.onFrame(frame),
    });
    const client = new PolygonDataClient(
      { url: v.url, pools: [V3_POOL, QS_POOL], maxRequestsPerSecond: 10_000, ...config },
      publisher,
      {
        onProblem: (_what, e) => {
          h!.problems.push(e);
          h!.changed.check();
        },
        onState: () => h?.changed.check(),
      },
    );
    h = new Harness(v, client);
    return h;
  }

  private onFrame(frame: Uint8Array): void {
    const p = this.parser;
    if (p.check(frame) !== 0) throw new Error(`collector built an invalid frame (code ${p.lastError})`);
    for (let ok = p.firstTlv(); ok; ok = p.nextTlv()) {
      this.tlvs.push({ type: LAYOUT_BY_TYPE[p.tlvType]!.name, frameFlags: p.flags, ...p.readTlv()! });
    }
    this.changed.check();
  }

  of(type: string): Tlv[] {
    return this.tlvs.filter((t) => t.type === type);
  }

  until(predicate: () => boolean): Promise<void> {
    return this.changed.until(predicate);
  }

  [Symbol.dispose](): void {
    this.client.stop();
    this.venue.stop();
  }
}

const words = (data: string) => (data.slice(2).match(/.{64}/g) ?? []).map((w) => BigInt(`0x${w}`));

/** The expected PoolSwap fields of a V3 Swap log, decoded here independently of the adapter. */
export function expectedV3Swap(log: RpcLog): Record<string, unknown> {
  const w = words(log.data);
  const a0 = BigInt.asIntN(256, w[0]);
  const a1 = BigInt.asIntN(256, w[1]);
  return {
    blockNumber: BigInt(log.blockNumber),
    logIndex: Number(log.logIndex),
    txHash: log.transactionHash,
    amount0In: a0 > 0n ? a0 : 0n,
    amount1In: a1 > 0n ? a1 : 0n,
    amount0Out: a0 < 0n ? -a0 : 0n,
    amount1Out: a1 < 0n ? -a1 : 0n,
    sqrtPriceX96: w[2],
    liquidity: w[3],
    tick: Number(BigInt.asIntN(24, w[4])),
    timestampNs: BigInt(log.blockTimestamp!) * 1_000_000_000n,
  };
}

export function pick(t: Tlv, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, t[k]]));
}

export const SWAP_KEYS = [
  "blockNumber",
  "logIndex",
  "txHash",
  "amount0In",
  "amount1In",
  "amount0Out",
  "amount1Out",
  "sqrtPriceX96",
  "liquidity",
  "tick",
  "timestampNs",
];
