import { PoolStateError } from "../errors.ts";

/**
 * A V2 fork's fee as the contract writes it: amountIn * gamma / scale, gamma = scale - fee units. Uniswap V2,
 * QuickSwap and SushiSwap use 997 / 1000 (0.3 %); bps forks (PancakeSwap 9975 / 10000) use 10000. Keeping the
 * contract's own scale keeps the uint256 overflow thresholds of its SafeMath `mul` exact; the quotients do not
 * depend on the scale. Built once per pool, never per quote.
 */
export interface V2Fee {
  /** scale - fee, e.g. 997n. */
  readonly gamma: bigint;
  /** 1000n, 10000n or 1000000n. */
  readonly scale: bigint;
  /** The fee in millionths, for display and profit accounting. */
  readonly ppm: number;
}

/** A V2 fee from millionths ({ ppm: 3000 }) or basis points ({ bps: 30 }); the smallest exact scale is chosen. */
export function v2Fee(fee: { ppm: number } | { bps: number }): V2Fee {
  const ppm = "ppm" in fee ? fee.ppm : fee.bps * 100;
  if (!Number.isInteger(ppm) || ppm < 0 || ppm >= 1_000_000) {
    throw new PoolStateError({
      code: "InvalidFee",
      message: "a V2 fee must be an integer number of ppm in 0..999999",
      facts: { ppm },
    });
  }
  const scale = ppm % 1000 === 0 ? 1000 : ppm % 100 === 0 ? 10000 : 1_000_000;
  return { gamma: BigInt(scale - ppm / (1_000_000 / scale)), scale: BigInt(scale), ppm };
}

/** 0.3 %: Uniswap V2, QuickSwap, SushiSwap (997 / 1000). */
export const FEE_0_3_PERCENT: V2Fee = v2Fee({ ppm: 3000 });
