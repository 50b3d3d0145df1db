import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Hex } from "viem";
import { OnchainError } from "./errors.ts";

/** How a transaction was submitted: the public RPC, a private RPC, or a bundle relay's eth_sendBundle. */
export type SubmitRoute = "public" | "private" | "bundle";

/** A transaction signed for a nonce: every version (replacements, a cancel) is kept until one is mined. */
export interface SentVersion {
  hash: Hex;
  /** The signed bytes: re-broadcasting identical bytes can never execute twice (same hash, same nonce). */
  raw: Hex;
  maxFeePerGas: string;
  maxPriorityFeePerGas: string;
  kind: "original" | "replacement" | "cancel";
}

export interface InflightNonce {
  nonce: number;
  /** The order it executes (2^63 | signal_id), as decimal text. */
  orderId: string;
  route: SubmitRoute;
  sentNs: string;
  versions: SentVersion[];
  /** What the executor needs to turn a receipt into Fills after a restart (JSON-safe). */
  context?: unknown;
}

interface NonceFile {
  address: string;
  chainId: number;
  next: number;
  inflight: InflightNonce[];
}

/**
 * Nonces of one account on one chain, persisted in the run directory so that a restarted executor neither reuses
 * nor skips one. The file is written (temp file + rename, so it is whole or the previous version) before a signed
 * transaction is handed to any endpoint: a crash after the write leaves a record of what may be out there.
 *
 * Start-up (`reconcile`) takes next = max(file.next, eth_getTransactionCount(pending)): the node's count covers
 * transactions the file missed; the file covers transactions the public node cannot see (sent to a private
 * endpoint, or handed over just before a crash and lost). Records below the node's `latest` count were mined (the
 * executor resolves them by hash); records the node does not know are re-broadcast byte for byte by the executor,
 * which closes the gap without signing anything new.
 *
 * Not fsynced: the file guards against a process restart, the node's pending count against a lost file.
 */
export class NonceManager {
  readonly path: string;
  private state: NonceFile;

  constructor(params: { runDir: string; address: string; chainId: number }) {
    const address = params.address.toLowerCase();
    this.path = join(params.runDir, `onchain-nonces-${params.chainId}-${address}.json`);
    this.state = { address, chainId: params.chainId, next: 0, inflight: [] };
    if (existsSync(this.path)) {
      const f = JSON.parse(readFileSync(this.path, "utf8")) as NonceFile;
      if (f.address !== address || f.chainId !== params.chainId) {
        throw new OnchainError({
          code: "NonceFileMismatch",
          message: "the nonce file belongs to another account or chain",
          facts: { path: this.path, file_chain_id: f.chainId, chain_id: params.chainId },
        });
      }
      this.state = f;
    }
  }

  /** The next nonce to use (after reconcile). */
  get next(): number {
    return this.state.next;
  }

  get inflight(): readonly InflightNonce[] {
    return this.state.inflight;
  }

  /** Start-up: align with the node's pending count (see the class comment). Returns the records to look at. */
  reconcile(pendingCount: number): void {
    if (pendingCount > this.state.next) this.state.next = pendingCount;
    this.save();
  }

  /** Takes the next nonce for `record`, written to disk before the transaction goes anywhere. */
  reserve(record: Omit<InflightNonce, "nonce">): InflightNonce {
    const entry: InflightNonce = { ...record, nonce: this.state.next };
    this.state.next++;
    this.state.inflight.push(entry);
    this.save();
    return entry;
  }

  /** A version (replacement or cancel) signed for an in-flight nonce, recorded before it is sent. */
  addVersion(nonce: number, version: SentVersion): void {
    const e = this.find(nonce);
    e.versions.push(version);
    this.save();
  }

  /**
   * The endpoint refused the transaction with an answer (it is in no mempool): the nonce comes back, but only if it
   * is the last one taken, so nothing after it depends on it. Otherwise it stays recorded and the caller fills it.
   */
  release(nonce: number): boolean {
    if (nonce !== this.state.next - 1) return false;
    this.state.next--;
    this.state.inflight = this.state.inflight.filter((e) => e.nonce !== nonce);
    this.save();
    return true;
  }

  /** A version of the nonce was mined (or the nonce was consumed by another transaction): no longer in flight. */
  settle(nonce: number): void {
    this.state.inflight = this.state.inflight.filter((e) => e.nonce !== nonce);
    this.save();
  }

  find(nonce: number): InflightNonce {
    const e = this.state.inflight.find((x) => x.nonce === nonce);
    if (e === undefined) {
      throw new OnchainError({
        code: "NonceNotInFlight",
        message: "no transaction in flight for the nonce",
        facts: { nonce },
      });
    }
    return e;
  }

  private save(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.state), { mode: 0o600 });
    renameSync(tmp, this.path);
  }
}
