import type { Address, InstrumentId } from "./instrument-id.ts";

/**
 * Every TLV of PROTOCOL.md §6 as a layout: one table that the codec (src/rules) compiles into encoders, decoders,
 * lazy views and JSON mappings, and from which the TypeScript value types below are derived. The table reads like
 * the spec on purpose: `["price", "i64", 32]` is "32 price i64". Field names are the spec's snake_case (they are
 * the JSON names of `ap decode --json`); TypeScript values use the camelCase form (`exchange_ts_ns` ->
 * `exchangeTsNs`).
 *
 * Kinds: integers u8 u16 u32 i32 (number) and u64 i64 u128 u256 (bigint); iid = InstrumentId (32 bytes);
 * iid0 = InstrumentId or null when all 32 bytes are zero (CircuitBreaker outside instrument scope); addr = 20 bytes;
 * hash = 32 bytes (both 0x lower-case hex); count8/count16 = element count of a list, derived from the array on
 * encode (not part of the value). Unlisted bytes are pad: written as zero, ignored on read.
 */
export type FieldKind =
  | "u8"
  | "u16"
  | "u32"
  | "i32"
  | "u64"
  | "i64"
  | "u128"
  | "u256"
  | "iid"
  | "iid0"
  | "addr"
  | "hash"
  | "count8"
  | "count16";

export type FieldSpec = readonly [name: string, kind: FieldKind, offset: number];

export interface ListSpec {
  readonly name: string;
  /** Name of the count field in the fixed part. */
  readonly count: string;
  readonly itemSize: number;
  readonly fields: readonly FieldSpec[];
  /** Which runtime limit bounds the count (PROTOCOL.md §7). */
  readonly limit: "levels" | "changes" | "tokens";
}

export interface TlvLayout {
  readonly type: number;
  readonly name: string;
  /** Fixed size, or the size of the fixed part when `lists` is set. */
  readonly size: number;
  readonly fields: readonly FieldSpec[];
  /** Variable-length arrays that follow the fixed part, in this order. */
  readonly lists?: readonly ListSpec[];
}

const LEVEL = [
  ["price", "i64", 0],
  ["size", "i64", 8],
  ["order_count", "u32", 16],
] as const;

const POOL_EVENT_HEAD = [
  ["pool", "iid", 0],
  ["block_number", "u64", 32],
  ["log_index", "u32", 40],
  ["flags", "u8", 44],
  ["token0_decimals", "u8", 45],
  ["token1_decimals", "u8", 46],
  ["tx_hash", "hash", 48],
] as const;

const MINT_BURN = [
  ...POOL_EVENT_HEAD,
  ["owner", "addr", 80],
  ["tick_lower", "i32", 104],
  ["tick_upper", "i32", 108],
  ["liquidity", "u128", 112],
  ["amount0", "u128", 128],
  ["amount1", "u128", 144],
  ["timestamp_ns", "u64", 160],
] as const;

export const LAYOUTS = {
  Trade: {
    type: 1,
    name: "Trade",
    size: 64,
    fields: [
      ["instrument", "iid", 0],
      ["price", "i64", 32],
      ["size", "i64", 40],
      ["exchange_ts_ns", "u64", 48],
      ["side", "u8", 56],
    ],
  },
  Quote: {
    type: 2,
    name: "Quote",
    size: 72,
    fields: [
      ["instrument", "iid", 0],
      ["bid_price", "i64", 32],
      ["bid_size", "i64", 40],
      ["ask_price", "i64", 48],
      ["ask_size", "i64", 56],
      ["exchange_ts_ns", "u64", 64],
    ],
  },
  OrderBook: {
    type: 3,
    name: "OrderBook",
    size: 56,
    fields: [
      ["instrument", "iid", 0],
      ["exchange_ts_ns", "u64", 32],
      ["update_id", "u64", 40],
      ["bid_count", "count16", 48],
      ["ask_count", "count16", 50],
      ["flags", "u8", 52],
    ],
    lists: [
      { name: "bids", count: "bid_count", itemSize: 24, fields: LEVEL, limit: "levels" },
      { name: "asks", count: "ask_count", itemSize: 24, fields: LEVEL, limit: "levels" },
    ],
  },
  InstrumentMeta: {
    type: 4,
    name: "InstrumentMeta",
    size: 56,
    fields: [
      ["instrument", "iid", 0],
      ["price_decimals", "u8", 32],
      ["size_decimals", "u8", 33],
      ["status", "u8", 34],
      ["tick_size", "i64", 40],
      ["min_size", "i64", 48],
    ],
  },
  BookDelta: {
    type: 6,
    name: "BookDelta",
    size: 64,
    fields: [
      ["instrument", "iid", 0],
      ["exchange_ts_ns", "u64", 32],
      ["first_update_id", "u64", 40],
      ["last_update_id", "u64", 48],
      ["change_count", "count16", 56],
    ],
    lists: [
      {
        name: "changes",
        count: "change_count",
        itemSize: 24,
        fields: [
          ["price", "i64", 0],
          ["size", "i64", 8],
          ["side", "u8", 16],
        ],
        limit: "changes",
      },
    ],
  },
  PoolLiquidity: {
    type: 10,
    name: "PoolLiquidity",
    size: 56,
    fields: [
      ["pool", "iid", 0],
      ["block_number", "u64", 32],
      ["timestamp_ns", "u64", 40],
      ["token_count", "count8", 48],
    ],
    lists: [
      {
        name: "tokens",
        count: "token_count",
        itemSize: 40,
        fields: [
          ["address", "addr", 0],
          ["decimals", "u8", 20],
          ["balance", "u128", 24],
        ],
        limit: "tokens",
      },
    ],
  },
  PoolSwap: {
    type: 11,
    name: "PoolSwap",
    size: 208,
    fields: [
      ...POOL_EVENT_HEAD,
      ["amount0_in", "u128", 80],
      ["amount1_in", "u128", 96],
      ["amount0_out", "u128", 112],
      ["amount1_out", "u128", 128],
      ["sqrt_price_x96", "u256", 144],
      ["liquidity", "u128", 176],
      ["tick", "i32", 192],
      ["timestamp_ns", "u64", 200],
    ],
  },
  PoolMint: { type: 12, name: "PoolMint", size: 168, fields: MINT_BURN },
  PoolBurn: { type: 13, name: "PoolBurn", size: 168, fields: MINT_BURN },
  PoolState: {
    type: 15,
    name: "PoolState",
    size: 188,
    fields: [
      ["pool", "iid", 0],
      ["block_number", "u64", 32],
      ["timestamp_ns", "u64", 40],
      ["token0", "addr", 48],
      ["token1", "addr", 68],
      ["fee_ppm", "u32", 88],
      ["tick_spacing", "i32", 92],
      ["token0_decimals", "u8", 96],
      ["token1_decimals", "u8", 97],
      ["protocol", "u8", 98],
      ["reserve0", "u128", 100],
      ["reserve1", "u128", 116],
      ["sqrt_price_x96", "u256", 132],
      ["liquidity", "u128", 164],
      ["tick", "i32", 180],
    ],
  },
  PoolSync: {
    type: 16,
    name: "PoolSync",
    size: 120,
    fields: [...POOL_EVENT_HEAD, ["reserve0", "u128", 80], ["reserve1", "u128", 96], ["timestamp_ns", "u64", 112]],
  },
  GasPrice: {
    type: 18,
    name: "GasPrice",
    size: 48,
    fields: [
      ["chain_id", "u32", 0],
      ["block_number", "u64", 8],
      ["base_fee_wei", "u128", 16],
      ["priority_fee_wei", "u128", 32],
    ],
  },
  StateInvalidation: {
    type: 19,
    name: "StateInvalidation",
    size: 48,
    fields: [
      ["instrument", "iid", 0],
      ["reason", "u8", 32],
      ["venue_sequence", "u64", 40],
    ],
  },
  SignalIdentity: {
    type: 20,
    name: "SignalIdentity",
    size: 16,
    fields: [
      ["signal_id", "u64", 0],
      ["strategy_id", "u16", 8],
      ["strategy_version", "u16", 10],
      ["confidence", "u8", 12],
    ],
  },
  Economics: {
    type: 22,
    name: "Economics",
    size: 32,
    fields: [
      ["expected_profit_usd_e8", "i64", 0],
      ["required_capital_usd_e8", "i64", 8],
      ["gas_cost_usd_e8", "i64", 16],
      ["fees_usd_e8", "i64", 24],
    ],
  },
  ArbitrageSignal: {
    type: 32,
    name: "ArbitrageSignal",
    size: 208,
    fields: [
      ["signal_id", "u64", 0],
      ["strategy_id", "u16", 8],
      ["source_venue", "u16", 10],
      ["target_venue", "u16", 12],
      ["slippage_tolerance_bps", "u16", 14],
      ["chain_id", "u32", 16],
      ["max_gas_price_gwei", "u32", 20],
      ["valid_until_ns", "u64", 24],
      ["buy_instrument", "iid", 32],
      ["sell_instrument", "iid", 64],
      ["token_in", "addr", 96],
      ["token_out", "addr", 116],
      ["amount_in", "u128", 136],
      ["expected_amount_out", "u128", 152],
      ["min_amount_out", "u128", 168],
      ["expected_profit_usd_e8", "i64", 184],
      ["spread_bps", "i32", 192],
      ["priority", "u16", 196],
      ["timestamp_ns", "u64", 200],
    ],
  },
  OrderRequest: {
    type: 40,
    name: "OrderRequest",
    size: 104,
    fields: [
      ["order_id", "u64", 0],
      ["signal_id", "u64", 8],
      ["instrument", "iid", 16],
      ["side", "u8", 48],
      ["order_type", "u8", 49],
      ["time_in_force", "u8", 50],
      ["flags", "u8", 51],
      ["price", "i64", 56],
      ["quantity", "i64", 64],
      ["quantity_native", "u128", 72],
      ["max_slippage_bps", "u16", 88],
      ["strategy_id", "u16", 90],
      ["timestamp_ns", "u64", 96],
    ],
  },
  OrderStatus: {
    type: 41,
    name: "OrderStatus",
    size: 48,
    fields: [
      ["order_id", "u64", 0],
      ["venue_order_id", "u64", 8],
      ["status", "u8", 16],
      ["reason", "u8", 17],
      ["filled_quantity", "i64", 24],
      ["average_price", "i64", 32],
      ["timestamp_ns", "u64", 40],
    ],
  },
  Fill: {
    type: 42,
    name: "Fill",
    size: 136,
    fields: [
      ["order_id", "u64", 0],
      ["fill_id", "u64", 8],
      ["instrument", "iid", 16],
      ["side", "u8", 48],
      ["liquidity", "u8", 49],
      ["price", "i64", 56],
      ["quantity", "i64", 64],
      ["fee", "i64", 72],
      ["quantity_native", "u128", 80],
      ["tx_hash", "hash", 96],
      ["timestamp_ns", "u64", 128],
    ],
  },
  OrderCancel: {
    type: 43,
    name: "OrderCancel",
    size: 24,
    fields: [
      ["order_id", "u64", 0],
      ["reason", "u8", 8],
      ["timestamp_ns", "u64", 16],
    ],
  },
  CircuitBreaker: {
    type: 71,
    name: "CircuitBreaker",
    size: 56,
    fields: [
      ["scope", "u8", 0],
      ["state", "u8", 1],
      ["reason", "u8", 2],
      ["scope_id", "u64", 8],
      ["instrument", "iid0", 16],
      ["timestamp_ns", "u64", 48],
    ],
  },
  Heartbeat: {
    type: 100,
    name: "Heartbeat",
    size: 16,
    fields: [
      ["sent_ns", "u64", 0],
      ["status", "u8", 8],
    ],
  },
} as const satisfies Record<string, TlvLayout>;

export type TlvName = keyof typeof LAYOUTS;

/** TLV type numbers by name: `TlvType.Trade === 1`. */
export const TlvType = Object.fromEntries(Object.values(LAYOUTS).map((l) => [l.name, l.type])) as {
  readonly [K in TlvName]: (typeof LAYOUTS)[K]["type"];
};
export type TlvTypeNumber = (typeof TlvType)[TlvName];

/** Layout by type number (undefined for reserved and unknown numbers). */
export const LAYOUT_BY_TYPE: readonly (TlvLayout | undefined)[] = (() => {
  const table: (TlvLayout | undefined)[] = new Array(256).fill(undefined);
  for (const l of Object.values(LAYOUTS)) table[l.type] = l;
  return table;
})();

// ---- value types, derived from the table ---------------------------------------------------------------------

type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type Hex = `0x${string}`;
interface KindTypes {
  u8: number;
  u16: number;
  u32: number;
  i32: number;
  u64: bigint;
  i64: bigint;
  u128: bigint;
  u256: bigint;
  iid: InstrumentId;
  iid0: InstrumentId | null;
  addr: Address;
  hash: Hex;
  count8: never;
  count16: never;
}
type FieldsValue<F extends readonly FieldSpec[]> = {
  [E in F[number] as E[1] extends "count8" | "count16" ? never : Camel<E[0]>]: KindTypes[E[1]];
};
type ListsValue<L> = L extends readonly ListSpec[]
  ? { [E in L[number] as E["name"]]: FieldsValue<E["fields"]>[] }
  : unknown;
type ValueOf<L extends TlvLayout> = FieldsValue<L["fields"]> & ListsValue<L["lists"]>;

/** The value of each TLV type, e.g. TlvValues["Trade"] = { instrument, price, size, exchangeTsNs, side }. */
export type TlvValues = { [K in TlvName]: ValueOf<(typeof LAYOUTS)[K]> };
export type Trade = TlvValues["Trade"];
export type Quote = TlvValues["Quote"];
export type OrderBook = TlvValues["OrderBook"];
export type BookLevel = OrderBook["bids"][number];
export type InstrumentMeta = TlvValues["InstrumentMeta"];
export type BookDelta = TlvValues["BookDelta"];
export type PoolLiquidity = TlvValues["PoolLiquidity"];
export type PoolSwap = TlvValues["PoolSwap"];
export type PoolMint = TlvValues["PoolMint"];
export type PoolBurn = TlvValues["PoolBurn"];
export type PoolState = TlvValues["PoolState"];
export type PoolSync = TlvValues["PoolSync"];
export type GasPrice = TlvValues["GasPrice"];
export type StateInvalidation = TlvValues["StateInvalidation"];
export type SignalIdentity = TlvValues["SignalIdentity"];
export type Economics = TlvValues["Economics"];
export type ArbitrageSignal = TlvValues["ArbitrageSignal"];
export type OrderRequest = TlvValues["OrderRequest"];
export type OrderStatus = TlvValues["OrderStatus"];
export type Fill = TlvValues["Fill"];
export type OrderCancel = TlvValues["OrderCancel"];
export type CircuitBreaker = TlvValues["CircuitBreaker"];
export type Heartbeat = TlvValues["Heartbeat"];

/** snake_case -> camelCase, the same rule as the Camel type above. */
export function camelCase(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

// ---- domains (PROTOCOL.md §4) ----------------------------------------------------------------------------------

/** Relay domain of a TLV type number: 1-4 for ranged types, 0 when any domain may carry it (control, experimental). */
export function domainOfType(type: number): number {
  if (type >= 1 && type <= 19) return 1;
  if (type >= 20 && type <= 39) return 2;
  if (type >= 40 && type <= 79) return 3;
  if (type >= 80 && type <= 99) return 4;
  return 0;
}
