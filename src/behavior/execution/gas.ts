import { InstrumentId, InstrumentKind } from "../../data/instrument-id.ts";
import type { Fill } from "../../data/tlv-layouts.ts";
import { DEFAULT_ASSET_ALIASES, DEFAULT_GAS_ASSETS, DEFAULT_USD_ASSETS } from "../strategies/common/token-table.ts";
import type { MarketState } from "./market-state.ts";
import { referencePrice } from "./market-state.ts";

/**
 * Gas actually paid by live on-chain transactions (docs/execution.md "Gas"). A receipt's cost, gasUsed x
 * effectiveGasPrice wei, is booked as a Fill on the chain's native gas token: a token instrument whose address is
 * the EIP-7528 native-asset address below, side 2 (paid), quantity_native = the wei exactly, fee = its USD value at
 * the gas token's mark (USD e8, rounded up), price = that mark. Portfolio, dashboard and reconciliation book it as
 * any token Fill: the native balance goes down by the wei, the fee is charged to cash.
 */

/** EIP-7528: the address that stands for a chain's native asset (ETH, POL, ...) where an ERC-20 address is expected. */
export const NATIVE_TOKEN_ADDRESS = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" as const;

/** Every EVM chain's native gas token has 18 decimals (wei). */
export const NATIVE_DECIMALS = 18;

const WEI_PER_TOKEN = 10n ** BigInt(NATIVE_DECIMALS);

/** Native gas asset per chain: the strategies' table plus anvil's local chain (ETH). */
export const GAS_ASSETS: Readonly<Record<number, string>> = { ...DEFAULT_GAS_ASSETS, 31337: "ETH" };

/** The gas asset of a chain: the configured one, else GAS_ASSETS; undefined when neither names one. */
export function gasAssetOf(chainId: number, configured = ""): string | undefined {
  if (configured !== "") return configured.toUpperCase();
  return GAS_ASSETS[chainId];
}

/** The native gas token instrument of a chain at a venue (the venue of the transaction's first pool). */
export function gasTokenInstrument(venue: number, chainId: number): InstrumentId {
  return InstrumentId.token(venue, chainId, NATIVE_TOKEN_ADDRESS);
}

/** True for the gas Fill of a live transaction (a token Fill on the native-asset address). */
export function isGasInstrument(i: InstrumentId): boolean {
  return i.kind === InstrumentKind.Token && i.address === NATIVE_TOKEN_ADDRESS;
}

/**
 * USD e8 of `wei` of the gas token at `priceE8` USD per token: ceil(wei x price / 1e18), so a cost never looks
 * smaller than it is (as venue fees round up). Exact integers; 0 for a price of 0.
 */
export function gasCostUsdE8(wei: bigint, priceE8: bigint): bigint {
  if (wei <= 0n || priceE8 <= 0n) return 0n;
  return (wei * priceE8 + WEI_PER_TOKEN - 1n) / WEI_PER_TOKEN;
}

/**
 * The gas token's USD mark from the engine's market: the reference price (book mid, else quote mid, else last trade:
 * the portfolio's mark) of the first spot book of `<asset>/<USD asset>` (USD, USDT, USDC, USDC.E; MATIC counts as
 * POL) that has one; undefined when no such book has a price.
 */
export function gasTokenPriceFromMarket(market: MarketState): (asset: string) => bigint | undefined {
  const usd = new Set(DEFAULT_USD_ASSETS);
  const assetOf = (s: string) => DEFAULT_ASSET_ALIASES[s] ?? s;
  return (asset) => {
    const want = assetOf(asset.toUpperCase());
    for (const e of market.books.values()) {
      const i = e.instrument;
      if (i.kind !== InstrumentKind.Spot || assetOf(i.base) !== want || !usd.has(i.quote)) continue;
      const p = referencePrice(e);
      if (p > 0n) return p;
    }
    return undefined;
  };
}

/**
 * The Fill that books a receipt's gas: side 2 (paid) on the native token of `chainId` at `venue`, quantity_native =
 * gasUsed x effectiveGasPrice exactly, quantity its e8 view (rounded down), price = the gas token's USD mark e8 (0
 * when there is none), fee = `usdE8` (gasCostUsdE8 of the wei at the mark, or a fallback the caller chose).
 */
export function gasFill(g: {
  orderId: bigint;
  fillId: bigint;
  venue: number;
  chainId: number;
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  markE8: bigint;
  usdE8: bigint;
  txHash: `0x${string}`;
  timestampNs: bigint;
}): Fill {
  const wei = g.gasUsed * g.effectiveGasPrice;
  return {
    orderId: g.orderId,
    fillId: g.fillId,
    instrument: gasTokenInstrument(g.venue, g.chainId),
    side: 2,
    liquidity: 2,
    price: g.markE8,
    quantity: wei / 10n ** BigInt(NATIVE_DECIMALS - 8),
    fee: g.usdE8,
    quantityNative: wei,
    txHash: g.txHash,
    timestampNs: g.timestampNs,
  };
}
