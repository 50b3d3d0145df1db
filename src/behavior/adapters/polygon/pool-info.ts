import type { Address, InstrumentId } from "../../../data/instrument-id.ts";

/** What the collector knows about a pool: read once by eth_call, CREATE2-checked, then cached (instrument provider). */
export interface PoolInfo {
  /** Lower-case 0x address. */
  address: Address;
  instrument: InstrumentId;
  venue: number;
  /** 2 = Uniswap V2 pair (QuickSwap, SushiSwap), 3 = Uniswap V3 pool. */
  protocol: 2 | 3;
  token0: Address;
  token1: Address;
  decimals0: number;
  decimals1: number;
  symbol0: string;
  symbol1: string;
  /** Fee in millionths (3000 = 0.3 %). */
  feePpm: number;
  /** V3 tick spacing; 0 for V2. */
  tickSpacing: number;
  factory: Address;
}

/** A log as eth_getLogs and eth_subscribe("logs") return it: every quantity is a hex string. */
export interface RpcLog {
  address: string;
  topics: string[];
  data: string;
  blockNumber: string;
  blockHash?: string;
  /** Not in the JSON-RPC spec; some nodes (and the captures) add it. Hex seconds. */
  blockTimestamp?: string;
  transactionHash: string;
  transactionIndex?: string;
  logIndex: string;
  removed?: boolean;
}
