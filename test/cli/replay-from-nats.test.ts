import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAp } from "./helpers.ts";

/** `ap replay --from nats` is the JetStream history replay of docs/bridge.md (`ap bridge replay`). */
describe("ap replay --from nats", () => {
  test("goes to the JetStream replay: without a NATS server it says so in one line", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ap-rfn-"));
    try {
      const { stderr, code } = await runAp(["replay", "--from", "nats", "--minutes", "2"], {
        // a port nothing listens on (loopback, port 1): refused at once
        env: { ...process.env, AP_RUN_DIR: dir, AP_CONFIG: "", AP_NATS_URL: "nats://127.0.0.1:1" },
      });
      expect(code).toBe(1);
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).toContain("NatsUnavailable");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a source other than nats, or neither a file nor --from, is a usage error", async () => {
    for (const args of [["replay", "--from", "kafka"], ["replay"]]) {
      expect((await runAp(args)).code).toBe(2);
    }
  });
});
