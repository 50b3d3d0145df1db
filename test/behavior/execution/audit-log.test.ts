import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog, verifyAuditLog } from "../../../src/behavior/execution/audit-log.ts";
import { tempDir } from "./helpers.ts";

function writeLog(path: string, n = 10): string[] {
  const log = new AuditLog(path, "always");
  for (let i = 1; i <= n; i++) {
    log.append(i % 2 ? "order" : "fill", { order_id: BigInt(i), price: 6_000_000_000_000n + BigInt(i) }, BigInt(i));
    if (i % 3 === 0) log.flush();
  }
  log.close();
  return readFileSync(path, "utf8").trimEnd().split("\n");
}

const rewrite = (path: string, lines: string[]) => writeFileSync(path, `${lines.join("\n")}\n`);

describe("audit log hash chain (verifyAuditLog)", () => {
  test("an untouched log verifies; a reopened log continues the chain", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "audit.log");
    writeLog(path, 5);
    const log = new AuditLog(path, "never");
    log.append("status", { order_id: 6n }, 6n);
    log.close();
    const v = verifyAuditLog(path);
    expect(v).toMatchObject({ ok: true, records: 6, problems: [] });
  });

  test("a changed byte is reported as an altered record with its number", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "audit.log");
    const lines = writeLog(path);
    lines[4] = lines[4].replace('"price":"6000000000005"', '"price":"6000000000006"');
    rewrite(path, lines);
    expect(verifyAuditLog(path).problems).toEqual([
      {
        kind: "altered",
        line: 5,
        record: 5,
        message: "record 5 (line 5) was altered: its content does not match its hash",
      },
    ]);
  });

  test("a record altered with its hash recomputed breaks the link of the next one", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "audit.log");
    const lines = writeLog(path);
    const body = lines[4]
      .replace('"price":"6000000000005"', '"price":"6000000000006"')
      .replace(/,"hash":"[0-9a-f]{64}"\}$/, "");
    lines[4] = `${body},"hash":"${new Bun.CryptoHasher("sha256").update(body).digest("hex")}"}`;
    rewrite(path, lines);
    expect(verifyAuditLog(path).problems.map((p) => [p.kind, p.record])).toEqual([["chain_broken", 6]]);
  });

  test("a deleted record is reported missing", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "audit.log");
    const lines = writeLog(path);
    lines.splice(6, 1);
    rewrite(path, lines);
    expect(verifyAuditLog(path).problems).toEqual([
      { kind: "missing", line: 7, record: 7, message: "record 7 is missing (before line 7, which holds record 8)" },
    ]);
  });

  test("swapped records are reported out of order", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "audit.log");
    const lines = writeLog(path);
    [lines[2], lines[3]] = [lines[3], lines[2]];
    rewrite(path, lines);
    expect(verifyAuditLog(path).problems.map((p) => [p.kind, p.record, p.line])).toEqual([
      ["out_of_order", 3, 3],
      ["out_of_order", 3, 4],
    ]);
  });

  test("an inserted copy of a record is reported as a duplicate", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "audit.log");
    const lines = writeLog(path);
    lines.splice(5, 0, lines[1]);
    rewrite(path, lines);
    expect(verifyAuditLog(path).problems.map((p) => [p.kind, p.record, p.line])).toEqual([["duplicate", 2, 6]]);
  });

  test("records cut off the end are found through the head file", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "audit.log");
    const lines = writeLog(path);
    rewrite(path, lines.slice(0, 8));
    expect(verifyAuditLog(path).problems.map((p) => [p.kind, p.record])).toEqual([["truncated", 9]]);
  });
});
