import type { AuditSink } from "../../../src/behavior/execution/audit-log.ts";

/** An AuditSink that keeps the records in memory, for asserting decisions. */
export class MemoryAudit implements AuditSink {
  readonly records: { kind: string; data: Record<string, unknown>; ts: bigint }[] = [];
  append(kind: string, data: Record<string, unknown>, ts: bigint): void {
    this.records.push({ kind, data, ts });
  }
  flush(): void {}
  decisions(): Record<string, unknown>[] {
    return this.records.filter((r) => r.kind === "decision").map((r) => r.data);
  }
}
