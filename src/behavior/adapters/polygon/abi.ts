import { parseAbi } from "viem";

/**
 * The view functions the collector reads (eth_call) and the replay venue answers: Uniswap V2 pair, Uniswap V3 pool
 * (IUniswapV3PoolImmutables / IUniswapV3PoolState) and ERC-20. Human-readable signatures parsed once by viem.
 */
export const poolMetadataAbi = parseAbi([
  "function token0() view returns (address)",
  "function token1() view returns (address)",
  "function factory() view returns (address)",
  "function fee() view returns (uint24)",
  "function tickSpacing() view returns (int24)",
  "function slot0() view returns (uint160 sqrtPriceX96, int24 tick, uint16 observationIndex, uint16 observationCardinality, uint16 observationCardinalityNext, uint8 feeProtocol, bool unlocked)",
  "function liquidity() view returns (uint128)",
  "function getReserves() view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast)",
  "function decimals() view returns (uint8)",
  "function symbol() view returns (string)",
]);

/**
 * topic0 of the pool events (keccak256 of the canonical signature; the same values as shared/captures/polygon/
 * pools.json "eventTopics", checked by a test).
 */
export const Topic = {
  V2Sync: "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1",
  V2Swap: "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822",
  V2Mint: "0x4c209b5fc8ad50758f13e2e1088ba56a560dff690a1c6fef26394f4c03821c4f",
  V2Burn: "0xdccd412f0b1252819cb1fd330b93224ca42612892bb3f4f789976e6d81936496",
  V3Swap: "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67",
  V3Mint: "0x7a53080ba414158be7ec69b987b5fb7d07dee101fe85488f0853ae16239d0bde",
  V3Burn: "0x0c396cd989a39f4459b5fa1aed6a9a8dcdbc45908acfd67e028cd568da98982c",
} as const;

/** The event signatures behind Topic, for the test that recomputes them. */
export const TOPIC_SIGNATURES: Record<keyof typeof Topic, string> = {
  V2Sync: "Sync(uint112,uint112)",
  V2Swap: "Swap(address,uint256,uint256,uint256,uint256,address)",
  V2Mint: "Mint(address,uint256,uint256)",
  V2Burn: "Burn(address,uint256,uint256,address)",
  V3Swap: "Swap(address,address,int256,int256,uint160,uint128,int24)",
  V3Mint: "Mint(address,address,int24,int24,uint128,uint256,uint256)",
  V3Burn: "Burn(address,int24,int24,uint128,uint256,uint256)",
};

export const V2_TOPICS = [Topic.V2Sync, Topic.V2Swap, Topic.V2Mint, Topic.V2Burn] as const;
export const V3_TOPICS = [Topic.V3Swap, Topic.V3Mint, Topic.V3Burn] as const;
