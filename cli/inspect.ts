import { defineCommand } from "citty";
import { readLimits } from "../src/core/limits.ts";
import { HEADER_SIZE } from "../src/rules/header.ts";
import { type InspectReport, inspectFrame } from "../src/rules/inspect.ts";
import { Exit, guard } from "./lib/errors.ts";
import { readFrameInput } from "./lib/input.ts";

export default defineCommand({
  meta: {
    name: "inspect",
    description:
      "Checksum and structure analysis of frames, even broken ones: which bytes were read, what was found, what was expected",
  },
  args: {
    input: {
      type: "positional",
      required: false,
      description: "hex, or a file (binary frames or hex text); omit to read stdin",
    },
    json: { type: "boolean", description: "print the reports as JSON" },
  },
  async run({ args }) {
    await guard(async () => {
      const limits = readLimits();
      const { bytes } = await readFrameInput(args._.length ? args._ : args.input ? [args.input] : []);
      if (bytes.length === 0) {
        process.stderr.write("ap inspect: no input (ap inspect --help)\n");
        process.exit(Exit.Usage);
      }
      const reports: InspectReport[] = [];
      let p = 0;
      while (p < bytes.length) {
        const r = inspectFrame(bytes, p, limits);
        reports.push(r);
        // Next frame: after this one when its extent is trusted (valid), else at the next magic.
        const next = r.valid ? p + r.declaredSize! : nextMagic(bytes, p + 1);
        if (next < 0 || next <= p) break;
        p = next;
      }
      if (args.json) process.stdout.write(`${JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2)}\n`);
      else process.stdout.write(`${reports.map((r, i) => render(r, i + 1)).join("\n\n")}\n`);
      if (reports.some((r) => !r.valid)) process.exit(Exit.Failure);
    });
  },
});

function nextMagic(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(0xef, from); i >= 0; i = bytes.indexOf(0xef, i + 1)) {
    if (bytes[i + 1] === 0xbe && bytes[i + 2] === 0xad && bytes[i + 3] === 0xde) return i;
  }
  return -1;
}

function render(r: InspectReport, index: number): string {
  const lines = [
    `frame ${index} at byte ${r.offset}: ${r.valid ? "VALID" : `INVALID — ${r.error?.line}`}`,
    `  ${r.available} bytes available${r.declaredSize !== undefined ? `, header declares ${r.declaredSize}` : ""}`,
    "  header",
  ];
  for (const f of r.header) {
    lines.push(
      `    ${f.ok ? " " : "✗"} ${String(f.offset).padStart(2)}+${f.size} ${f.field.padEnd(13)} ${f.hex.padEnd(24)} ${f.value}${f.note ? `  <- ${f.note}` : ""}`,
    );
  }
  if (r.checksum) {
    const c = r.checksum;
    lines.push(
      `  checksum: stored ${c.stored}, calculated ${c.calculated} ${c.ok ? "(match)" : "(MISMATCH)"}${
        r.declaredSize !== undefined && c.hashedPayload < r.declaredSize - HEADER_SIZE
          ? ` over the ${c.hashedPayload} payload bytes present`
          : ""
      }`,
    );
    for (const v of c.variants) lines.push(`    ${v.matches ? "=" : " "} ${v.crc}  ${v.name}`);
  }
  lines.push(`  TLVs (${r.tlvs.length})`);
  for (const t of r.tlvs) {
    lines.push(
      `    ${t.ok ? " " : "✗"} @${t.offset} ${t.form} type ${t.type} ${t.name}, ${t.length} bytes${t.note ? `  <- ${t.note}` : ""}`,
    );
  }
  if (r.trailing) lines.push(`    ✗ ${r.trailing}`);
  return lines.join("\n");
}
