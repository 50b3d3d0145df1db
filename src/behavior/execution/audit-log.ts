import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { InstrumentId } from "../../data/instrument-id.ts";
import { ExecutionError } from "./errors.ts";

/**
 * The audit log: one JSON line per record, hash-chained (docs/execution.md "Audit log").
 *
 *   {"n":7,"ts":"1700000000000000000","kind":"fill","data":{...},"prev":"<hash of record 6>","hash":"<hash>"}
 *
 * hash = SHA-256 (hex) of the line's bytes up to, not including, `,"hash":` — so it covers n, ts, kind, data and
 * prev, and any changed byte of a record changes its hash; prev chains each record to the one before (record 1's
 * prev is 64 zeros). A side file `<log>.head` holds the last record's n and hash, so a cut-off tail is detected too.
 */
export const GENESIS_HASH = "0".repeat(64);
const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;

export type FsyncPolicy = "always" | "interval" | "never";

export interface AuditSink {
  append(kind: string, data: Record<string, unknown>, tsNs: bigint): void;
  /** Writes what was appended since the last flush (and fsyncs under the "always" policy). */
  flush(): void;
}

export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/** JSON with bigints as decimal strings and InstrumentIds as their canonical text; key order as given. */
export function auditJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    typeof v === "bigint" ? v.toString() : v instanceof InstrumentId ? v.toString() : v,
  );
}

/** Builds one record line (without the newline). */
export function auditLine(n: number, tsNs: bigint, kind: string, data: Record<string, unknown>, prev: string): string {
  const body = `{"n":${n},"ts":"${tsNs}","kind":${JSON.stringify(kind)},"data":${auditJson(data)},"prev":"${prev}"`;
  return `${body},"hash":"${sha256Hex(body)}"}`;
}

/** Appends records to a file opened for append; continues the chain of an existing file. */
export class AuditLog implements AuditSink {
  readonly path: string;
  private fd: number;
  private n: number;
  private prev: string;
  private pending: string[] = [];
  private readonly policy: FsyncPolicy;
  private timer: ReturnType<typeof setInterval> | undefined;
  private dirty = false;
  records = 0;

  constructor(path: string, policy: FsyncPolicy = "always", intervalMs = 1000) {
    this.path = path;
    this.policy = policy;
    const last = existsSync(path) ? lastRecord(path) : undefined;
    this.n = last?.n ?? 0;
    this.prev = last?.hash ?? GENESIS_HASH;
    this.fd = openSync(path, "a", 0o600);
    if (policy === "interval") {
      this.timer = setInterval(() => this.sync(), intervalMs);
      this.timer.unref?.();
    }
  }

  append(kind: string, data: Record<string, unknown>, tsNs: bigint): void {
    const line = auditLine(++this.n, tsNs, kind, data, this.prev);
    this.prev = line.slice(-66, -2);
    this.pending.push(line);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const text = `${this.pending.join("\n")}\n`;
    this.records += this.pending.length;
    this.pending = [];
    writeSync(this.fd, text); // one write(2) per input frame; O_APPEND keeps records whole between writers
    writeFileSync(`${this.path}.head`, `{"n":${this.n},"hash":"${this.prev}"}\n`);
    if (this.policy === "always") fsyncSync(this.fd);
    else this.dirty = true;
  }

  private sync(): void {
    if (!this.dirty) return;
    this.dirty = false;
    fsyncSync(this.fd);
  }

  close(): void {
    this.flush();
    if (this.timer) clearInterval(this.timer);
    if (this.policy !== "never") fsyncSync(this.fd);
    closeSync(this.fd);
  }
}

function lastRecord(path: string): { n: number; hash: string } | undefined {
  const text = readFileSync(path, "utf8");
  if (text.length === 0) return undefined;
  if (!text.endsWith("\n")) {
    throw new ExecutionError({
      code: "AuditLogTorn",
      message: `audit log ${path} ends in a partial record`,
      facts: { path, bytes: text.length },
      likelyCause: "the process stopped in the middle of a write",
      hint: "run ap audit verify on it, keep a copy, and start with a new audit log path",
    });
  }
  const line = text.slice(text.lastIndexOf("\n", text.length - 2) + 1, -1);
  const r = parseLine(line);
  if (r === undefined) {
    throw new ExecutionError({
      code: "AuditLogCorrupt",
      message: `the last record of ${path} does not parse`,
      facts: { path },
      hint: "run ap audit verify on it and start with a new audit log path",
    });
  }
  return { n: r.n, hash: r.hash };
}

export interface AuditRecord {
  n: number;
  ts: string;
  kind: string;
  data: Record<string, unknown>;
  prev: string;
  hash: string;
  /** sha256 of the body as stored. */
  computed: string;
}

export function parseLine(line: string): AuditRecord | undefined {
  const m = HASH_SUFFIX.exec(line);
  if (!m) return undefined;
  const body = line.slice(0, m.index);
  try {
    const r = JSON.parse(line) as Omit<AuditRecord, "computed">;
    if (!Number.isSafeInteger(r.n) || typeof r.prev !== "string") return undefined;
    return { ...r, computed: sha256Hex(body) };
  } catch {
    return undefined;
  }
}

export type AuditProblemKind =
  | "altered"
  | "missing"
  | "out_of_order"
  | "duplicate"
  | "chain_broken"
  | "malformed"
  | "truncated";

export interface AuditProblem {
  kind: AuditProblemKind;
  /** 1-based line of the file. */
  line: number;
  /** The record number concerned (the expected one for missing records). */
  record: number;
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  records: number;
  lastHash: string;
  problems: AuditProblem[];
}

/** Checks every record's hash, numbering and link; with the head file, also that nothing was cut off the end. */
export function verifyAuditLog(path: string): AuditVerification {
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  const parsed = lines.map(parseLine);
  const present = new Set<number>();
  for (const r of parsed) if (r) present.add(r.n);
  const problems: AuditProblem[] = [];
  const seen = new Set<number>();
  let expect = 1;
  let prevHash = GENESIS_HASH;
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const r = parsed[i];
    if (r === undefined) {
      problems.push({ kind: "malformed", line, record: expect, message: `line ${line} is not an audit record` });
      expect++;
      prevHash = "";
      continue;
    }
    if (r.computed !== r.hash) {
      problems.push({
        kind: "altered",
        line,
        record: r.n,
        message: `record ${r.n} (line ${line}) was altered: its content does not match its hash`,
      });
    }
    if (seen.has(r.n)) {
      problems.push({ kind: "duplicate", line, record: r.n, message: `record ${r.n} appears again at line ${line}` });
    } else if (r.n > expect) {
      for (let m = expect; m < r.n; m++) {
        const moved = present.has(m);
        problems.push({
          kind: moved ? "out_of_order" : "missing",
          line,
          record: m,
          message: moved
            ? `record ${m} is out of order: line ${line} holds record ${r.n}`
            : `record ${m} is missing (before line ${line}, which holds record ${r.n})`,
        });
      }
    } else if (r.n < expect) {
      problems.push({
        kind: "out_of_order",
        line,
        record: r.n,
        message: `record ${r.n} is out of order: found at line ${line} after record ${expect - 1}`,
      });
    } else if (prevHash !== "" && r.prev !== prevHash) {
      problems.push({
        kind: "chain_broken",
        line,
        record: r.n,
        message: `record ${r.n} (line ${line}) does not chain to the record before it: record ${r.n - 1} was replaced or a record was inserted`,
      });
    }
    // a record found again or behind the sequence does not move the chain: the next one must link to the last in order
    if (!seen.has(r.n) && r.n >= expect) {
      expect = r.n + 1;
      prevHash = r.hash;
    }
    seen.add(r.n);
  }
  const headPath = `${path}.head`;
  if (existsSync(headPath)) {
    try {
      const head = JSON.parse(readFileSync(headPath, "utf8")) as { n: number; hash: string };
      if (head.n > expect - 1 || (head.n === expect - 1 && head.hash !== prevHash)) {
        problems.push({
          kind: "truncated",
          line: lines.length + 1,
          record: expect,
          message: `the head file names record ${head.n}; the log ends at record ${expect - 1}: records ${expect}..${head.n} are missing`,
        });
      }
    } catch {
      // an unreadable head file is not evidence against the log itself
    }
  }
  return { ok: problems.length === 0, records: lines.length, lastHash: prevHash, problems };
}
