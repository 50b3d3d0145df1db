import { existsSync, openSync, readSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { verifyAuditLog } from "../src/behavior/execution/audit-log.ts";
import { loadExecutionConfig } from "../src/behavior/execution/config.ts";
import { ExecutionError } from "../src/behavior/execution/errors.ts";
import { defaultRunDir } from "../src/behavior/transport/run-dir.ts";
import { Exit, guard } from "./lib/errors.ts";

const fileArg = {
  file: {
    type: "positional",
    required: false,
    description: "audit log (default: [execution] audit_log or <run dir>/execution-audit.log)",
  },
  config: { type: "string", description: "TOML config file" },
} as const;

function auditPath(file: string | undefined, config: string | undefined): string {
  if (file) return file;
  const c = loadExecutionConfig({ path: config });
  const path = c.execution.auditLog || join(c.runDir || defaultRunDir(), "execution-audit.log");
  if (!existsSync(path)) {
    throw new ExecutionError({
      code: "AuditLogNotFound",
      message: `no audit log at ${path}`,
      facts: { path },
      hint: "give the file: ap audit verify <file>",
    });
  }
  return path;
}

const verify = defineCommand({
  meta: {
    name: "verify",
    description: "Checks the hash chain: names any altered, inserted, reordered or missing record",
  },
  args: { ...fileArg, json: { type: "boolean", description: "print JSON" } },
  async run({ args }) {
    await guard(() => {
      const path = auditPath(args.file, args.config);
      const v = verifyAuditLog(path);
      if (args.json) process.stdout.write(`${JSON.stringify({ path, ...v })}\n`);
      else if (v.ok) process.stdout.write(`ok: ${v.records} records, chain intact, last hash ${v.lastHash}\n`);
      else {
        for (const p of v.problems) process.stderr.write(`ap: ${p.kind}: ${p.message}\n`);
        process.stderr.write(`ap: ${path}: ${v.problems.length} problem(s) in ${v.records} records\n`);
      }
      if (!v.ok) process.exit(Exit.Failure);
    });
  },
});

const tail = defineCommand({
  meta: { name: "tail", description: "Prints the last records of the audit log; -f follows it" },
  args: {
    ...fileArg,
    n: { type: "string", alias: "n", description: "records to print", default: "10" },
    follow: { type: "boolean", alias: "f", description: "keep printing records as they are appended" },
  },
  async run({ args }) {
    await guard(async () => {
      const path = auditPath(args.file, args.config);
      const count = Number(args.n);
      if (!Number.isInteger(count) || count < 0) {
        throw new ExecutionError({ code: "BadArgument", message: `-n ${args.n} is not a count`, facts: { n: args.n } });
      }
      const fd = openSync(path, "r");
      let pos = statSync(path).size;
      // read back from the end until count+1 newlines are seen (or the start)
      let start = pos;
      let newlines = 0;
      const chunk = Buffer.alloc(65536);
      while (start > 0 && newlines <= count) {
        const len = Math.min(chunk.length, start);
        start -= len;
        readSync(fd, chunk, 0, len, start);
        for (let i = len - 1; i >= 0; i--) {
          if (chunk[i] === 10 && ++newlines > count) {
            start += i + 1;
            break;
          }
        }
      }
      const head = Buffer.alloc(pos - start);
      readSync(fd, head, 0, head.length, start);
      process.stdout.write(head);
      if (!args.follow) return;
      const readNew = () => {
        const size = statSync(path).size;
        if (size <= pos) return;
        const buf = Buffer.alloc(size - pos);
        readSync(fd, buf, 0, buf.length, pos);
        pos = size;
        process.stdout.write(buf);
      };
      watch(path, readNew);
      await new Promise(() => {}); // until Ctrl-C
    });
  },
});

export default defineCommand({
  meta: { name: "audit", description: "The execution audit log: verify its hash chain, tail it" },
  subCommands: { verify, tail },
});
