import { formatDecimal } from "../../src/core/fixed-point.ts";
import { InstrumentId } from "../../src/data/instrument-id.ts";
import { LAYOUT_BY_TYPE } from "../../src/data/tlv-layouts.ts";
import { DOMAIN_NAMES, SOURCE_NAMES } from "../../src/data/venues.ts";
import type { FrameJson, TlvJson } from "../../src/rules/json.ts";

/**
 * Human rendering of a decoded frame for `ap decode`: field names, prices scaled (8 decimals), token amounts with
 * their decimals, timestamps as UTC, InstrumentId components, enum labels. Display is the only place a decimal
 * point is made.
 */
const E8_FIELDS = new Set([
  "price",
  "size",
  "bid_price",
  "bid_size",
  "ask_price",
  "ask_size",
  "tick_size",
  "min_size",
  "quantity",
  "fee",
  "filled_quantity",
  "average_price",
  "expected_profit_usd_e8",
  "required_capital_usd_e8",
  "gas_cost_usd_e8",
  "fees_usd_e8",
]);
const TOKEN0 = new Set(["amount0_in", "amount0_out", "reserve0", "amount0"]);
const TOKEN1 = new Set(["amount1_in", "amount1_out", "reserve1", "amount1"]);

const ENUMS: Record<string, Record<string, string>> = {
  "Trade.side": { 0: "unknown", 1: "buyer was taker", 2: "seller was taker" },
  "OrderRequest.side": { 1: "buy", 2: "sell" },
  "Fill.side": { 1: "buy", 2: "sell" },
  "BookDelta.side": { 1: "bid", 2: "ask" },
  "OrderRequest.order_type": { 1: "market", 2: "limit", 3: "post-only", 4: "IOC" },
  "OrderRequest.time_in_force": { 1: "GTC", 2: "IOC", 3: "FOK" },
  "OrderStatus.status": {
    1: "accepted",
    2: "rejected",
    3: "partially filled",
    4: "filled",
    5: "cancelled",
    6: "expired",
  },
  "OrderStatus.reason": {
    0: "none",
    1: "risk limit",
    2: "circuit breaker",
    3: "slippage",
    4: "insufficient balance",
    5: "venue rejected",
    6: "timeout",
  },
  "Fill.liquidity": { 1: "maker", 2: "taker" },
  "InstrumentMeta.status": { 1: "online", 2: "halted", 3: "delisted" },
  "StateInvalidation.reason": { 1: "checksum mismatch", 2: "sequence gap", 3: "disconnected", 4: "reorg", 5: "stale" },
  "CircuitBreaker.scope": { 1: "global", 2: "strategy", 3: "venue", 4: "instrument" },
  "CircuitBreaker.state": { 1: "tripped", 2: "reset" },
  "CircuitBreaker.reason": { 1: "loss limit", 2: "error rate", 3: "stale data", 4: "price deviation", 5: "manual" },
  "Heartbeat.status": { 0: "ok", 1: "degraded" },
  "PoolState.protocol": { 2: "Uniswap V2", 3: "Uniswap V3" },
};

export function renderFrame(frame: FrameJson, index: number, size: number): string {
  const lines: string[] = [];
  const flags = [frame.flags & 1 ? "replayed" : "", frame.flags & 2 ? "snapshot" : ""].filter(Boolean).join(",");
  lines.push(
    `frame ${index} · ${size} bytes · domain ${frame.domain} ${DOMAIN_NAMES[frame.domain] ?? "?"} · source ${frame.source} ${
      SOURCE_NAMES[frame.source] ?? "?"
    }${flags ? ` · flags ${flags}` : ""}`,
    `  sequence ${frame.sequence} · time ${frame.timestamp_ns} (${isoNs(BigInt(frame.timestamp_ns))}) · checksum ${frame.checksum} ok · ${frame.tlvs.length} TLV${frame.tlvs.length === 1 ? "" : "s"}`,
  );
  for (const tlv of frame.tlvs) lines.push(...renderTlv(tlv));
  return lines.join("\n");
}

function renderTlv(tlv: TlvJson): string[] {
  const out = [`  ${tlv.type} (${tlv.type_number}), ${tlv.length} bytes${tlv.extended ? ", extended form" : ""}`];
  const layout = LAYOUT_BY_TYPE[tlv.type_number];
  if (!layout) {
    out.push(`    raw  ${tlv.raw}`);
    return out;
  }
  const width = Math.max(...Object.keys(tlv).map((k) => k.length), 8);
  for (const [name, value] of Object.entries(tlv)) {
    if (["type", "type_number", "length", "extended"].includes(name)) continue;
    if (Array.isArray(value)) {
      out.push(`    ${name.padEnd(width)}`);
      value.forEach((item: Record<string, string>, i) => {
        const parts = Object.entries(item).map(([k, v]) => `${k} ${fieldText(layout.name, k, v, tlv, item)}`);
        out.push(`      [${i}] ${parts.join(" · ")}`);
      });
      continue;
    }
    out.push(`    ${name.padEnd(width)}  ${fieldText(layout.name, name, value as string | null, tlv)}`);
  }
  return out;
}

function fieldText(
  tlvName: string,
  name: string,
  value: string | null,
  tlv: TlvJson,
  item?: Record<string, string>,
): string {
  if (value === null) return "none";
  const enumLabel =
    ENUMS[`${tlvName}.${name}`] ?? (tlvName === "BookDelta" && item ? ENUMS["BookDelta.side"] : undefined);
  if (
    enumLabel &&
    name in
      { side: 1, order_type: 1, time_in_force: 1, status: 1, reason: 1, liquidity: 1, scope: 1, state: 1, protocol: 1 }
  ) {
    return `${value} (${enumLabel[value] ?? "unknown value"})`;
  }
  if (E8_FIELDS.has(name)) return `${formatDecimal(BigInt(value), 8)}  [${value} e8]`;
  if (TOKEN0.has(name) && tlv.token0_decimals !== undefined)
    return tokenAmount(value, Number(tlv.token0_decimals), "token0");
  if (TOKEN1.has(name) && tlv.token1_decimals !== undefined)
    return tokenAmount(value, Number(tlv.token1_decimals), "token1");
  if (name === "balance" && item?.decimals !== undefined) return tokenAmount(value, Number(item.decimals), "token");
  if (name.endsWith("_ns") && value !== "0") return `${value} (${isoNs(BigInt(value))})`;
  if (name === "instrument" || name === "pool" || name.endsWith("_instrument")) return `${value}  ${components(value)}`;
  if (name === "fee_ppm") return `${value} (${formatDecimal(BigInt(value), 4, true)}%)`;
  return value;
}

function tokenAmount(value: string, decimals: number, which: string): string {
  return `${formatDecimal(BigInt(value), decimals, true)}  [${value} native, ${which} ${decimals} decimals]`;
}

function components(text: string): string {
  const id = InstrumentId.parse(text);
  const kind = ["", "spot", "perp", "pool", "token"][id.kind];
  return id.kind <= 2
    ? `(venue ${id.venue}, kind ${id.kind} ${kind}, base ${id.base}, quote ${id.quote})`
    : `(venue ${id.venue}, kind ${id.kind} ${kind}, chain ${id.chainId}, address ${id.address})`;
}

/** ns since epoch -> ISO 8601 with 9 fraction digits, computed in bigint (no float). */
export function isoNs(ns: bigint): string {
  const ms = ns / 1_000_000n;
  if (ms > 8_640_000_000_000_000n) return "out of range";
  const base = new Date(Number(ms)).toISOString(); // ...T..:..:..SSSZ
  const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
  return `${base.slice(0, 19)}.${frac}Z`;
}
