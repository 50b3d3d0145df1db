/**
 * Display formatting of scaled integers: the only place the page makes a decimal point. Pure bigint arithmetic,
 * rounding half away from zero; no float ever holds a price, a size or an amount.
 */
const POW10: bigint[] = Array.from({ length: 78 }, (_, i) => 10n ** BigInt(i));

/** `value` scaled by 10^scale, shown with `shown` decimals and thousands separators: (123456789n, 8, 2) -> "1.23". */
export function formatScaled(value: bigint, scale: number, shown = scale): string {
  let v = value;
  let s = scale;
  if (shown < s) {
    const d = POW10[s - shown];
    const neg = v < 0n;
    const a = ((neg ? -v : v) + d / 2n) / d;
    v = neg ? -a : a;
    s = shown;
  } else if (shown > s) {
    v *= POW10[shown - s];
    s = shown;
  }
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(s + 1, "0");
  const int = digits.slice(0, digits.length - s).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const frac = s > 0 ? `.${digits.slice(digits.length - s)}` : "";
  return `${neg ? "-" : ""}${int}${frac}`;
}

/** A price or size at 8 decimals (PROTOCOL.md §1 e8), shown with `shown` decimals. */
export function formatE8(value: bigint, shown = 2): string {
  return formatScaled(value, 8, shown);
}

/**
 * Decimals that show every one of these e8 prices exactly (8 minus the trailing zero digits of the scaled integer),
 * at least `min` and at most 8: 2713n (0.00002713) needs 8, 6_400_000_000_000n (64,000) needs `min`.
 */
export function priceDecimalsNeeded(prices: Iterable<bigint>, min = 2): number {
  let d = Math.max(0, Math.min(8, min));
  for (const p of prices) {
    if (d === 8) break;
    let v = p < 0n ? -p : p;
    if (v === 0n) continue;
    let needed = 8;
    while (needed > d && v % 10n === 0n) {
      v /= 10n;
      needed--;
    }
    if (needed > d) d = needed;
  }
  return d;
}

/** Token amount in native units with its decimals, shown with at most `shown` decimals. */
export function formatNative(value: bigint, decimals: number, shown = 6): string {
  return formatScaled(value, decimals, Math.min(decimals, shown));
}

/** An integer with thousands separators (liquidity, block numbers). */
export function formatInteger(value: bigint | number): string {
  return formatScaled(BigInt(value), 0, 0);
}

const Q192 = 1n << 192n;

/**
 * Price of token0 in token1 (how many token1 for one token0), scaled by 10^18, from a V3 sqrt price:
 * (sqrtPriceX96 / 2^96)^2 · 10^(decimals0 - decimals1). Exact up to the final floor division.
 */
export function priceFromSqrtX96(sqrtPriceX96: bigint, decimals0: number, decimals1: number): bigint {
  let num = sqrtPriceX96 * sqrtPriceX96 * POW10[18];
  let den = Q192;
  const exp = decimals0 - decimals1;
  if (exp >= 0) num *= POW10[exp];
  else den *= POW10[-exp];
  return num / den;
}

/** Price of token0 in token1, scaled by 10^18, from V2 reserves; 0 when a reserve is 0. */
export function priceFromReserves(reserve0: bigint, reserve1: bigint, decimals0: number, decimals1: number): bigint {
  if (reserve0 === 0n) return 0n;
  return (reserve1 * POW10[18 + decimals0]) / (reserve0 * POW10[decimals1]);
}

/** The inverse of a 10^18-scaled price, scaled by 10^18; 0 for 0. */
export function invertE18(price: bigint): bigint {
  return price === 0n ? 0n : POW10[36] / price;
}

/** A 10^18-scaled price with about `significant` significant digits (pool prices span 1e-12 to 1e12). */
export function formatE18Price(price: bigint, significant = 6): string {
  if (price === 0n) return "0";
  const digits = price.toString().length; // integer digits of price·10^18
  const shown = Math.max(0, Math.min(18, significant - (digits - 18)));
  return formatScaled(price, 18, shown);
}

/** Nanoseconds since the epoch -> local HH:MM:SS.mmm (a time, not money: Number is fine here). */
export function formatTimeNs(ns: bigint): string {
  if (ns === 0n) return "-";
  const d = new Date(Number(ns / 1_000_000n));
  return `${d.toLocaleTimeString("en-GB", { hour12: false })}.${String(d.getMilliseconds()).padStart(3, "0")}`;
}

/** Bytes as MiB with one decimal (RSS: a count, not money). */
export function formatMiB(bytes: number | null): string {
  return bytes === null ? "-" : `${(bytes / 1048576).toFixed(1)}M`;
}

const ESC: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Text for innerHTML. */
export function esc(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ESC[c]);
}
