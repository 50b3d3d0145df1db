import { existsSync, readFileSync } from "node:fs";
import { type Address, isAddress } from "viem";
import { ConfigError } from "../../../core/errors.ts";

/** Where signed transactions go. "private": a private RPC's eth_sendRawTransaction; "bundle": eth_sendBundle. */
export type Submission = { route: "public" } | { route: "private"; url: string } | { route: "bundle"; url: string };

/**
 * The [onchain] table (docs/onchain-execution.md). Quantities of wei are bigint; times in ms. Per-strategy
 * submission under [onchain.strategy.<strategy_id>] with `submission` and `submission_url`.
 */
export interface OnchainConfig {
  /** The chain the RPC must be on (eth_chainId is checked at start) and the signals must name. */
  chainId: number;
  rpcUrl: string;
  /** The deployed FlashArbitrage (contracts/FlashArbitrage.sol), owned by the signing account. */
  contract: Address;
  /** Tip per gas. */
  priorityFeeWei: bigint;
  /** Ceiling of max_fee_per_gas when a signal has no max_gas_price_gwei (0), and for cancels. */
  maxFeeWei: bigint;
  /** gas limit = estimate * (100 + gasMarginPct) / 100 (anvil's and geth's estimates are exact for the state they ran on). */
  gasMarginPct: number;
  /**
   * A route's cached gas estimate (the limit signed without waiting for eth_estimateGas) is re-estimated in the
   * background once it is older than this. Every signal is still simulated with eth_call at that very limit.
   */
  gasEstimateMaxAgeMs: number;
  /**
   * Simulate (eth_call, eth_estimateGas) on the latest state with the next block's number and timestamp (block
   * overrides, the 4th parameter): what runs once per block (a V2 pair's price accumulators) costs gas that a call
   * in the latest block's own context never pays. false for nodes that refuse block overrides.
   */
  simulateNextBlock: boolean;
  /** A transaction without a receipt after this long is reported outcome-unknown (still tracked by hash). */
  receiptTimeoutMs: number;
  /** A transaction not mined after this long is replaced with higher fees, or cancelled (stuckPolicy). */
  replaceAfterMs: number;
  /** Fee increase of a replacement; geth and anvil require at least 10 % on both fee fields. */
  feeBumpPct: number;
  stuckPolicy: "replace" | "cancel";
  rpcTimeoutMs: number;
  submission: Submission;
  strategySubmission: Map<number, Submission>;
  /**
   * The chain's native gas token (ETH, POL): its USD mark is the reference price of an `<asset>/USD` book the engine
   * follows. "" = by chain id (src/behavior/execution/gas.ts GAS_ASSETS: 137 POL, 1/42161/8453/31337 ETH).
   */
  gasAsset: string;
  /** USD e8 per gas token when the engine has no `<asset>/USD` book with a price (0 = none). */
  gasTokenUsdE8: bigint;
}

export const DEFAULT_ONCHAIN: Omit<OnchainConfig, "chainId" | "rpcUrl" | "contract"> = {
  priorityFeeWei: 1_000_000_000n,
  maxFeeWei: 500_000_000_000n,
  gasMarginPct: 25,
  gasEstimateMaxAgeMs: 30_000,
  simulateNextBlock: true,
  receiptTimeoutMs: 30_000,
  replaceAfterMs: 60_000,
  feeBumpPct: 15,
  stuckPolicy: "replace",
  rpcTimeoutMs: 10_000,
  submission: { route: "public" },
  strategySubmission: new Map(),
  gasAsset: "",
  gasTokenUsdE8: 0n,
};

function fail(key: string, value: unknown, message: string): never {
  throw new ConfigError({
    code: "InvalidOnchainConfig",
    message,
    facts: { key, value: typeof value === "object" ? JSON.stringify(value) : String(value) },
    hint: "see docs/onchain-execution.md",
  });
}

function submissionOf(key: string, route: unknown, url: unknown): Submission {
  if (route === undefined || route === "public") return { route: "public" };
  if (route !== "private" && route !== "bundle") fail(key, route, "submission is public, private or bundle");
  if (typeof url !== "string" || !/^https?:\/\//.test(url)) fail(`${key}_url`, "<hidden>", "needs an http(s) url");
  return { route, url };
}

/**
 * Reads [onchain] from a TOML file and AP_ONCHAIN_<KEY> from the environment (the environment wins). Throws
 * ConfigError naming the key; rpc_url and submission urls are never echoed (they may hold API keys).
 */
export function loadOnchainConfig(
  options: { path?: string; env?: Record<string, string | undefined> } = {},
): OnchainConfig {
  const env = options.env ?? process.env;
  let table: Record<string, unknown> = {};
  if (options.path && existsSync(options.path)) {
    const file = Bun.TOML.parse(readFileSync(options.path, "utf8")) as Record<string, unknown>;
    table = (file.onchain ?? {}) as Record<string, unknown>;
  }
  const get = (key: string): unknown => env[`AP_ONCHAIN_${key.toUpperCase()}`] ?? table[key];
  const int = (key: string, d: number): number => {
    const v = get(key);
    if (v === undefined) return d;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < 0) fail(key, v, "must be a non-negative integer");
    return n;
  };
  const big = (key: string, d: bigint, unit = "wei"): bigint => {
    const v = get(key);
    if (v === undefined) return d;
    if (!/^\d+$/.test(String(v))) fail(key, v, `must be a non-negative integer (${unit})`);
    return BigInt(String(v));
  };
  const bool = (key: string, d: boolean): boolean => {
    const v = get(key);
    if (v === undefined) return d;
    if (v === true || v === "true") return true;
    if (v === false || v === "false") return false;
    return fail(key, v, "must be true or false");
  };
  const chainId = int("chain_id", 0);
  if (chainId === 0) fail("chain_id", get("chain_id"), "chain_id is required for live on-chain execution");
  const rpcUrl = String(get("rpc_url") ?? "");
  if (!/^https?:\/\//.test(rpcUrl)) fail("rpc_url", "<hidden>", "rpc_url (http or https) is required");
  const contract = String(get("contract") ?? "");
  if (!isAddress(contract)) fail("contract", contract, "contract must be the deployed FlashArbitrage address");
  const policy = String(get("stuck_policy") ?? DEFAULT_ONCHAIN.stuckPolicy);
  if (policy !== "replace" && policy !== "cancel") fail("stuck_policy", policy, "stuck_policy is replace or cancel");
  const strategySubmission = new Map<number, Submission>();
  const perStrategy = (table.strategy ?? {}) as Record<string, Record<string, unknown>>;
  for (const [id, t] of Object.entries(perStrategy)) {
    strategySubmission.set(Number(id), submissionOf(`strategy.${id}.submission`, t.submission, t.submission_url));
  }
  return {
    chainId,
    rpcUrl,
    contract: contract as Address,
    priorityFeeWei: big("priority_fee_wei", DEFAULT_ONCHAIN.priorityFeeWei),
    maxFeeWei: big("max_fee_wei", DEFAULT_ONCHAIN.maxFeeWei),
    gasMarginPct: int("gas_margin_pct", DEFAULT_ONCHAIN.gasMarginPct),
    gasEstimateMaxAgeMs: int("gas_estimate_max_age_ms", DEFAULT_ONCHAIN.gasEstimateMaxAgeMs),
    simulateNextBlock: bool("simulate_next_block", DEFAULT_ONCHAIN.simulateNextBlock),
    receiptTimeoutMs: int("receipt_timeout_ms", DEFAULT_ONCHAIN.receiptTimeoutMs),
    replaceAfterMs: int("replace_after_ms", DEFAULT_ONCHAIN.replaceAfterMs),
    feeBumpPct: int("fee_bump_pct", DEFAULT_ONCHAIN.feeBumpPct),
    stuckPolicy: policy,
    rpcTimeoutMs: int("rpc_timeout_ms", DEFAULT_ONCHAIN.rpcTimeoutMs),
    submission: submissionOf("submission", get("submission"), get("submission_url")),
    strategySubmission,
    gasAsset: gasAssetSetting(get("gas_asset")),
    gasTokenUsdE8: big("gas_token_usd_e8", DEFAULT_ONCHAIN.gasTokenUsdE8, "USD e8"),
  };
}

function gasAssetSetting(v: unknown): string {
  if (v === undefined || v === "") return "";
  const s = String(v).toUpperCase();
  if (!/^[A-Z0-9._-]{1,12}$/.test(s)) fail("gas_asset", v, "gas_asset is a symbol of 1-12 characters (ETH, POL)");
  return s;
}
