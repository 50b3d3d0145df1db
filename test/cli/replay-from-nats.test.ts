import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** `ap replay --from nats` is the JetStream history replay of docs/bridge.md (`ap bridge replay`). */
const ROOT = resolve(import.meta.dir, "../..");

describe("ap replay --from nats", () => {
  test("goes to the JetStream replay: without a NATS server it says so in one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ap-rfn-"));
    try {
      const proc = Bun.spawn(["node", join(ROOT, "bin/ap.js"), "replay", "--from", "nats", "--minutes", "2"], {
        stdout: "pipe",
        stderr: "pipe",
        // a port nothing listens on (loopback, port 1): refused at once
        env: { ...process.env, AP_RUN_DIR: dir, AP_CONFIG: "", AP_NATS_URL: "nats://127.0.0.1:1" },
      });
      const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
      expect(code).toBe(1);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).toContain("NatsUnavailable");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a source other than nats, or neither a file nor --from, is a usage error", async () => {
    for (const args of [["replay", "--from", "kafka"], ["replay"]]) {
      const proc = Bun.spawn(["node", join(ROOT, "bin/ap.js"), ...args], { stdout: "pipe", stderr: "pipe" });
      expect(await proc.exited).toBe(2);
    }
  });
});
