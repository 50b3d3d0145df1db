import {
  closeSync,
  existsSync,
  ftruncateSync,
  openSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from "node:fs";
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
  /** The last journal record this snapshot includes (absent in files written before the journal). */
  seq?: number;
}

/** One change, appended to the journal: replayed over the snapshot when its seq is newer. */
type JournalRecord = { seq: number } & (
  | { op: "reserve"; entry: InflightNonce }
  | { op: "version"; nonce: number; version: SentVersion }
  | { op: "release"; nonce: number }
  | { op: "settle"; nonce: number }
);

/** Journal records after which the next settle (off the signal path) rewrites the snapshot. */
const COMPACT_AFTER = 256;

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
 * Storage: a snapshot (`<path>`, temp file + rename, so whole or the previous version) and a journal
 * (`<path>.journal`, one JSON line per change, appended with one write(2)). A signal's reserve is one append (a
 * rename costs ~0.1 ms on ext4, most of the hand-over path); the snapshot is rewritten at start-up and, once the
 * journal has COMPACT_AFTER records, at a settle (poll, not the signal path). Loading replays the journal records
 * newer than the snapshot's seq; a torn last line is a write that never returned, so its bytes were never handed
 * over, and it is ignored.
 *
 * Not fsynced: the files guard against a process restart, the node's pending count against a lost file.
 */
export class NonceManager {
  readonly path: string;
  readonly journalPath: string;
  private state: NonceFile;
  private seq = 0;
  private journalRecords = 0;
  private fd: number | undefined;

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
      this.seq = f.seq ?? 0;
    }
    this.journalPath = `${this.path}.journal`;
    if (existsSync(this.journalPath)) this.replay(readFileSync(this.journalPath, "utf8"));
  }

  private replay(text: string): void {
    for (const line of text.split("\n")) {
      if (line === "") continue;
      let r: JournalRecord;
      try {
        r = JSON.parse(line) as JournalRecord;
      } catch {
        break; // torn last line: never handed over
      }
      this.journalRecords++;
      if (r.seq <= this.seq) continue;
      this.seq = r.seq;
      if (r.op === "reserve") {
        this.state.inflight.push(r.entry);
        if (r.entry.nonce + 1 > this.state.next) this.state.next = r.entry.nonce + 1;
      } else if (r.op === "version") {
        this.state.inflight.find((e) => e.nonce === r.nonce)?.versions.push(r.version);
      } else if (r.op === "release") {
        this.state.next = r.nonce;
        this.state.inflight = this.state.inflight.filter((e) => e.nonce !== r.nonce);
      } else {
        this.state.inflight = this.state.inflight.filter((e) => e.nonce !== r.nonce);
      }
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
    this.append({ seq: ++this.seq, op: "reserve", entry });
    return entry;
  }

  /** A version (replacement or cancel) signed for an in-flight nonce, recorded before it is sent. */
  addVersion(nonce: number, version: SentVersion): void {
    const e = this.find(nonce);
    e.versions.push(version);
    this.append({ seq: ++this.seq, op: "version", nonce, version });
  }

  /**
   * The endpoint refused the transaction with an answer (it is in no mempool): the nonce comes back, but only if it
   * is the last one taken, so nothing after it depends on it. Otherwise it stays recorded and the caller fills it.
   */
  release(nonce: number): boolean {
    if (nonce !== this.state.next - 1) return false;
    this.state.next--;
    this.state.inflight = this.state.inflight.filter((e) => e.nonce !== nonce);
    this.append({ seq: ++this.seq, op: "release", nonce });
    return true;
  }

  /** A version of the nonce was mined (or the nonce was consumed by another transaction): no longer in flight. */
  settle(nonce: number): void {
    this.state.inflight = this.state.inflight.filter((e) => e.nonce !== nonce);
    this.append({ seq: ++this.seq, op: "settle", nonce });
    if (this.journalRecords >= COMPACT_AFTER) this.save();
  }

  /** Closes the journal (tests and shutdown; the files stay consistent without it). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
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

  /** One journal line, one write(2); throws (and the caller hands nothing over) unless all of it was written. */
  private append(r: JournalRecord): void {
    this.fd ??= openSync(this.journalPath, "a", 0o600);
    const line = Buffer.from(`${JSON.stringify(r)}\n`);
    const n = writeSync(this.fd, line);
    if (n !== line.length) {
      throw new OnchainError({
        code: "NonceJournalWrite",
        message: "the nonce journal write was incomplete",
        facts: { path: this.journalPath, wanted: line.length, written: n },
      });
    }
    this.journalRecords++;
  }

  /** Snapshot (temp file + rename) of everything up to seq, then an empty journal. */
  private save(): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify({ ...this.state, seq: this.seq }), { mode: 0o600 });
    renameSync(tmp, this.path);
    this.fd ??= openSync(this.journalPath, "a", 0o600);
    ftruncateSync(this.fd, 0);
    this.journalRecords = 0;
  }
}
