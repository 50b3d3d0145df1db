import type { Address } from "viem";
import type { InstrumentId } from "../../../data/instrument-id.ts";
import type { Fill } from "../../../data/tlv-layouts.ts";
import type { AuditSink } from "../audit-log.ts";
import type { CircuitBreakers } from "../breakers.ts";
import type { BreakerConfig } from "../config.ts";
import { gasAssetOf, gasTokenPriceFromMarket } from "../gas.ts";
import type { MarketState } from "../market-state.ts";
import { loadOnchainConfig, type OnchainConfig } from "./config.ts";
import { OnchainError } from "./errors.ts";
import { loadSigningAccount } from "./loadSigningAccount.ts";
import { NonceManager } from "./nonce-manager.ts";
import { OnchainExecutor, type PoolInfo } from "./onchain-executor.ts";

/**
 * `--live-onchain` of the execution service (main.ts): the configuration and key checks, then an OnchainExecutor
 * that takes the signals the paper engine accepted (risk checks and breakers first) and whose pools it knows from
 * the engine's market state. Nothing here logs the key or the RPC url (it may hold an API key): only the account
 * address, the chain id, the contract and the url's scheme + host.
 */
export interface LiveOnchainOptions {
  env: Record<string, string | undefined>;
  /** The config file ([onchain] table), when there is one. */
  configPath?: string;
  runDir: string;
  market: MarketState;
  /** The engine's breakers: its kill switch (ap halt) stops submission too. */
  haltedBy: CircuitBreakers;
  breakers: BreakerConfig;
  publish: (frame: Uint8Array) => void;
  /** Each Fill from a receipt, after its frame: the engine's portfolio (ExecutionEngine.applyLiveFill). */
  onFill?: (fill: Fill) => void;
  audit?: AuditSink;
  log?: { info(msg: string): void; warn(msg: string): void };
}

export interface LiveOnchain {
  readonly executor: OnchainExecutor;
  readonly config: OnchainConfig;
  readonly account: Address;
  /** The loud start-up lines: what live mode will do, with which account, on which chain. */
  readonly banner: string[];
}

/** The variable a missing piece is read from, named in the one-line refusal (never its value). */
export function missingOnchainVariable(
  env: Record<string, string | undefined>,
  file: Record<string, unknown> = {},
): string | undefined {
  const has = (...names: string[]) => names.some((n) => env[n] !== undefined && env[n] !== "");
  if (!has("AP_EXECUTION_RPC_URL", "AP_ONCHAIN_RPC_URL") && file.rpc_url === undefined) return "AP_EXECUTION_RPC_URL";
  if (!has("AP_EXECUTION_CHAIN_ID", "AP_ONCHAIN_CHAIN_ID") && file.chain_id === undefined)
    return "AP_EXECUTION_CHAIN_ID";
  if (!has("AP_EXECUTION_CONTRACT", "AP_ONCHAIN_CONTRACT") && file.contract === undefined)
    return "AP_EXECUTION_CONTRACT";
  if (!has("AP_EXECUTION_PRIVATE_KEY", "AP_EXECUTION_KEYSTORE")) return "AP_EXECUTION_PRIVATE_KEY";
  return undefined;
}

/** What the executor needs to know about a pool, from the engine's PoolState-fed market state. */
export function poolInfoFromMarket(market: MarketState): (iid: InstrumentId) => PoolInfo | undefined {
  return (iid) => {
    const p = market.pools.get(iid.toString());
    if (p === undefined) return undefined;
    const s = p.state;
    return {
      protocol: s.protocol,
      token0: p.token0 as Address,
      token1: p.token1 as Address,
      feePpm: s.protocol === 2 ? s.fee.ppm : 0,
      token0Decimals: s.token0Decimals,
      token1Decimals: s.token1Decimals,
    };
  };
}

/** scheme://host of a url: never its path or query (API keys live there). */
export function urlHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "<unparsable url>";
  }
}

/**
 * Checks the configuration and the key (OnchainError "MissingLiveVariable" naming the variable), loads the key
 * (removed from the environment once read), checks the RPC's chain id and reconciles the nonces (executor.start).
 * AP_EXECUTION_RPC_URL / AP_EXECUTION_CHAIN_ID / AP_EXECUTION_CONTRACT are read as [onchain] rpc_url, chain_id,
 * contract (AP_ONCHAIN_<KEY> and the file's [onchain] table work too).
 */
export async function startLiveOnchain(o: LiveOnchainOptions): Promise<LiveOnchain> {
  let table: Record<string, unknown> = {};
  if (o.configPath) {
    const { existsSync, readFileSync } = await import("node:fs");
    if (existsSync(o.configPath)) {
      const file = Bun.TOML.parse(readFileSync(o.configPath, "utf8")) as Record<string, unknown>;
      table = (file.onchain ?? {}) as Record<string, unknown>;
    }
  }
  const missing = missingOnchainVariable(o.env, table);
  if (missing !== undefined) {
    throw new OnchainError({
      code: "MissingLiveVariable",
      message: `--live-onchain: ${missing} is not set`,
      facts: { variable: missing },
      hint:
        missing === "AP_EXECUTION_PRIVATE_KEY"
          ? "set AP_EXECUTION_PRIVATE_KEY, or AP_EXECUTION_KEYSTORE and AP_EXECUTION_KEYSTORE_PASSWORD"
          : "or the [onchain] table of the config file (docs/onchain-execution.md)",
    });
  }
  const alias = (to: string, from: string) => (o.env[to] !== undefined && o.env[to] !== "" ? o.env[to] : o.env[from]);
  const config = loadOnchainConfig({
    path: o.configPath,
    env: {
      ...o.env,
      AP_ONCHAIN_RPC_URL: alias("AP_ONCHAIN_RPC_URL", "AP_EXECUTION_RPC_URL"),
      AP_ONCHAIN_CHAIN_ID: alias("AP_ONCHAIN_CHAIN_ID", "AP_EXECUTION_CHAIN_ID"),
      AP_ONCHAIN_CONTRACT: alias("AP_ONCHAIN_CONTRACT", "AP_EXECUTION_CONTRACT"),
    },
  });
  const account = await loadSigningAccount({ env: o.env });
  const nonces = new NonceManager({ runDir: o.runDir, address: account.address, chainId: config.chainId });
  const executor = new OnchainExecutor({
    config,
    account,
    nonces,
    pools: poolInfoFromMarket(o.market),
    publish: o.publish,
    onFill: o.onFill,
    gasTokenPriceE8: gasTokenPriceFromMarket(o.market),
    audit: o.audit,
    breakers: {
      maxErrors: o.breakers.maxErrors,
      errorWindowMs: o.breakers.errorWindowMs,
      cooldownMs: o.breakers.cooldownMs,
      reset: o.breakers.reset,
    },
    haltedBy: o.haltedBy,
    log: o.log,
  });
  await executor.start();
  const route =
    config.submission.route === "public"
      ? "the public mempool of the RPC"
      : `${config.submission.route} submission at ${urlHost(config.submission.url)}`;
  // a label for the key, never the key: ap up --chain local says it signs with anvil's public dev key
  const label = o.env.AP_EXECUTION_KEY_LABEL ? ` [${o.env.AP_EXECUTION_KEY_LABEL}]` : "";
  const gasAsset = gasAssetOf(config.chainId, config.gasAsset);
  const gasMark =
    (gasAsset !== undefined ? `${gasAsset}/USD book's mark, else ` : "") +
    (config.gasTokenUsdE8 > 0n ? `[onchain] gas_token_usd_e8 = ${config.gasTokenUsdE8}` : "signal's gas estimate");
  const banner = [
    `*** LIVE ON-CHAIN EXECUTION ***${label}`,
    `*** ArbitrageSignals that pass the risk checks and breakers are SIGNED by ${account.address} and SENT as real`,
    `*** transactions on chain ${config.chainId} via ${urlHost(config.rpcUrl)} (${route}), through the FlashArbitrage`,
    `*** contract ${config.contract}. Statuses and fills come from the receipts. ap halt stops submission.`,
    `*** Gas paid is booked from each receipt in ${gasAsset ?? "the native token"} (wei), valued at the ${gasMark}.`,
  ];
  return { executor, config, account: account.address, banner };
}
