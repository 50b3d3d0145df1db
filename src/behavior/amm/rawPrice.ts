/**
 * A price as an exact fraction of raw token units: `numerator / denominator` units of the quote token (native
 * decimals) per unit of the base token (native decimals). No float ever holds it.
 */
export interface RawPrice {
  numerator: bigint;
  denominator: bigint;
}

export interface ScaledPrice {
  /** Whole quote tokens per whole base token, times 10^priceDecimals (e.g. a CEX price in e8: 2080.5 -> 208050000000n). */
  price: bigint;
  priceDecimals: number;
  baseDecimals: number;
  quoteDecimals: number;
}

/**
 * Converts a scaled price (how CEX prices travel in ap, e.g. i64 e8) to raw token units:
 * raw = price * 10^quoteDecimals / (10^priceDecimals * 10^baseDecimals). WETH/USDC.e at 2080.5 with e8, 18 and 6
 * decimals -> 208050000000 * 10^6 / (10^8 * 10^18) USDC.e-units per wei.
 */
export function rawPrice(p: ScaledPrice): RawPrice {
  return {
    numerator: p.price * 10n ** BigInt(p.quoteDecimals),
    denominator: 10n ** BigInt(p.priceDecimals + p.baseDecimals),
  };
}
