import type { Address, InstrumentId } from "../../../data/instrument-id.ts";

/** A sized arbitrage, every amount an integer with its scale in the name. */
export interface Opportunity {
  kind: "cex_dex" | "dex_dex";
  /** Where the base asset is bought and where it is sold. */
  buyInstrument: InstrumentId;
  sellInstrument: InstrumentId;
  buyVenue: number;
  sellVenue: number;
  chainId: number;
  /** The on-chain leg (CEX-DEX) or round trip (DEX-DEX, tokenOut = tokenIn): what the executor sends and expects. */
  tokenIn: Address;
  tokenOut: Address;
  amountIn: bigint;
  expectedAmountOut: bigint;
  /** CEX quantity (e8 of the base asset) of a CEX-DEX trade; 0 for DEX-DEX. */
  cexQuantityE8: bigint;
  /** Buy leg cost. */
  requiredCapitalUsdE8: bigint;
  /** Pool fees + CEX taker fee + flash fee. */
  feesUsdE8: bigint;
  gasUnits: bigint;
  gasPriceWei: bigint;
  gasCostUsdE8: bigint;
  /** Profit after every fee, before gas; the search maximises it (gas does not depend on the size). */
  grossProfitUsdE8: bigint;
  /** grossProfitUsdE8 - gasCostUsdE8. */
  netProfitUsdE8: bigint;
  /** (sell proceeds - buy cost) / buy cost in bps, before fees. */
  spreadBps: number;
  /** Gas price (gwei) at which the net profit reaches zero. */
  breakEvenGasGwei: bigint;
}

export const POW10: readonly bigint[] = Array.from({ length: 78 }, (_, i) => 10n ** BigInt(i));

export function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return q * b < a ? q + 1n : q;
}

/** Gas cost in USD e8, rounded up: units * wei/gas * USD e8 per whole gas token / 1e18 wei. */
export function gasCostUsdE8(gasUnits: bigint, gasPriceWei: bigint, gasTokenUsdE8: bigint): bigint {
  return ceilDiv(gasUnits * gasPriceWei * gasTokenUsdE8, POW10[18]);
}

/** The gas price in gwei at which `grossUsdE8` is all spent on gas (capped to u32 for the signal). */
export function breakEvenGasGwei(grossUsdE8: bigint, gasUnits: bigint, gasTokenUsdE8: bigint): bigint {
  if (gasUnits === 0n || gasTokenUsdE8 === 0n || grossUsdE8 <= 0n) return grossUsdE8 > 0n ? 0xffffffffn : 0n;
  const gwei = (grossUsdE8 * POW10[9]) / (gasUnits * gasTokenUsdE8);
  return gwei > 0xffffffffn ? 0xffffffffn : gwei;
}
