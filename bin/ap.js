#!/usr/bin/env node
// `ap` entry point for npm/npx: Node only finds Bun (an npm dependency) and hands over to it, so a machine with
// just Node 20 and npm runs everything. Under Bun already (bun bin/ap.js), it imports the CLI directly.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const entry = join(here, "..", "cli", "ap.ts");

if (typeof globalThis.Bun !== "undefined") {
  await import(entry);
} else {
  const require = createRequire(import.meta.url);
  let bun;
  try {
    bun = join(dirname(require.resolve("bun/package.json")), "bin", "bun.exe");
  } catch {
    process.stderr.write("ap: Bun is not installed here; run `npm install` in the ap folder first\n");
    process.exit(127);
  }
  const child = spawn(bun, [entry, ...process.argv.slice(2)], { stdio: "inherit" });
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
  child.on("exit", (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
  child.on("error", (err) => {
    process.stderr.write(`ap: cannot start Bun (${bun}): ${err.message}\n`);
    process.exit(127);
  });
}
