import { PPM } from "../constants.ts";
import type { RawPrice } from "../rawPrice.ts";

export interface NetProfitParams {
  /** Borrowed and swapped, in the profit token's raw units (its native decimals). */
  amountIn: bigint;
  /** Back after every leg, same token and units. Swap fees are already inside the exact quotes that gave it. */
  amountOut: bigint;
  /** Flash-loan fee in millionths: Uniswap V3 flash = the pool fee (500, 3000), Aave V3 500 (0.05 %), Balancer 0. */
  flashFeePpm: bigint;
  /** Gas the transaction is expected to use, and the price per gas in wei (base + priority). */
  gasUnits: bigint;
  gasPriceWei: bigint;
  /** Profit-token raw units per wei of the native gas token (see rawPrice: e.g. USDC.e units per wei of POL). */
  nativePrice: RawPrice;
}

export interface NetProfit {
  /** amountOut - amountIn. */
  grossProfit: bigint;
  /** ceil(amountIn * flashFeePpm / 1e6), as UniswapV3Pool.flash (mulDivRoundingUp); conservative for Aave. */
  flashFee: bigint;
  /** ceil(gasUnits * gasPriceWei * nativePrice), in profit-token raw units. */
  gasCost: bigint;
  /** grossProfit - flashFee - gasCost; may be negative. */
  netProfit: bigint;
}

/** Profit of a flash arbitrage net of flash fee and gas, in integers of the profit token; costs round up. */
export function netArbitrageProfit(p: NetProfitParams): NetProfit {
  const grossProfit = p.amountOut - p.amountIn;
  const flashFee = ceilDiv(p.amountIn * p.flashFeePpm, PPM);
  const gasCost = ceilDiv(p.gasUnits * p.gasPriceWei * p.nativePrice.numerator, p.nativePrice.denominator);
  return { grossProfit, flashFee, gasCost, netProfit: grossProfit - flashFee - gasCost };
}

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b === a ? q : q + 1n;
}
