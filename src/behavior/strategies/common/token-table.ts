import type { Address } from "../../../data/instrument-id.ts";
import { StrategyError } from "./errors.ts";

/**
 * How a CEX pair meets a DEX pool (docs/strategies.md "Pairing"). A CEX instrument names assets by symbol
 * (Kraken ETH/USD, Binance ETH/USDT); a pool names tokens by address (PoolState token0/token1, with decimals).
 * This table says which token address stands for which CEX asset on which chain, and which assets count as USD.
 * Decimals are never taken from here: they come from the PoolState TLV.
 */
export interface TokenEntry {
  /** EVM chain id (137 Polygon). */
  chainId: number;
  /** Lower-case 0x address. */
  address: Address;
  /** The CEX asset this token trades as: WETH -> ETH, WMATIC -> POL; USD for the USD stablecoins. */
  asset: string;
}

/**
 * CEX quote assets (and token assets) that count as one US dollar. A quote in any of them is compared 1:1 with the
 * others: a de-peg is a risk the operator takes by listing an asset here.
 */
export const DEFAULT_USD_ASSETS: readonly string[] = ["USD", "USDT", "USDC", "USDC.E"];

/** Polygon PoS tokens of fixtures/polygon/pools.json (addresses checked there) plus native USDC and USDT. */
export const DEFAULT_TOKENS: readonly TokenEntry[] = [
  { chainId: 137, address: "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619", asset: "ETH" }, // WETH
  { chainId: 137, address: "0x0d500b1d8e8ef31e21c99d1db9a6444d3adf1270", asset: "POL" }, // WMATIC / WPOL
  { chainId: 137, address: "0x1bfd67037b42cf73acf2047067bd4f2c47a9bfd6", asset: "BTC" }, // WBTC
  { chainId: 137, address: "0x2791bca1f2de4661ed88a30c99a7a9449aa84174", asset: "USD" }, // USDC.e
  { chainId: 137, address: "0x3c499c542cef5e3811e1192ce70d8cc03d5c3359", asset: "USD" }, // USDC
  { chainId: 137, address: "0xc2132d05d31c914a87c6611c10748aeb04b58e8f", asset: "USD" }, // USDT
];

/** CEX symbols that name the same asset as another symbol (the rebrand MATIC -> POL). */
export const DEFAULT_ASSET_ALIASES: Readonly<Record<string, string>> = { MATIC: "POL", WETH: "ETH", WBTC: "BTC" };

/** Native gas token asset per chain, priced from a CEX book of <asset>/<USD asset>. */
export const DEFAULT_GAS_ASSETS: Readonly<Record<number, string>> = { 137: "POL", 1: "ETH", 42161: "ETH", 8453: "ETH" };

export class TokenTable {
  private readonly byAddress = new Map<string, string>();
  private readonly usd: ReadonlySet<string>;
  private readonly aliases: Readonly<Record<string, string>>;

  constructor(
    tokens: readonly TokenEntry[] = DEFAULT_TOKENS,
    usdAssets: readonly string[] = DEFAULT_USD_ASSETS,
    aliases: Readonly<Record<string, string>> = DEFAULT_ASSET_ALIASES,
  ) {
    for (const t of tokens) {
      if (!/^0x[0-9a-f]{40}$/.test(t.address)) {
        throw new StrategyError({
          code: "BadTokenAddress",
          message: `token address "${t.address}" is not 0x + 40 lower-case hex digits`,
          facts: { address: t.address, asset: t.asset, chainId: t.chainId },
          hint: "write addresses lower-case in the strategy's tokens table",
        });
      }
      this.byAddress.set(`${t.chainId}:${t.address}`, t.asset.toUpperCase());
    }
    this.usd = new Set(usdAssets.map((a) => a.toUpperCase()));
    this.aliases = aliases;
  }

  /** The asset a CEX symbol stands for: aliases resolved, USD stablecoins -> "USD". */
  assetOfSymbol(symbol: string): string {
    const s = symbol.toUpperCase();
    const a = this.aliases[s] ?? s;
    return this.usd.has(a) ? "USD" : a;
  }

  /** The asset a token stands for, or undefined when the table does not list it. */
  assetOfToken(chainId: number, address: string): string | undefined {
    const a = this.byAddress.get(`${chainId}:${address}`);
    if (a === undefined) return undefined;
    return this.usd.has(a) ? "USD" : (this.aliases[a] ?? a);
  }

  /** "ETH/USD" for a CEX pair whose quote is a USD asset, else undefined (the pair is not traded against pools). */
  cexPairKey(base: string, quote: string): string | undefined {
    if (this.assetOfSymbol(quote) !== "USD") return undefined;
    const b = this.assetOfSymbol(base);
    return b === "USD" ? undefined : `${b}/USD`;
  }
}
