import { InstrumentId } from "../../data/instrument-id.ts";
import type { PoolSwap } from "../../data/tlv-layouts.ts";
import { SourceType, VenueId } from "../../data/venues.ts";
import { FrameBuilder } from "../../rules/builder.ts";
import { FrameParser } from "../../rules/parser.ts";
import type { TimedFrame } from "./merge-streams.ts";

/** The captured V3 pool the scenario prices against: Uniswap V3 USDC.e/WETH 0.05 % on Polygon (token0 USDC.e). */
export const SCENARIO_POOL = InstrumentId.pool(VenueId.UniswapV3, 137, "0x45dda9cb7c25131df268515131f647d726f50608");
export const SCENARIO_BOOK = InstrumentId.spot(VenueId.Kraken, "ETH", "USD");
const POL_BOOK = InstrumentId.spot(VenueId.Kraken, "POL", "USD");
const E8 = 100_000_000n;
const TICK = 1_000_000n; // 0.01 USD

export interface ArbitrageScenarioOptions {
  /** A Kraken ETH/USD book after every n-th Swap of the pool. Default 100. */
  everySwaps?: number;
  /** Best ask this many bps under the pool price (buy on Kraken, sell into the pool). Default 60. */
  askDiscountBps?: bigint;
  /** Size of each of the two ask levels, e8 ETH. Default 2 ETH. */
  levelSizeE8?: bigint;
}

/**
 * HAND-MADE CEX data for an arbitrage opportunity on the REAL Polygon pool data: the fixtures' CEX captures are of
 * other dates and pairs (no ETH/USD book on 2023-11-25) and the captures hold no GasPrice, so the real data alone
 * cannot produce an ArbitrageSignal. At the pool's first event: a GasPrice (chain 137, 30 gwei) and a Kraken POL/USD
 * book at 0.50 USD (the gas token price). After every n-th V3 Swap of the pool: a Kraken ETH/USD book whose asks sit
 * `askDiscountBps` and half that under the pool's price after that swap, bids 200 bps under it; after the next
 * Swap, a fair book (10 bps either side), so each opportunity lasts one pool event. Everything else
 * (pool state, the swap loop, sizing) is the real data and the real code.
 */
export function arbitrageScenarioStream(
  streams: readonly (readonly TimedFrame[])[],
  options: ArbitrageScenarioOptions = {},
): TimedFrame[] {
  const every = options.everySwaps ?? 100;
  const discount = options.askDiscountBps ?? 60n;
  const size = options.levelSizeE8 ?? 2n * E8;
  const builder = new FrameBuilder({ domain: 1, source: SourceType.Replay });
  const parser = new FrameParser();
  const out: TimedFrame[] = [];
  const key = SCENARIO_POOL.toString();
  let swaps = 0;
  let updateId = 0n;
  const frame = (t: bigint, build: (b: FrameBuilder) => FrameBuilder): void => {
    out.push({ frame: build(builder.begin(t)).finish().slice(), timeNs: t });
  };
  for (const stream of streams) {
    for (const { frame: bytes, timeNs } of stream) {
      if (parser.check(bytes) !== 0) continue;
      for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
        if (parser.tlvType !== 11 && parser.tlvType !== 15) continue;
        const v = parser.readTlv() as unknown as PoolSwap;
        if (v.pool.toString() !== key) continue;
        if (out.length === 0) {
          frame(timeNs, (b) =>
            b.add("GasPrice", {
              chainId: 137,
              blockNumber: v.blockNumber,
              baseFeeWei: 30_000_000_000n,
              priorityFeeWei: 0n,
            }),
          );
          const pol = { price: 50_000_000n, size: 1_000_000n * E8, orderCount: 0 };
          frame(timeNs, (b) =>
            b.add("OrderBook", {
              instrument: POL_BOOK,
              exchangeTsNs: timeNs,
              updateId: 1n,
              flags: 1,
              bids: [pol],
              asks: [{ ...pol, price: pol.price + TICK }],
            }),
          );
        }
        if (parser.tlvType !== 11 || v.sqrtPriceX96 === 0n) continue;
        swaps++;
        const opportunity = swaps % every === 0;
        if (!opportunity && swaps % every !== 1 % every) continue;
        // USD e8 per ETH: token0 USDC.e (6 dp), token1 WETH (18 dp): 2^192 * 10^12 * 10^8 / sqrtP^2
        const poolE8 = ((1n << 192n) * 10n ** 20n) / (v.sqrtPriceX96 * v.sqrtPriceX96);
        const under = (bps: bigint) => ((poolE8 - (poolE8 * bps) / 10_000n) / TICK) * TICK;
        // the swap after an opportunity: a fair book (10 bps either side of the pool), so the gap closes again
        const asks = opportunity
          ? [
              { price: under(discount), size, orderCount: 0 },
              { price: under(discount / 2n), size, orderCount: 0 },
            ]
          : [{ price: under(-10n), size, orderCount: 0 }];
        const bids = [{ price: under(opportunity ? 200n : 10n), size, orderCount: 0 }];
        frame(timeNs, (b) =>
          b.add("OrderBook", {
            instrument: SCENARIO_BOOK,
            exchangeTsNs: timeNs,
            updateId: ++updateId,
            flags: 1,
            bids,
            asks,
          }),
        );
      }
    }
  }
  return out;
}
