import { createHash } from "node:crypto";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import type { OrderBook, PoolState, TlvName, TlvValues } from "../../../src/data/tlv-layouts.ts";
import { SourceType, VenueId } from "../../../src/data/venues.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { ErrorCode } from "../../../src/rules/error-codes.ts";
import { FrameParser } from "../../../src/rules/parser.ts";

/** Hand-made market data for strategy scenarios: frames built and checked as a collector and a relay would. */
export const USDCE = "0x2791bca1f2de4661ed88a30c99a7a9449aa84174" as const;
export const WETH = "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619" as const;
export const KRAKEN_ETH = InstrumentId.spot(VenueId.Kraken, "ETH", "USD");
export const BINANCE_ETH = InstrumentId.spot(VenueId.Binance, "ETH", "USDT");
export const KRAKEN_POL = InstrumentId.spot(VenueId.Kraken, "POL", "USD");
export const QUICK_POOL = InstrumentId.pool(VenueId.QuickSwap, 137, "0x853ee4b2a13f8a742d64c8f088be7ba2131f670d");
export const SUSHI_POOL = InstrumentId.pool(
  VenueId.SushiSwapPolygon,
  137,
  "0x34965ba0ac2451a34a0471f04cca3f990b8dea27",
);

export class MarketFrames {
  private readonly builder = new FrameBuilder({ domain: 1, source: SourceType.Replay });
  readonly parser = new FrameParser();

  /** A checked frame (parser positioned on it) with one or more TLVs, header time `ts`. */
  frame(ts: bigint, ...tlvs: { [K in TlvName]: [K, TlvValues[K]] }[TlvName][]): FrameParser {
    const b = this.builder.begin(ts);
    for (const [name, value] of tlvs) b.add(name, value as never);
    const bytes = b.finish().slice();
    if (this.parser.check(bytes) !== ErrorCode.Ok) throw new Error("test frame does not check");
    return this.parser;
  }

  /** The bytes of a frame, for sending over a relay. */
  bytes(ts: bigint, ...tlvs: { [K in TlvName]: [K, TlvValues[K]] }[TlvName][]): Uint8Array {
    return this.frame(ts, ...tlvs)
      .frame()
      .slice();
  }
}

/** A book from [price e8, size e8] pairs, best first. */
export function book(
  instrument: InstrumentId,
  ts: bigint,
  bids: [bigint, bigint][],
  asks: [bigint, bigint][],
  updateId = 1n,
): OrderBook {
  const lv = ([price, size]: [bigint, bigint]) => ({ price, size, orderCount: 0 });
  return { instrument, exchangeTsNs: ts, updateId, flags: 1, bids: bids.map(lv), asks: asks.map(lv) };
}

/** A V2 USDC.e/WETH pool state (token0 USDC.e 6 decimals, token1 WETH 18). */
export function v2Pool(pool: InstrumentId, reserveUsdc: bigint, reserveWeth: bigint, ts = 1n): PoolState {
  return {
    pool,
    blockNumber: 50_000_000n,
    timestampNs: ts,
    token0: USDCE,
    token1: WETH,
    feePpm: 3000,
    tickSpacing: 0,
    token0Decimals: 6,
    token1Decimals: 18,
    protocol: 2,
    reserve0: reserveUsdc,
    reserve1: reserveWeth,
    sqrtPriceX96: 0n,
    liquidity: 0n,
    tick: 0,
  };
}

export function gasPrice(baseFeeWei: bigint, priorityFeeWei = 0n, blockNumber = 50_000_000n) {
  return { chainId: 137, blockNumber, baseFeeWei, priorityFeeWei };
}

export function sha256(frames: readonly Uint8Array[]): string {
  const h = createHash("sha256");
  for (const f of frames) h.update(f);
  return h.digest("hex");
}

export const E8 = 100_000_000n;
