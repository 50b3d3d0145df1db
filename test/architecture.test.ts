import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * DEVELOPERS.md "Architecture": imports point down only, core <- data <- rules <- behavior <- cli.
 * Inside behavior, adapters and strategies never import each other (they meet on the bus).
 * The rules layer is pure: no node:, bun or network modules.
 */
const ROOT = resolve(import.meta.dir, "..");
const RANK: Record<string, number> = { core: 0, data: 1, rules: 2, behavior: 3, cli: 4 };

function layerOf(path: string): string | undefined {
  const rel = relative(ROOT, path).split("/");
  if (rel[0] === "cli") return "cli";
  if (rel[0] === "src" && rel[1] in RANK) return rel[1];
  return undefined;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|tsx|js|mjs)$/.test(entry.name)) out.push(p);
  }
  return out;
}

const IMPORT =
  /(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^\s*import\s*["']([^"']+)["']/gm;

export function importViolations(file: string, text: string): string[] {
  const from = layerOf(file);
  if (from === undefined) return [];
  const problems: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (from === "rules" && (/^node:/.test(spec) || spec === "bun" || /^bun:/.test(spec))) {
      problems.push(`${relative(ROOT, file)} imports ${spec}: the rules layer is pure (no I/O modules)`);
    }
    if (!spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec);
    const to = layerOf(target);
    if (to === undefined) continue;
    if (RANK[to] > RANK[from])
      problems.push(`${relative(ROOT, file)} (${from}) imports ${spec} (${to}): imports point down only`);
    const fromRel = relative(join(ROOT, "src/behavior"), file);
    const toRel = relative(join(ROOT, "src/behavior"), target);
    if (fromRel.startsWith("adapters/") && toRel.startsWith("strategies/"))
      problems.push(`${relative(ROOT, file)} imports a strategy: adapters and strategies meet on the bus`);
    if (fromRel.startsWith("strategies/") && toRel.startsWith("adapters/"))
      problems.push(`${relative(ROOT, file)} imports an adapter: adapters and strategies meet on the bus`);
  }
  return problems;
}

describe("architecture", () => {
  test("every import in src/ and cli/ points down the layers", () => {
    const files = [...sourceFiles(join(ROOT, "src")), ...sourceFiles(join(ROOT, "cli"))];
    expect(files.length).toBeGreaterThan(10);
    const problems = files.flatMap((f) => importViolations(f, readFileSync(f, "utf8")));
    expect(problems).toEqual([]);
  });

  test("the check catches an upward import, an impure rule and adapter-strategy coupling", () => {
    expect(importViolations(join(ROOT, "src/core/x.ts"), `import { a } from "../rules/parser.ts";`)).toHaveLength(1);
    expect(importViolations(join(ROOT, "src/data/x.ts"), `export { b } from "../../cli/ap.ts";`)).toHaveLength(1);
    expect(importViolations(join(ROOT, "src/rules/x.ts"), `import { readFileSync } from "node:fs";`)).toHaveLength(1);
    expect(
      importViolations(join(ROOT, "src/rules/x.ts"), `const m = await import("../behavior/relay/relay.ts");`),
    ).toHaveLength(1);
    expect(
      importViolations(
        join(ROOT, "src/behavior/adapters/kraken/x.ts"),
        `import { s } from "../../strategies/flash-arbitrage/y.ts";`,
      ),
    ).toHaveLength(1);
    expect(importViolations(join(ROOT, "src/behavior/x.ts"), `import { p } from "../rules/parser.ts";`)).toEqual([]);
  });
});
