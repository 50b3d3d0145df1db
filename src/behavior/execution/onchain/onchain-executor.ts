import {
  type Address,
  decodeErrorResult,
  encodeFunctionData,
  type Hex,
  keccak256,
  type LocalAccount,
  type TransactionSerializableEIP1559,
} from "viem";
import { nowNs as wallClockNs } from "../../../core/time.ts";
import { InstrumentId, InstrumentKind } from "../../../data/instrument-id.ts";
import type { ArbitrageSignal, Economics, Fill, SignalIdentity } from "../../../data/tlv-layouts.ts";
import { FrameBuilder } from "../../../rules/builder.ts";
import type { AuditSink } from "../audit-log.ts";
import { BreakerReason, BreakerScope, BreakerState, breakerTlv, CircuitBreakers } from "../breakers.ts";
import { OrderStatusCode, RejectReason, SIGNAL_ORDER_BIT } from "../engine.ts";
import { gasAssetOf, gasCostUsdE8, gasFill } from "../gas.ts";
import type { OnchainConfig, Submission } from "./config.ts";
import { signEip1559 } from "./eip1559.ts";
import { OnchainError, OutcomeUnknownError } from "./errors.ts";
import { flashArbitrageAbi } from "./flashArbitrageArtifact.ts";
import { JsonRpc, RpcRefusedError, RpcTransportError } from "./json-rpc.ts";
import type { InflightNonce, NonceManager, SentVersion } from "./nonce-manager.ts";

/** What the executor needs to know about a pool: from the engine's PoolState (main.ts) or a test's deployment. */
export interface PoolInfo {
  protocol: 2 | 3;
  token0: Address;
  token1: Address;
  /** V2: the pair's fee in millionths (3000). Unused for V3 (the pool knows its fee). */
  feePpm: number;
  token0Decimals: number;
  token1Decimals: number;
}

/** One hop as recorded with the nonce (JSON-safe), enough to turn a receipt into Fills after a restart. */
interface HopContext {
  pool: string;
  venue: number;
  tokenIn: string;
  tokenOut: string;
  decimalsIn: number;
  decimalsOut: number;
}
interface OrderContext {
  kind: "round_trip" | "swap";
  chainId: number;
  hops: HopContext[];
  amountIn: string;
  /** Economics.gas_cost_usd_e8: the strategy's gas estimate, audited as expected beside the receipt's actual gas. */
  gasFeeUsdE8: string;
  /** Fee ceiling from the signal, wei (replacements stay under it). */
  maxFeeWei: string;
  /** The route's gas-estimate cache key and the gas limit signed (an out-of-gas receipt drops the estimate). */
  gasKey?: string;
  gasLimit?: string;
}

export type SignalOutcome =
  | { state: "rejected"; orderId: bigint; reason: number; check: string; message: string }
  | { state: "submitted"; orderId: bigint; hash: Hex; nonce: number }
  | { state: "unknown"; orderId: bigint; hash: Hex; nonce: number };

export interface ResolvedTx {
  orderId: bigint;
  nonce: number;
  hash: Hex | undefined;
  /**
   * dropped: the order did not execute — its nonce was taken by a transaction not ours (no receipt of ours, no gas),
   * or our cancel was mined (the cancel's gas is booked).
   */
  state: "mined" | "reverted" | "dropped";
  /** From the receipt (0 without one: a dropped nonce costs us nothing). */
  gasUsed: bigint;
  effectiveGasPrice: bigint;
  /** gasUsed x effectiveGasPrice: what the gas Fill books on the native token, exactly. */
  gasCostWei: bigint;
  /** The gas Fill's fee: USD e8 of gasCostWei at the gas token's mark (the audit `gas` record's usd_source says which). */
  gasCostUsdE8: bigint;
}

/** Where the USD value of a receipt's gas came from (docs/execution.md "Gas actually paid"). */
export type GasUsdSource = "book" | "config" | "estimate" | "none";

export interface OnchainCounters {
  signals: number;
  rejected: number;
  skipped: number;
  submitted: number;
  mined: number;
  reverted: number;
  dropped: number;
  unknown: number;
  replaced: number;
  cancelled: number;
  fills: number;
  breakerTrips: number;
  /** Signals simulated with one eth_call at a cached route estimate's limit. */
  gasFromCache: number;
  /** Cached limits that failed the eth_call without a contract error (re-estimated before signing). */
  gasCacheMisses: number;
  /** eth_estimateGas calls, in line (no cached estimate) or in the background (an old one). */
  gasEstimates: number;
  /** Reverted receipts that used (nearly) all their gas: the route's estimate is dropped. */
  outOfGas: number;
  /** Gas Fills booked: one per receipt of ours (mined, reverted, or a mined cancel). */
  gasFills: number;
  /** Gas Fills whose USD value is not a mark of the gas token (the Economics estimate, or none). */
  gasUnpriced: number;
}

export interface OnchainExecutorOptions {
  config: OnchainConfig;
  account: LocalAccount;
  nonces: NonceManager;
  pools: (pool: InstrumentId) => PoolInfo | undefined;
  publish: (frame: Uint8Array) => void;
  /**
   * Each Fill of a mined transaction, right after its frame was published: the engine's portfolio takes it
   * (ExecutionEngine.applyLiveFill), so live trades move positions, cash and P&L as paper fills do.
   */
  onFill?: (fill: Fill) => void;
  /**
   * The gas token's USD mark, e8, from the engine's market (gas.ts gasTokenPriceFromMarket: the reference price of an
   * `<asset>/USD` book): what a receipt's real gas is valued at in its Fill's fee. Without an answer, [onchain]
   * gas_token_usd_e8; without that, the signal's Economics estimate (flagged).
   */
  gasTokenPriceE8?: (asset: string) => bigint | undefined;
  audit?: AuditSink;
  breakers: { maxErrors: number; errorWindowMs: number; cooldownMs: number; reset: "cooldown" | "manual" };
  /** Breakers owned elsewhere that also stop live execution: the paper engine's (its kill switch). */
  haltedBy?: CircuitBreakers;
  clock?: () => bigint;
  log?: { info(msg: string): void; warn(msg: string): void };
  /** Benchmark probe: performance.now() at the signal, after the simulation, and when signed bytes go to the RPC. */
  onTiming?: (t: { signalMs: number; simulatedMs: number; handedMs: number }) => void;
}

const TRANSFER_TOPIC = keccak256(new TextEncoder().encode("Transfer(address,address,uint256)"));
const SLIPPAGE_ERRORS = new Set(["ProfitBelowMinimum", "OutputBelowMinimum"]);
const MS = 1_000_000n;
const E8 = 100_000_000n;
const GWEI = 1_000_000_000n;

/**
 * Live on-chain execution of ArbitrageSignals (docs/onchain-execution.md): one signal at a time, in arrival order,
 *   validate -> breakers -> calldata -> fees under the signal's cap -> simulate: one eth_call at the route's cached
 *   gas limit (estimate + 25 %), signed meanwhile; eth_estimateGas first for a route without an estimate
 *   -> nonce and signed bytes persisted -> submit (public, private RPC or bundle relay)
 * then `poll()` resolves what is in flight by hash: receipts become Fills and OrderStatus frames (the paper engine's
 * shapes, tx_hash real), reverts become status 2 reason 3, stuck transactions are replaced or cancelled, and a
 * transaction without an answer or a receipt is outcome-unknown until one of its versions is mined or its nonce is
 * taken by something else. Nothing is ever sent again as a new transaction; only identical signed bytes are
 * re-broadcast.
 */
export class OnchainExecutor {
  readonly counters: OnchainCounters = {
    signals: 0,
    rejected: 0,
    skipped: 0,
    submitted: 0,
    mined: 0,
    reverted: 0,
    dropped: 0,
    unknown: 0,
    replaced: 0,
    cancelled: 0,
    fills: 0,
    breakerTrips: 0,
    gasFromCache: 0,
    gasCacheMisses: 0,
    gasEstimates: 0,
    outOfGas: 0,
    gasFills: 0,
    gasUnpriced: 0,
  };
  /** Sum of gasUsed x effectiveGasPrice over every receipt of ours, wei. */
  gasPaidWei = 0n;
  readonly breakers = new CircuitBreakers();
  /** Nonces reported outcome-unknown and not resolved yet. */
  readonly unknownNonces = new Set<number>();
  readonly rpc: JsonRpc;
  private readonly o: OnchainExecutorOptions;
  private readonly config: OnchainConfig;
  private readonly account: LocalAccount;
  private readonly from: Address;
  private readonly clock: () => bigint;
  private readonly builder = new FrameBuilder({ domain: 3, source: 42 });
  private readonly endpoints = new Map<string, JsonRpc>();
  private queue: Promise<unknown> = Promise.resolve();
  private now = 0n;
  private nextFillId = 1n;
  /** Per route (buildCall's gasKey): the last eth_estimateGas answer and the limit derived from it. */
  private readonly gasEstimates = new Map<string, GasEstimate>();
  /** From the latest block: refreshFees(). */
  baseFeeWei = 0n;
  blockNumber = 0n;
  blockTimestamp = 0n;
  /** eth_call / eth_estimateGas parameters after the call: the block and, by simulate_next_block, its overrides. */
  private simulateAt: unknown[] = ["latest"];

  constructor(options: OnchainExecutorOptions) {
    this.o = options;
    this.config = options.config;
    this.account = options.account;
    this.from = options.account.address;
    this.clock = options.clock ?? wallClockNs;
    this.rpc = new JsonRpc(this.config.rpcUrl, { timeoutMs: this.config.rpcTimeoutMs });
  }

  /**
   * Start-up: the RPC's chain id must be the configured one; nonces reconciled with the node's pending count;
   * in-flight records the node does not know re-broadcast byte for byte (same hash: it cannot execute twice).
   */
  async start(): Promise<void> {
    const chainId = Number(BigInt(await this.rpc.call<string>("eth_chainId", [])));
    if (chainId !== this.config.chainId) {
      throw new OnchainError({
        code: "ChainIdMismatch",
        message: "the RPC is on another chain than the configuration says",
        facts: { configured: this.config.chainId, rpc: chainId },
        hint: "check [onchain] chain_id and rpc_url",
      });
    }
    const pending = Number(BigInt(await this.rpc.call<string>("eth_getTransactionCount", [this.from, "pending"])));
    const before = this.o.nonces.next;
    this.o.nonces.reconcile(pending);
    this.now = this.clock();
    this.audit("reconcile", { account: this.from, file_next: before, node_pending: pending, next: this.o.nonces.next });
    for (const e of this.o.nonces.inflight) {
      if (e.nonce < pending) continue; // the node has it (or mined it): poll() resolves it by hash
      const v = e.versions[e.versions.length - 1];
      try {
        await this.submitRaw(v.raw, this.submissionFor(e.route));
        this.audit("rebroadcast", { nonce: e.nonce, hash: v.hash, route: e.route });
      } catch (err) {
        this.audit("rebroadcast_failed", { nonce: e.nonce, hash: v.hash, error: errorFacts(err) });
      }
    }
    await this.refreshFees();
    // the first signature builds secp256k1's precomputed tables (6 ms here) and the next ones run before the JIT
    // has compiled the signing path (~2 ms each): done now, on transactions signed and discarded (nonces far
    // beyond any in use, 0 wei to self), not on the first signals
    for (let i = 0; i < 16; i++) {
      await signEip1559(this.account, {
        chainId: this.config.chainId,
        nonce: 2 ** 31 + i,
        to: this.from,
        data: "0x",
        gas: 21_000n,
        maxFeePerGas: 1n,
        maxPriorityFeePerGas: 1n,
      });
    }
  }

  /** Base fee and block number from the latest block (called per block by the service, or before a burst). */
  async refreshFees(): Promise<void> {
    const block = await this.rpc.call<{ baseFeePerGas?: string; number: string; timestamp: string }>(
      "eth_getBlockByNumber",
      ["latest", false],
    );
    this.baseFeeWei = BigInt(block.baseFeePerGas ?? "0x0");
    this.blockNumber = BigInt(block.number);
    this.blockTimestamp = BigInt(block.timestamp);
    // the transaction lands in a later block: simulate in the next one's context (number + 1, at least 1 s later)
    this.simulateAt = this.config.simulateNextBlock
      ? ["latest", {}, { number: hex(this.blockNumber + 1n), time: hex(this.blockTimestamp + 1n) }]
      : ["latest"];
  }

  /** Queues one signal; signals run strictly one after another (nonce order = arrival order). */
  onSignal(signal: ArbitrageSignal, identity?: SignalIdentity, economics?: Economics): Promise<SignalOutcome> {
    const run = this.queue.then(() => this.execute(signal, identity, economics));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Counters and state for `stats` lines and `ap status`: no key, no raw transaction, no endpoint url. */
  stats(): Record<string, string | number> {
    const c = this.counters;
    return {
      onchain_account: this.from,
      onchain_chain_id: this.config.chainId,
      onchain_signals: c.signals,
      onchain_submitted: c.submitted,
      onchain_mined: c.mined,
      onchain_reverted: c.reverted,
      onchain_skipped: c.skipped,
      onchain_rejected: c.rejected,
      onchain_unknown: this.unknownNonces.size,
      onchain_inflight: this.o.nonces.inflight.length,
      onchain_next_nonce: this.o.nonces.next,
      onchain_breakers_tripped: this.breakers.tripped.size,
      onchain_gas_fills: c.gasFills,
      onchain_gas_paid_wei: this.gasPaidWei.toString(),
      onchain_gas_unpriced: c.gasUnpriced,
    };
  }

  // ---- one signal ----------------------------------------------------------------------------------------------

  private async execute(s: ArbitrageSignal, identity?: SignalIdentity, economics?: Economics): Promise<SignalOutcome> {
    const signalMs = performance.now();
    this.now = this.clock();
    this.counters.signals++;
    const orderId = SIGNAL_ORDER_BIT | s.signalId;
    this.audit("signal", { ...s, identity: identity ?? null, economics: economics ?? null, mode: "live_onchain" });
    const built = this.buildCall(s, orderId, economics);
    if ("refusal" in built) return this.finishReject(orderId, built.refusal);
    const { data, context, maxFeeCap, gasKey } = built;

    // fees: max_fee = min(2 x base + tip, cap); a base fee above the cap cannot be paid
    // biome-ignore lint/complexity/useMathMinMax: bigint
    const tip = this.config.priorityFeeWei < maxFeeCap ? this.config.priorityFeeWei : maxFeeCap;
    let maxFee = 2n * this.baseFeeWei + tip;
    if (maxFee > maxFeeCap) maxFee = maxFeeCap;
    if (this.baseFeeWei > maxFee) {
      return this.finishReject(orderId, {
        reason: RejectReason.RiskLimit,
        check: "gas_price",
        message: "base fee above the signal's max gas price",
        facts: { base_fee_wei: this.baseFeeWei, cap_wei: maxFeeCap },
      });
    }

    // simulate (docs/onchain-execution.md "Simulation and gas"): with a cached estimate for the route, one eth_call
    // at the exact gas limit that will be signed; without one (or when that call fails without a contract error),
    // eth_estimateGas, which simulates too and gives the estimate
    const call = {
      from: this.from,
      to: this.config.contract,
      data,
      maxFeePerGas: hex(maxFee),
      maxPriorityFeePerGas: hex(tip),
    };
    // signed for the next nonce before it is reserved: signals run one at a time, so nothing takes it meanwhile,
    // and a skipped signal leaves no trace in the nonce file
    const nonce = this.o.nonces.next;
    const sign = (gas: bigint): Promise<{ raw: Hex; hash: Hex }> =>
      signEip1559(this.account, {
        chainId: this.config.chainId,
        nonce,
        to: this.config.contract,
        data,
        gas,
        maxFeePerGas: maxFee,
        maxPriorityFeePerGas: tip,
      });
    let estimate: bigint | undefined;
    let gas = 0n;
    let signedTx: { raw: Hex; hash: Hex } | undefined;
    let simulatedMs = 0;
    let fromCache = false;
    const cached = this.gasEstimates.get(gasKey);
    if (cached !== undefined) {
      // the eth_call is on its way to the node while this thread signs with the cached limit; the bytes are
      // handed over only if the call succeeds at exactly that limit
      const simulation = this.rpc.call("eth_call", [{ ...call, gas: hex(cached.limit) }, ...this.simulateAt]).then(
        () => undefined,
        (e: unknown) => ({ error: e }),
      );
      const signed = await sign(cached.limit);
      const failed = await simulation;
      simulatedMs = performance.now();
      if (failed === undefined) {
        estimate = cached.estimate;
        gas = cached.limit;
        signedTx = signed;
        fromCache = true;
        this.counters.gasFromCache++;
      } else {
        const e = failed.error;
        // a contract error (ProfitBelowMinimum, Expired, ...) or no answer: skip, as the estimate would have
        if (!(e instanceof RpcRefusedError) || revertName(e) !== undefined) return this.finishSkip(orderId, e);
        // out of gas at the cached limit, or a failure without a reason: the full estimate decides
        this.gasEstimates.delete(gasKey);
        this.counters.gasCacheMisses++;
      }
    }
    if (estimate === undefined || signedTx === undefined) {
      try {
        estimate = BigInt(await this.rpc.call<string>("eth_estimateGas", [call, ...this.simulateAt]));
      } catch (e) {
        return this.finishSkip(orderId, e);
      }
      simulatedMs = performance.now();
      gas = this.rememberEstimate(gasKey, estimate);
      signedTx = await sign(gas);
    }
    const { raw, hash } = signedTx;

    // one write: the nonce and the signed bytes, before they go to any endpoint
    const submission = this.submissionFor(this.routeOf(s.strategyId));
    if (this.o.nonces.next !== nonce) {
      throw new OnchainError({
        code: "NonceMoved",
        message: "the next nonce changed while the transaction was signed",
        facts: { signed: nonce, next: this.o.nonces.next },
      });
    }
    const entry = this.o.nonces.reserve({
      orderId: orderId.toString(),
      route: submission.route,
      sentNs: this.now.toString(),
      versions: [
        { hash, raw, maxFeePerGas: maxFee.toString(), maxPriorityFeePerGas: tip.toString(), kind: "original" },
      ],
      context: { ...context, gasKey, gasLimit: gas.toString() },
    });
    this.audit("tx", {
      order_id: orderId,
      nonce: entry.nonce,
      hash,
      route: submission.route,
      gas_estimate: estimate,
      gas_limit: gas,
      gas_from_cache: fromCache,
      max_fee_per_gas: maxFee,
      max_priority_fee_per_gas: tip,
    });
    this.o.onTiming?.({ signalMs, simulatedMs, handedMs: performance.now() });
    try {
      await this.submitRaw(raw, submission);
    } catch (e) {
      if (e instanceof RpcTransportError && e.written) {
        const unknown = new OutcomeUnknownError({
          code: "OutcomeUnknown",
          message: "the transaction was handed over and no answer came back",
          facts: { hash, nonce: entry.nonce, endpoint_error: e.code },
          hash,
          nonce: entry.nonce,
          hint: "tracked by hash until mined or its nonce is used; never resent as a new transaction",
        });
        this.markUnknown(entry, unknown.message);
        this.emitStatus(orderId, BigInt(entry.nonce), OrderStatusCode.Accepted, RejectReason.None, 0n, 0n);
        this.flush();
        return { state: "unknown", orderId, hash, nonce: entry.nonce };
      }
      // refused with an answer, or never reached: in no mempool, the nonce comes back when nothing follows it
      if (!this.o.nonces.release(entry.nonce)) await this.cancelNonce(entry, "submit refused, nonce filled");
      return this.finishReject(orderId, {
        reason: RejectReason.VenueRejected,
        check: "submit_refused",
        message: e instanceof Error ? e.message : String(e),
        facts: { nonce: entry.nonce },
        error: true,
      });
    }
    this.counters.submitted++;
    this.emitStatus(orderId, BigInt(entry.nonce), OrderStatusCode.Accepted, RejectReason.None, 0n, 0n);
    this.flush();
    if (cached !== undefined && this.gasEstimates.get(gasKey) === cached) this.refreshEstimateIfOld(gasKey, call);
    return { state: "submitted", orderId, hash, nonce: entry.nonce };
  }

  /** Calldata for the signal: a round trip through the contract (two pools) or one direct pool swap (one pool). */
  private buildCall(
    s: ArbitrageSignal,
    orderId: bigint,
    economics: Economics | undefined,
  ): { data: Hex; context: OrderContext; maxFeeCap: bigint; gasKey: string } | { refusal: Refusal } {
    if (s.chainId !== this.config.chainId) {
      return refuse(RejectReason.VenueRejected, "invalid_order", "signal for another chain", {
        chain_id: s.chainId,
        configured: this.config.chainId,
      });
    }
    if (s.validUntilNs !== 0n && this.now > s.validUntilNs) {
      return refuse(RejectReason.Timeout, "expired", "signal expired before submission", {
        valid_until_ns: s.validUntilNs,
      });
    }
    const pools = [s.buyInstrument, s.sellInstrument].filter((i) => i.kind === InstrumentKind.Pool);
    for (const p of pools) {
      const blocking =
        this.o.haltedBy?.blocking({ strategyId: s.strategyId, venue: p.venue, instrumentKey: p.toString() }) ??
        this.breakers.blocking({ strategyId: s.strategyId, venue: p.venue, instrumentKey: p.toString() });
      if (blocking !== undefined) {
        return refuse(RejectReason.CircuitBreaker, "circuit_breaker", "a tripped breaker covers this swap", {
          breaker: blocking.key,
        });
      }
    }
    if (pools.length === 0 || s.amountIn <= 0n) {
      return refuse(RejectReason.VenueRejected, "invalid_order", "no pool or no amount in the signal", {}, true);
    }
    const infos: PoolInfo[] = [];
    for (const p of pools) {
      const info = this.o.pools(p);
      if (info === undefined) {
        return refuse(RejectReason.RiskLimit, "stale_data", "no state for the pool", { pool: p.toString() });
      }
      infos.push(info);
    }
    const hops: HopContext[] = [];
    let token = s.tokenIn.toLowerCase();
    for (let i = 0; i < pools.length; i++) {
      const info = infos[i];
      const zeroForOne = token === info.token0.toLowerCase();
      if (!zeroForOne && token !== info.token1.toLowerCase()) {
        return refuse(
          RejectReason.VenueRejected,
          "invalid_order",
          "token not in pool",
          { pool: pools[i].toString() },
          true,
        );
      }
      const out = (zeroForOne ? info.token1 : info.token0).toLowerCase();
      hops.push({
        pool: pools[i].address,
        venue: pools[i].venue,
        tokenIn: token,
        tokenOut: out,
        decimalsIn: zeroForOne ? info.token0Decimals : info.token1Decimals,
        decimalsOut: zeroForOne ? info.token1Decimals : info.token0Decimals,
      });
      token = out;
    }
    if (token !== s.tokenOut.toLowerCase()) {
      return refuse(RejectReason.VenueRejected, "invalid_order", "the pools do not lead to token_out", {}, true);
    }
    const leg = (i: number) => ({
      pool: pools[i].address as Address,
      v3: infos[i].protocol === 3,
      zeroForOne: hops[i].tokenIn === infos[i].token0.toLowerCase(),
      feePpm: infos[i].protocol === 2 ? infos[i].feePpm : 0,
    });
    // on-chain deadline in seconds from valid_until_ns (0: none)
    const deadline = s.validUntilNs / 1_000_000_000n;
    const data =
      pools.length === 2
        ? encodeFunctionData({
            abi: flashArbitrageAbi,
            functionName: "execute",
            args: [leg(0), leg(1), s.tokenIn, hops[0].tokenOut, s.amountIn, s.minAmountOut, deadline],
          })
        : encodeFunctionData({
            abi: flashArbitrageAbi,
            functionName: "swapExactInput",
            args: [leg(0), s.tokenIn, s.amountIn, s.minAmountOut, deadline],
          });
    const maxFeeCap =
      s.maxGasPriceGwei > 0 && BigInt(s.maxGasPriceGwei) * GWEI < this.config.maxFeeWei
        ? BigInt(s.maxGasPriceGwei) * GWEI
        : this.config.maxFeeWei;
    void orderId;
    // what the gas of the call depends on besides amounts: the function and, per leg, pool, protocol and direction
    let gasKey = pools.length === 2 ? "execute" : "swapExactInput";
    for (let i = 0; i < pools.length; i++) {
      const l = leg(i);
      gasKey += `:${l.pool.toLowerCase()}/${l.v3 ? 3 : 2}/${l.zeroForOne ? 1 : 0}`;
    }
    return {
      data,
      maxFeeCap,
      gasKey,
      context: {
        kind: pools.length === 2 ? "round_trip" : "swap",
        chainId: s.chainId,
        hops,
        amountIn: s.amountIn.toString(),
        gasFeeUsdE8: (economics?.gasCostUsdE8 ?? 0n).toString(),
        maxFeeWei: maxFeeCap.toString(),
      },
    };
  }

  // ---- gas estimates -------------------------------------------------------------------------------------------

  /** Caches an estimate for the route; returns the gas limit (estimate + gas_margin_pct). */
  private rememberEstimate(gasKey: string, estimate: bigint): bigint {
    this.counters.gasEstimates++;
    const limit = (estimate * BigInt(100 + this.config.gasMarginPct)) / 100n;
    this.gasEstimates.set(gasKey, { estimate, limit, atMs: performance.now(), refreshing: false });
    return limit;
  }

  /** An estimate older than gas_estimate_max_age_ms is redone off the signal path (the old one serves meanwhile). */
  private refreshEstimateIfOld(gasKey: string, call: Record<string, string>): void {
    const c = this.gasEstimates.get(gasKey);
    if (c === undefined || c.refreshing || performance.now() - c.atMs < this.config.gasEstimateMaxAgeMs) return;
    c.refreshing = true;
    this.rpc.call<string>("eth_estimateGas", [call, ...this.simulateAt]).then(
      (x) => {
        if (this.gasEstimates.get(gasKey) === c) this.rememberEstimate(gasKey, BigInt(x));
      },
      () => {
        // it reverts on this state: keep the estimate (every use is checked by eth_call), try again later
        c.refreshing = false;
        c.atMs = performance.now();
      },
    );
  }

  /** Estimates cached per route, for tests and status. */
  gasEstimateFor(gasKey: string): { estimate: bigint; limit: bigint } | undefined {
    const c = this.gasEstimates.get(gasKey);
    return c && { estimate: c.estimate, limit: c.limit };
  }

  // ---- submission ----------------------------------------------------------------------------------------------

  private routeOf(strategyId: number): Submission["route"] {
    return (this.config.strategySubmission.get(strategyId) ?? this.config.submission).route;
  }

  private submissionFor(route: Submission["route"]): Submission {
    if (route === "public") return { route };
    const configured = [this.config.submission, ...this.config.strategySubmission.values()].find(
      (x) => x.route === route,
    );
    if (configured === undefined) {
      throw new OnchainError({ code: "SubmissionNotConfigured", message: `no ${route} endpoint configured` });
    }
    return configured;
  }

  private endpoint(url: string): JsonRpc {
    let e = this.endpoints.get(url);
    if (e === undefined) {
      e = new JsonRpc(url, { timeoutMs: this.config.rpcTimeoutMs });
      this.endpoints.set(url, e);
    }
    return e;
  }

  /** Hands signed bytes to the route's endpoint: public mempool, private RPC, or a bundle for the next block. */
  private async submitRaw(raw: Hex, submission: Submission): Promise<void> {
    if (submission.route === "public") {
      await this.rpc.call("eth_sendRawTransaction", [raw]);
    } else if (submission.route === "private") {
      await this.endpoint(submission.url).call("eth_sendRawTransaction", [raw]);
    } else {
      await this.endpoint(submission.url).call("eth_sendBundle", [
        { txs: [raw], blockNumber: hex(this.blockNumber + 1n) },
      ]);
    }
  }

  // ---- resolution ----------------------------------------------------------------------------------------------

  /**
   * Resolves what is in flight: a receipt for any version of a nonce settles it (Fills, or status slippage on a
   * revert); a nonce taken by a transaction that is none of ours settles it as dropped; older than
   * receipt_timeout_ms is reported outcome-unknown; older than replace_after_ms is replaced or cancelled; bundles
   * not included are offered again for the next block (same bytes). Returns what was settled.
   */
  async poll(): Promise<ResolvedTx[]> {
    const run = this.queue.then(() => this.pollNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async pollNow(): Promise<ResolvedTx[]> {
    this.now = this.clock();
    const resolved: ResolvedTx[] = [];
    const inflight = [...this.o.nonces.inflight];
    if (inflight.length > 0) {
      await this.refreshFees();
      const latest = Number(BigInt(await this.rpc.call<string>("eth_getTransactionCount", [this.from, "latest"])));
      for (const e of inflight) {
        const r = await this.resolveNonce(e, latest);
        if (r !== undefined) {
          resolved.push(r);
          continue;
        }
        const age = this.now - BigInt(e.sentNs);
        if (age >= BigInt(this.config.receiptTimeoutMs) * MS && !this.unknownNonces.has(e.nonce)) {
          this.markUnknown(e, "no receipt within receipt_timeout_ms");
        }
        if (age >= BigInt(this.config.replaceAfterMs) * MS) await this.unstick(e);
        else if (e.route === "bundle") await this.resubmitBundle(e);
      }
    }
    const b = this.o.breakers;
    if (b.reset === "cooldown") {
      for (const due of this.breakers.due(this.now, b.cooldownMs)) {
        this.breakers.reset(due.key);
        this.emitBreaker(due, BreakerState.Reset);
      }
    }
    this.flush();
    return resolved;
  }

  private async resolveNonce(e: InflightNonce, latestCount: number): Promise<ResolvedTx | undefined> {
    for (const v of e.versions) {
      const receipt = await this.rpc.call<RpcReceipt | null>("eth_getTransactionReceipt", [v.hash]);
      if (receipt !== null) return this.settleReceipt(e, v, receipt);
    }
    if (latestCount > e.nonce) {
      // none of our versions has a receipt, yet the nonce is used: another transaction from this account took it
      const orderId = BigInt(e.orderId);
      this.counters.dropped++;
      this.settle(e);
      this.recordError();
      this.decision(
        orderId,
        "reject",
        RejectReason.VenueRejected,
        "nonce_taken",
        "the nonce was used by another transaction",
        {
          nonce: e.nonce,
        },
      );
      this.emitStatus(orderId, BigInt(e.nonce), OrderStatusCode.Rejected, RejectReason.VenueRejected, 0n, 0n);
      // none of our transactions was mined for it: we paid no gas (the other transaction's gas is not ours to book)
      return {
        orderId,
        nonce: e.nonce,
        hash: undefined,
        state: "dropped",
        gasUsed: 0n,
        effectiveGasPrice: 0n,
        gasCostWei: 0n,
        gasCostUsdE8: 0n,
      };
    }
    return undefined;
  }

  /**
   * A receipt for one version of the nonce: whatever it did, its gas was paid, so every branch books a gas Fill
   * (bookGas) before the order's final status; a mined swap's token Fills come first.
   */
  private settleReceipt(e: InflightNonce, v: SentVersion, r: RpcReceipt): ResolvedTx {
    const orderId = BigInt(e.orderId);
    const gasUsed = BigInt(r.gasUsed);
    const effectiveGasPrice = BigInt(r.effectiveGasPrice);
    const gasCostWei = gasUsed * effectiveGasPrice;
    const context = e.context as OrderContext | undefined;
    this.settle(e);
    const facts = {
      nonce: e.nonce,
      hash: v.hash,
      block: BigInt(r.blockNumber),
      gas_used: gasUsed,
      effective_gas_price: effectiveGasPrice,
      gas_cost_wei: gasCostWei,
    };
    const done = (state: ResolvedTx["state"], gasCostUsdE8: bigint): ResolvedTx => ({
      orderId,
      nonce: e.nonce,
      hash: v.hash,
      state,
      gasUsed,
      effectiveGasPrice,
      gasCostWei,
      gasCostUsdE8,
    });
    if (v.kind === "cancel") {
      this.counters.cancelled++;
      this.decision(orderId, "cancelled", RejectReason.None, "stuck", "replaced by a cancel", facts);
      const usd = this.bookGas(orderId, e, v, r, context, "cancel");
      this.emitStatus(orderId, BigInt(e.nonce), OrderStatusCode.Cancelled, RejectReason.None, 0n, 0n);
      return done("dropped", usd);
    }
    if (r.status !== "0x1") {
      this.counters.reverted++;
      this.recordError();
      const limit = context?.gasLimit !== undefined ? BigInt(context.gasLimit) : 0n;
      if (limit > 0n && gasUsed * 64n >= limit * 63n) {
        // all the gas (or all but the 1/64 a call keeps back) was used: the limit was too low, not a lost race;
        // the route's estimate is dropped, so the next signal on it is estimated again before signing
        this.counters.outOfGas++;
        if (context?.gasKey !== undefined) this.gasEstimates.delete(context.gasKey);
        const oog = { ...facts, gas_key: context?.gasKey ?? null, gas_limit: limit };
        this.decision(orderId, "reject", RejectReason.VenueRejected, "out_of_gas", "transaction ran out of gas", oog);
        const usd = this.bookGas(orderId, e, v, r, context, "reverted");
        this.emitStatus(orderId, BigInt(e.nonce), OrderStatusCode.Rejected, RejectReason.VenueRejected, 0n, 0n);
        return done("reverted", usd);
      }
      // it passed the simulation, so the state changed between the signal and the block: the race was lost
      this.decision(orderId, "reject", RejectReason.Slippage, "slippage", "transaction reverted on chain", facts);
      const usd = this.bookGas(orderId, e, v, r, context, "reverted");
      this.emitStatus(orderId, BigInt(e.nonce), OrderStatusCode.Rejected, RejectReason.Slippage, 0n, 0n);
      return done("reverted", usd);
    }
    this.counters.mined++;
    this.audit("receipt", { order_id: orderId, ...facts });
    let usd = 0n;
    if (context !== undefined) {
      const status = this.emitFills(orderId, v.hash, r, context);
      usd = this.bookGas(orderId, e, v, r, context, "mined");
      this.emitStatus(orderId, BigInt(e.nonce), OrderStatusCode.Filled, RejectReason.None, status.filled, status.avg);
    } else {
      usd = this.bookGas(orderId, e, v, r, context, "mined");
    }
    return done("mined", usd);
  }

  /**
   * The gas a receipt paid, booked (docs/execution.md "Gas actually paid"): an audit `gas` record (hash, gas used,
   * effective gas price, cost in wei, its USD value and where that came from, the Economics estimate beside it), then
   * a Fill on the chain's native gas token (gas.ts): side 2, quantity_native = gasUsed x effectiveGasPrice exactly,
   * fee = its USD e8 at the gas token's mark (rounded up), price = the mark. Returns the fee.
   */
  private bookGas(
    orderId: bigint,
    e: InflightNonce,
    v: SentVersion,
    r: RpcReceipt,
    c: OrderContext | undefined,
    outcome: "mined" | "reverted" | "cancel",
  ): bigint {
    const gasUsed = BigInt(r.gasUsed);
    const effectiveGasPrice = BigInt(r.effectiveGasPrice);
    const wei = gasUsed * effectiveGasPrice;
    const asset = gasAssetOf(this.config.chainId, this.config.gasAsset);
    // the Economics estimate was for the swap; a cancel (0 wei to self) has none
    const estimate = c !== undefined && v.kind !== "cancel" ? BigInt(c.gasFeeUsdE8) : 0n;
    let markE8 = asset !== undefined ? (this.o.gasTokenPriceE8?.(asset) ?? 0n) : 0n;
    let source: GasUsdSource = "book";
    if (markE8 <= 0n) {
      markE8 = this.config.gasTokenUsdE8;
      source = "config";
    }
    let usd = gasCostUsdE8(wei, markE8);
    if (markE8 <= 0n) {
      markE8 = 0n;
      usd = estimate;
      source = estimate > 0n ? "estimate" : "none";
      this.counters.gasUnpriced++;
      this.o.log?.warn(
        `gas of ${v.hash} (${wei} wei) has no USD mark: no ${asset ?? "gas token"}/USD book and no ` +
          `[onchain] gas_token_usd_e8; booked at ${source === "estimate" ? "the strategy's estimate" : "0 USD"}`,
      );
    }
    this.counters.gasFills++;
    this.gasPaidWei += wei;
    const venue = c?.hops[0]?.venue;
    const fillId = venue !== undefined ? this.nextFillId++ : null;
    this.audit("gas", {
      order_id: orderId,
      nonce: e.nonce,
      hash: v.hash,
      version: v.kind,
      outcome,
      block: BigInt(r.blockNumber),
      gas_used: gasUsed,
      effective_gas_price: effectiveGasPrice,
      gas_cost_wei: wei,
      gas_limit: c?.gasLimit !== undefined ? BigInt(c.gasLimit) : null,
      gas_asset: asset ?? null,
      gas_token_usd_e8: markE8,
      usd_source: source,
      gas_cost_usd_e8: usd,
      gas_estimate_usd_e8: v.kind === "cancel" ? null : estimate,
      fill_id: fillId,
    });
    if (venue === undefined || fillId === null) {
      // no order context (not written by this version): the wei are in the audit record only
      this.o.log?.warn(
        `gas of ${v.hash} (${wei} wei) not booked in the portfolio: no order context for nonce ${e.nonce}`,
      );
      return usd;
    }
    const fill = gasFill({
      orderId,
      fillId,
      venue,
      chainId: this.config.chainId,
      gasUsed,
      effectiveGasPrice,
      markE8,
      usdE8: usd,
      txHash: v.hash,
      timestampNs: this.now,
    });
    this.publishFill(fill, { gas: true });
    return usd;
  }

  /**
   * Fills from the receipt's ERC-20 Transfer logs: per hop, what the pool was paid and what it paid out (fee 0: the
   * gas is its own Fill, bookGas). Returns the order's filled quantity and average price for OrderStatus 4.
   */
  private emitFills(orderId: bigint, hash: Hex, r: RpcReceipt, c: OrderContext): { filled: bigint; avg: bigint } {
    const transfers = r.logs
      .filter((l) => l.topics[0] === TRANSFER_TOPIC && l.topics.length === 3)
      .map((l) => ({
        token: l.address.toLowerCase(),
        from: `0x${l.topics[1].slice(26)}`.toLowerCase(),
        to: `0x${l.topics[2].slice(26)}`.toLowerCase(),
        value: BigInt(l.data),
      }));
    const amountIn = BigInt(c.amountIn);
    let hopIn = amountIn;
    let lastOut = 0n;
    for (const h of c.hops) {
      const out = transfers.find((t) => t.token === h.tokenOut && t.from === h.pool)?.value ?? 0n;
      const rate = rateE8(hopIn, out, h.decimalsIn, h.decimalsOut);
      this.emitFill(orderId, hash, h, "in", hopIn, rate, c.chainId);
      this.emitFill(orderId, hash, h, "out", out, rate, c.chainId);
      hopIn = out;
      lastOut = out;
    }
    const first = c.hops[0];
    const last = c.hops[c.hops.length - 1];
    return {
      filled: toE8(amountIn, first.decimalsIn),
      avg: rateE8(amountIn, lastOut, first.decimalsIn, last.decimalsOut),
    };
  }

  private emitFill(
    orderId: bigint,
    txHash: Hex,
    h: HopContext,
    which: "in" | "out",
    amount: bigint,
    rate: bigint,
    chainId: number,
  ): void {
    const decimals = which === "in" ? h.decimalsIn : h.decimalsOut;
    this.publishFill(
      {
        orderId,
        fillId: this.nextFillId++,
        instrument: InstrumentId.token(h.venue, chainId, which === "in" ? h.tokenIn : h.tokenOut),
        side: which === "in" ? 2 : 1,
        liquidity: 2,
        price: rate,
        quantity: toE8(amount, decimals),
        fee: 0n,
        quantityNative: amount,
        txHash,
        timestampNs: this.now,
      },
      { pool: h.pool },
    );
  }

  /** Audited, published on the execution relay, then handed to the portfolio (onFill). */
  private publishFill(fill: Fill, extra: Record<string, unknown>): void {
    this.counters.fills++;
    this.audit("fill", { ...fill, ...extra });
    this.o.publish(this.builder.begin(this.now).add("Fill", fill).finish().slice());
    this.o.onFill?.(fill);
  }

  // ---- stuck and unknown ---------------------------------------------------------------------------------------

  private markUnknown(e: InflightNonce, why: string): void {
    if (this.unknownNonces.has(e.nonce)) return;
    this.unknownNonces.add(e.nonce);
    this.counters.unknown++;
    const v = e.versions[e.versions.length - 1];
    this.audit("outcome_unknown", { order_id: e.orderId, nonce: e.nonce, hash: v?.hash ?? null, why });
    this.o.log?.warn(`outcome unknown: nonce ${e.nonce} ${v?.hash ?? ""} (${why}); tracked by hash`);
  }

  /** Replace with the same call and fees raised by fee_bump_pct, or cancel (0 to self) when policy or cap says so. */
  async unstick(e: InflightNonce, force?: "replace" | "cancel"): Promise<Hex | undefined> {
    const last = e.versions[e.versions.length - 1];
    if (last === undefined) return undefined;
    const bump = (x: bigint) => (x * BigInt(100 + this.config.feeBumpPct)) / 100n + 1n;
    let maxFee = bump(BigInt(last.maxFeePerGas));
    const tip = bump(BigInt(last.maxPriorityFeePerGas));
    if (maxFee < 2n * this.baseFeeWei + tip) maxFee = 2n * this.baseFeeWei + tip;
    const context = e.context as OrderContext | undefined;
    const cap = context ? BigInt(context.maxFeeWei) : this.config.maxFeeWei;
    const cancel =
      force === "cancel" || (force !== "replace" && (this.config.stuckPolicy === "cancel" || maxFee > cap));
    if (cancel && maxFee > this.config.maxFeeWei) maxFee = this.config.maxFeeWei;
    const original = e.versions.find((x) => x.kind === "original")!;
    const { parseTransaction } = await import("viem");
    const base = parseTransaction(original.raw) as TransactionSerializableEIP1559;
    const tx: TransactionSerializableEIP1559 = cancel
      ? {
          type: "eip1559",
          chainId: this.config.chainId,
          nonce: e.nonce,
          to: this.from,
          value: 0n,
          gas: 21_000n,
          maxFeePerGas: maxFee,
          maxPriorityFeePerGas: tip,
        }
      : // the same call; the original's signature fields (r, s, yParity) must not be carried over
        {
          type: "eip1559",
          chainId: this.config.chainId,
          nonce: e.nonce,
          to: base.to,
          data: base.data,
          gas: base.gas,
          value: 0n,
          maxFeePerGas: maxFee,
          maxPriorityFeePerGas: tip,
        };
    const raw = await this.account.signTransaction(tx);
    const hash = keccak256(raw);
    this.o.nonces.addVersion(e.nonce, {
      hash,
      raw,
      maxFeePerGas: maxFee.toString(),
      maxPriorityFeePerGas: tip.toString(),
      kind: cancel ? "cancel" : "replacement",
    });
    e.sentNs = this.now.toString();
    if (!cancel) this.counters.replaced++;
    this.audit(cancel ? "cancel_tx" : "replacement_tx", {
      order_id: e.orderId,
      nonce: e.nonce,
      hash,
      max_fee_per_gas: maxFee,
    });
    try {
      await this.submitRaw(raw, this.submissionFor(e.route));
    } catch (err) {
      this.audit("replacement_failed", { nonce: e.nonce, hash, error: errorFacts(err) });
    }
    return hash;
  }

  private async resubmitBundle(e: InflightNonce): Promise<void> {
    const v = e.versions[e.versions.length - 1];
    try {
      await this.submitRaw(v.raw, this.submissionFor("bundle"));
    } catch (err) {
      this.audit("bundle_resubmit_failed", { nonce: e.nonce, hash: v.hash, error: errorFacts(err) });
    }
  }

  /** Fills a nonce that cannot be released (a later one depends on it) with a 0-value transfer to self. */
  private async cancelNonce(e: InflightNonce, why: string): Promise<void> {
    this.audit("fill_nonce", { nonce: e.nonce, why });
    await this.unstick(e, "cancel");
  }

  private settle(e: InflightNonce): void {
    this.o.nonces.settle(e.nonce);
    this.unknownNonces.delete(e.nonce);
  }

  // ---- refusals, breakers, output ------------------------------------------------------------------------------

  private finishSkip(orderId: bigint, e: unknown): SignalOutcome {
    const name = revertName(e);
    this.counters.skipped++;
    const slippage = name !== undefined && SLIPPAGE_ERRORS.has(name);
    return this.finishReject(orderId, {
      reason: slippage ? RejectReason.Slippage : name === "Expired" ? RejectReason.Timeout : RejectReason.VenueRejected,
      check: slippage ? "slippage" : "simulation_failed",
      message: `simulation reverted${name ? `: ${name}` : ""}`,
      facts: { revert: name ?? (e instanceof Error ? e.message : String(e)) },
      error: true,
    });
  }

  private finishReject(orderId: bigint, r: Refusal): SignalOutcome {
    this.counters.rejected++;
    if (r.error) this.recordError();
    this.decision(orderId, "reject", r.reason, r.check, r.message, r.facts);
    this.emitStatus(
      orderId,
      0n,
      r.reason === RejectReason.Timeout ? OrderStatusCode.Expired : OrderStatusCode.Rejected,
      r.reason,
      0n,
      0n,
    );
    this.flush();
    return { state: "rejected", orderId, reason: r.reason, check: r.check, message: r.message };
  }

  private recordError(): void {
    const b = this.o.breakers;
    if (!this.breakers.recordError(this.now, b.maxErrors, b.errorWindowMs)) return;
    const tripped = this.breakers.trip({
      scope: BreakerScope.Global,
      scopeId: 0n,
      instrument: null,
      reason: BreakerReason.ErrorRate,
      trippedNs: this.now,
      manual: b.reset === "manual",
      detail: `${this.breakers.recentErrors} on-chain failures within ${b.errorWindowMs} ms`,
    });
    if (tripped === undefined) return;
    this.counters.breakerTrips++;
    this.emitBreaker(tripped, BreakerState.Tripped);
  }

  private emitBreaker(b: Parameters<typeof breakerTlv>[0], state: number): void {
    const v = breakerTlv(b, state, this.now);
    this.audit("breaker", { ...v, detail: b.detail, manual: b.manual, mode: "live_onchain" });
    this.o.publish(this.builder.begin(this.now).add("CircuitBreaker", v).finish().slice());
  }

  private decision(
    orderId: bigint,
    decision: string,
    reason: number,
    check: string,
    message: string,
    facts: Record<string, unknown>,
  ): void {
    this.audit("decision", { order_id: orderId, decision, reason, check, message, facts });
  }

  private emitStatus(
    orderId: bigint,
    venueOrderId: bigint,
    status: number,
    reason: number,
    filledQuantity: bigint,
    averagePrice: bigint,
  ): void {
    const v = { orderId, venueOrderId, status, reason, filledQuantity, averagePrice, timestampNs: this.now };
    this.audit("status", v);
    this.o.publish(this.builder.begin(this.now).add("OrderStatus", v).finish().slice());
  }

  private audit(kind: string, data: Record<string, unknown>): void {
    this.o.audit?.append(kind, data, this.now);
  }

  private flush(): void {
    this.o.audit?.flush();
  }
}

interface GasEstimate {
  estimate: bigint;
  limit: bigint;
  /** performance.now() of the estimate. */
  atMs: number;
  refreshing: boolean;
}

interface Refusal {
  reason: number;
  check: string;
  message: string;
  facts: Record<string, unknown>;
  /** Counts toward the error-rate breaker. */
  error?: boolean;
}

function refuse(
  reason: number,
  check: string,
  message: string,
  facts: Record<string, unknown>,
  error = false,
): { refusal: Refusal } {
  return { refusal: { reason, check, message, facts, error } };
}

interface RpcReceipt {
  status: string;
  gasUsed: string;
  effectiveGasPrice: string;
  blockNumber: string;
  logs: { address: string; topics: string[]; data: string }[];
}

/** The custom error name in a revert (ProfitBelowMinimum, Expired, ...), when the node returned the data. */
export function revertName(e: unknown): string | undefined {
  if (!(e instanceof RpcRefusedError) || e.data === undefined || e.data.length < 10) return undefined;
  try {
    return decodeErrorResult({ abi: flashArbitrageAbi, data: e.data as Hex }).errorName;
  } catch {
    return undefined;
  }
}

function errorFacts(e: unknown): string {
  return e instanceof OnchainError ? e.toLine() : String(e);
}

function hex(x: bigint): Hex {
  return `0x${x.toString(16)}`;
}

function toE8(amount: bigint, decimals: number): bigint {
  return decimals >= 8 ? amount / 10n ** BigInt(decimals - 8) : amount * 10n ** BigInt(8 - decimals);
}

function rateE8(amountIn: bigint, amountOut: bigint, decimalsIn: number, decimalsOut: number): bigint {
  if (amountIn === 0n) return 0n;
  return (amountOut * 10n ** BigInt(decimalsIn) * E8) / (amountIn * 10n ** BigInt(decimalsOut));
}
