#!/usr/bin/env node
// `npm test`: lint (biome), type-check (tsc), then the whole bun test suite. Prints each step's output and closes
// with one line `N passed, N failed` counting the bun tests plus the lint and type-check steps.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const bin = (name) => join(root, "node_modules", ".bin", name);
const bun = join(dirname(require.resolve("bun/package.json")), "bin", "bun.exe");

function run(cmd, args) {
  return new Promise((resolve) => {
    let out = "";
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, FORCE_COLOR: "0" } });
    child.stdout.on("data", (d) => {
      out += d;
      process.stdout.write(d);
    });
    child.stderr.on("data", (d) => {
      out += d;
      process.stderr.write(d);
    });
    child.on("close", (code) => resolve({ code, out }));
  });
}

let passed = 0;
let failed = 0;
const extra = process.argv.slice(2);

// The browser tests drive Debian's Chromium and the bridge tests nats-server; a fresh machine gets them from the
// project's own script.
if (!existsSync("/usr/bin/chromium") || !existsSync("/usr/sbin/nats-server")) {
  process.stdout.write("test tools missing: running scripts/install-test-tools.sh\n");
  const { code } = await run("sh", [join(root, "scripts", "install-test-tools.sh")]);
  if (code !== 0) process.stdout.write("could not install the test tools: browser and bridge tests will fail\n");
}

for (const [name, cmd, args] of [
  ["lint (biome)", bin("biome"), ["check", "."]],
  ["type-check (tsc)", bin("tsc"), ["-p", "."]],
]) {
  const { code } = await run(cmd, args);
  if (code === 0) passed++;
  else failed++;
  process.stdout.write(`${code === 0 ? "ok" : "FAILED"}: ${name}\n`);
}

// A generous per-test limit: the suite runs real processes and 200k fuzz inputs on a 2-core machine that may be
// busy; a test that hangs still fails, after a minute.
const { code, out } = await run(bun, ["test", "--timeout", "60000", ...extra]);
const pass = Number(/^\s*(\d+) pass\s*$/m.exec(out)?.[1] ?? 0);
const fail = Number(/^\s*(\d+) fail\s*$/m.exec(out)?.[1] ?? 0);
passed += pass;
failed += fail;
if (code !== 0 && fail === 0) failed++; // the runner itself failed (crash, no tests found...)
process.stdout.write(`${passed} passed, ${failed} failed\n`);
process.exit(failed === 0 ? 0 : 1);
