/**
 * The page's state and formatting without a browser: price decimals per instrument (InstrumentMeta, else the
 * significant digits of the e8 integers) and pools known from PoolSwap/PoolSync alone (a page or a dashboard that
 * joined after the collector's PoolState).
 */
import { describe, expect, test } from "bun:test";
import { DashboardState } from "../../../src/behavior/dashboard/page/dashboard-state.ts";
import {
  formatE8,
  formatE18Price,
  invertE18,
  priceDecimalsNeeded,
} from "../../../src/behavior/dashboard/page/format.ts";
import { parseDecimal } from "../../../src/core/fixed-point.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";

const md = new FrameBuilder({ domain: 1, source: 90 });
const e8 = (text: string) => parseDecimal(text, 8);
const ADA_BTC = InstrumentId.spot(101, "ADA", "BTC");
const BTC_USD = InstrumentId.spot(101, "BTC", "USD");
const V3_POOL = InstrumentId.pool(401, 137, "0x45dda9cb7c25131df268515131f647d726f50608");
const V2_POOL = InstrumentId.pool(400, 137, "0x4a35582a710e1f4b2030a3f826da20bfb6703c09");
const ZERO_HASH = `0x${"00".repeat(32)}` as const;

function book(instrument: InstrumentId, bid: string, ask: string): Uint8Array {
  return md
    .begin()
    .add("OrderBook", {
      instrument,
      exchangeTsNs: 1n,
      updateId: 1n,
      flags: 1,
      bids: [{ price: e8(bid), size: e8("10"), orderCount: 0 }],
      asks: [{ price: e8(ask), size: e8("10"), orderCount: 0 }],
    })
    .finish()
    .slice();
}

function swap(pool: InstrumentId, flags: number, fields: Record<string, bigint | number>): Uint8Array {
  return md
    .begin()
    .add("PoolSwap", {
      pool,
      blockNumber: 50_351_970n,
      logIndex: 3,
      flags,
      token0Decimals: 6,
      token1Decimals: 18,
      txHash: ZERO_HASH,
      amount0In: 0n,
      amount1In: 0n,
      amount0Out: 0n,
      amount1Out: 0n,
      sqrtPriceX96: 0n,
      liquidity: 0n,
      tick: 0,
      timestampNs: 1n,
      ...fields,
    })
    .finish()
    .slice();
}

describe("price decimals", () => {
  test("enough decimals for every price, counted on the e8 integer, at least two", () => {
    expect(priceDecimalsNeeded([e8("64000")])).toBe(2);
    expect(priceDecimalsNeeded([e8("64010.5"), e8("64000")])).toBe(2);
    expect(priceDecimalsNeeded([e8("0.00002713")])).toBe(8);
    expect(priceDecimalsNeeded([e8("0.0271"), e8("0.02715")])).toBe(5);
    expect(priceDecimalsNeeded([])).toBe(2);
    expect(formatE8(e8("0.00002713"), priceDecimalsNeeded([e8("0.00002713")]))).toBe("0.00002713");
  });

  test("a book below 1 shows its significant digits; InstrumentMeta's price_decimals wins when known", () => {
    const s = new DashboardState();
    s.applyMessage(book(ADA_BTC, "0.00002713", "0.0000272"));
    expect(s.priceDecimals("kraken:spot:ADA/BTC")).toBe(8);
    s.applyMessage(book(BTC_USD, "64000", "64000.5"));
    expect(s.priceDecimals("kraken:spot:BTC/USD")).toBe(2);
    s.applyMessage(
      md
        .begin()
        .add("InstrumentMeta", {
          instrument: BTC_USD,
          priceDecimals: 1,
          sizeDecimals: 8,
          status: 1,
          tickSize: e8("0.1"),
          minSize: e8("0.0001"),
        })
        .finish()
        .slice(),
    );
    expect(s.priceDecimals("kraken:spot:BTC/USD")).toBe(1);
    expect(s.badFrames).toBe(0);
  });
});

describe("pools without a PoolState", () => {
  test("a V3 PoolSwap alone gives the pool, its price from sqrt_price_x96 and the TLV's decimals", () => {
    const s = new DashboardState();
    // The demo pool's magnitude: USDC.e (6 decimals) / WETH (18), about 2,081 USDC per WETH.
    const sqrtPriceX96 = 1_736_598_023_586_271_298_463_694_081_431_548n;
    s.applyMessage(
      swap(V3_POOL, 2, {
        amount0Out: 186_915_400n,
        amount1In: 89_900_000_000_000_000n,
        sqrtPriceX96,
        liquidity: 10n ** 18n,
        tick: 199_912,
      }),
    );
    const p = s.pools.get(V3_POOL.toString())!;
    expect(p).toBeDefined();
    expect(p.protocol).toBe(3);
    expect(p.tick).toBe(199_912);
    expect(p.swaps).toBe(1);
    // (sqrt / 2^96)^2 · 10^(6-18), exact to the floor at 10^18.
    expect(p.priceE18).toBe((sqrtPriceX96 * sqrtPriceX96 * 10n ** 18n) / ((1n << 192n) * 10n ** 12n));
    expect(formatE18Price(invertE18(p.priceE18))).toMatch(/^2,0\d\d\.\d\d$/);
    expect(s.dirty.has("pools")).toBe(true);
  });

  test("a V2 PoolSwap alone gives the pool without a price; the PoolSync that follows prices it", () => {
    const s = new DashboardState();
    s.applyMessage(swap(V2_POOL, 0, { amount0In: 1_000_000n, amount1Out: 480_000_000_000_000n }));
    const p = s.pools.get(V2_POOL.toString())!;
    expect(p.protocol).toBe(2);
    expect(p.priceE18).toBe(0n); // shown as "-": V2 swaps carry no reserves
    s.applyMessage(
      md
        .begin()
        .add("PoolSync", {
          pool: V2_POOL,
          blockNumber: 50_351_971n,
          logIndex: 4,
          flags: 0,
          token0Decimals: 6,
          token1Decimals: 18,
          txHash: ZERO_HASH,
          reserve0: 2_000_000_000_000n, // 2,000,000 token0
          reserve1: 1_000n * 10n ** 18n, // 1,000 token1
          timestampNs: 1n,
        })
        .finish()
        .slice(),
    );
    expect(formatE18Price(s.pools.get(V2_POOL.toString())!.priceE18)).toBe("0.000500000");
    expect(s.badFrames).toBe(0);
  });
});
