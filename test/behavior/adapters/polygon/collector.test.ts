import { describe, expect, test } from "bun:test";
import { getAmountOut } from "../../../../src/behavior/amm/v2/getAmountOut.ts";
import {
  BURN_V3,
  expectedV3Swap,
  Harness,
  MINT_V3,
  pick,
  QS_POOL,
  QUICKSWAP,
  readLogs,
  SWAP_KEYS,
  SWAP_V3,
  V3_DAY,
  V3_POOL,
} from "./helpers.ts";

const day = readLogs(V3_DAY);
const daySwaps = day.filter((l) => l.topics[0] === SWAP_V3);
const dayMints = day.filter((l) => l.topics[0] === MINT_V3);
const dayBurns = day.filter((l) => l.topics[0] === BURN_V3);

describe("PolygonDataClient over a real WebSocket to the replay venue", () => {
  test("the captured Uniswap V3 day: 3098/3098 swaps with the logged amounts, sqrtPriceX96, liquidity and tick; 107 mints, 141 burns", async () => {
    expect([daySwaps.length, dayMints.length, dayBurns.length]).toEqual([3098, 107, 141]);
    using h = await Harness.start({ logs: V3_DAY }, { pools: [V3_POOL] });
    await h.client.ready();
    await h.until(() => h.of("PoolSwap").length + h.of("PoolMint").length + h.of("PoolBurn").length === 3346);
    const swaps = h.of("PoolSwap");
    expect(swaps.length).toBe(3098);
    let exact = 0;
    for (let i = 0; i < daySwaps.length; i++) {
      const got = pick(swaps[i], SWAP_KEYS);
      const want = expectedV3Swap(daySwaps[i]);
      if (Bun.deepEquals(got, want)) exact++;
      else expect(got).toEqual(want);
    }
    expect(exact).toBe(3098);
    for (const s of swaps) {
      expect(String(s.pool)).toBe(`uniswap_v3:pool:polygon:${V3_POOL}`);
      expect([s.flags, s.token0Decimals, s.token1Decimals]).toEqual([2, 6, 18]);
    }
    const mints = h.of("PoolMint");
    const burns = h.of("PoolBurn");
    expect([mints.length, burns.length]).toEqual([107, 141]);
    // a Mint: owner and ticks from the topics, liquidity/amounts from the data words
    const m = dayMints[0];
    const w = (m.data.slice(2).match(/.{64}/g) ?? []).map((x) => BigInt(`0x${x}`));
    expect(pick(mints[0], ["owner", "tickLower", "tickUpper", "liquidity", "amount0", "amount1", "logIndex"])).toEqual({
      owner: `0x${m.topics[1].slice(26)}`,
      tickLower: Number(BigInt.asIntN(24, BigInt(m.topics[2]))),
      tickUpper: Number(BigInt.asIntN(24, BigInt(m.topics[3]))),
      liquidity: w[1],
      amount0: w[2],
      amount1: w[3],
      logIndex: Number(m.logIndex),
    });
    const c = h.client.stats();
    expect(
      pick(c as never, ["swaps", "mints", "burns", "decodeErrors", "duplicates", "corrections", "snapshots"]),
    ).toEqual({
      swaps: 3098,
      mints: 107,
      burns: 141,
      decodeErrors: 0,
      duplicates: 0,
      corrections: 0,
      snapshots: 1,
    });
    // the start snapshot comes first and carries the metadata read by eth_call
    expect(h.tlvs[0].type).toBe("PoolState");
    expect(
      pick(h.tlvs[0], ["feePpm", "tickSpacing", "token0Decimals", "token1Decimals", "protocol", "token0", "token1"]),
    ).toEqual({
      feePpm: 500,
      tickSpacing: 10,
      token0Decimals: 6,
      token1Decimals: 18,
      protocol: 3,
      token0: "0x2791bca1f2de4661ed88a30c99a7a9449aa84174",
      token1: "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619",
    });
  });

  // The Sync log carries the reserves AFTER its transaction's swap (UniswapV2Pair._update runs before emit Swap):
  // 669513079369666885680 / 1589679103117611962504651. The poolsync_big vector's reserves 669013079369666885680 /
  // 1590863616630637399398841 are the reserves BEFORE the swap (Sync - amountIn + amountOut, SOURCES.md): the
  // collector's start snapshot (getReserves at the block before) must equal them, and getAmountOut on them must
  // give the Swap's amount1Out exactly.
  test("the QuickSwap Sync/Swap pair decodes exactly; the pre-swap snapshot has the poolsync_big reserves", async () => {
    using h = await Harness.start({ logs: QUICKSWAP }, { pools: [QS_POOL] });
    await h.until(() => h.of("PoolSwap").length === 1);
    const [sync] = h.of("PoolSync");
    const [swap] = h.of("PoolSwap");
    expect(
      pick(sync, [
        "blockNumber",
        "logIndex",
        "flags",
        "token0Decimals",
        "token1Decimals",
        "reserve0",
        "reserve1",
        "timestampNs",
      ]),
    ).toEqual({
      blockNumber: 13572468n,
      logIndex: 19,
      flags: 0,
      token0Decimals: 18,
      token1Decimals: 18,
      reserve0: 669513079369666885680n,
      reserve1: 1589679103117611962504651n,
      timestampNs: 0n,
    });
    expect(String(sync.pool)).toBe(`quickswap:pool:polygon:${QS_POOL}`);
    expect(
      pick(swap, [
        "logIndex",
        "amount0In",
        "amount1In",
        "amount0Out",
        "amount1Out",
        "sqrtPriceX96",
        "liquidity",
        "tick",
      ]),
    ).toEqual({
      logIndex: 20,
      amount0In: 500000000000000000n,
      amount1In: 0n,
      amount0Out: 0n,
      amount1Out: 1184513513025436894190n,
      sqrtPriceX96: 0n,
      liquidity: 0n,
      tick: 0,
    });
    // the start snapshot: getReserves before the block = the Sync with its Swap undone (SOURCES.md check)
    const [state] = h.of("PoolState");
    expect(pick(state, ["protocol", "feePpm", "reserve0", "reserve1", "blockNumber"])).toEqual({
      protocol: 2,
      feePpm: 3000,
      reserve0: 669013079369666885680n,
      reserve1: 1590863616630637399398841n,
      blockNumber: 13572467n,
    });
    expect(getAmountOut(swap.amount0In as bigint, state.reserve0 as bigint, state.reserve1 as bigint)).toBe(
      swap.amount1Out as bigint,
    );
  });

  test("backfills from a start block with eth_getLogs, then follows the subscription: every swap once", async () => {
    const mid = Number.parseInt(daySwaps[1500].blockNumber, 16);
    const first = Number.parseInt(day[0].blockNumber, 16);
    using h = await Harness.start(
      { logs: V3_DAY, headBlock: mid },
      { pools: [V3_POOL], fromBlock: BigInt(first), maxBlockRange: 5000 },
    );
    await h.client.ready();
    const c = h.client.stats();
    expect(c.backfills).toBe(1);
    expect(c.backfilledLogs).toBe(
      day.filter(
        (l) =>
          Number.parseInt(l.blockNumber, 16) <= mid &&
          l.topics[0] !== "0x70935338e69775456a85ddef226c395fb668b63fa0115f5f20610b388e6ca9c0",
      ).length,
    );
    await h.until(() => h.of("PoolSwap").length === 3098);
    await h.venue.done;
    const swaps = h.of("PoolSwap");
    expect(swaps.map((s) => pick(s, SWAP_KEYS))).toEqual(daySwaps.map(expectedV3Swap));
    // the snapshot is the state before the start block, published before the backfilled events
    expect(h.tlvs[0].type).toBe("PoolState");
    expect(h.tlvs[0].blockNumber).toBe(BigInt(first - 1));
  });
});
