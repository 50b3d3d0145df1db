import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NatsServer } from "../behavior/bridge/helpers.ts";
import { runAp } from "./helpers.ts";

/** Issue 10: `ap up` starts the bridge when ap.toml has [bridge], and `ap status` shows its connection and counters. */
const base = mkdtempSync(join(tmpdir(), "ap-bridge-up-"));
const nats = new NatsServer(join(base, "js"), false);
afterAll(async () => {
  await nats.stop();
  rmSync(base, { recursive: true, force: true });
});

function ap(args: string[], env: Record<string, string>) {
  return runAp(args, { cwd: base, env });
}

describe("ap up with [bridge]", () => {
  test("starts the bridge; ap status shows its NATS connection", async () => {
    await nats.start();
    const config = join(base, "ap.toml");
    writeFileSync(config, `profile = "relays"\n[bridge]\nservers = ["${nats.url}"]\npublish = ["market-data"]\n`);
    const env = { ...process.env, AP_RUN_DIR: join(base, "run"), AP_CONFIG: config, AP_PROFILE: "" } as Record<
      string,
      string
    >;
    const up = await ap(["up", "--detach"], env);
    expect(up.code).toBe(0);
    expect(up.stdout).toContain("✓ bridge ready");
    try {
      const status = JSON.parse((await ap(["status", "--json"], env)).stdout);
      const bridge = status.services.find((s: { name: string }) => s.name === "bridge");
      expect(bridge.state).toBe("ready");
      expect(JSON.stringify(bridge.stats)).toContain(String(nats.port));
    } finally {
      expect((await ap(["down"], env)).code).toBe(0);
    }
  }, 30_000);
});
