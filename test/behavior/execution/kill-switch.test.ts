import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { Child, startRelay } from "../relay/helpers.ts";
import { BTC, E8, executionListener, px, tempDir } from "./helpers.ts";

const ROOT = join(import.meta.dir, "../../..");
const ENGINE = join(ROOT, "src/behavior/execution/main.ts");
const RUN_CLI = join(import.meta.dir, "fixtures/run-cli.ts");

/** Runs `ap <cmd>` (the cli/ file through citty) and returns its output and exit code. */
async function ap(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, RUN_CLI, join(ROOT, "cli", `${cmd}.ts`), ...args], {
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

describe("kill switch through the real relays (ap halt / ap resume)", () => {
  test("halt cancels every open order and refuses new ones until resume; the audit log verifies", async () => {
    using tmp = tempDir();
    const dir = tmp.dir;
    const relays = await Promise.all(
      ["market-data", "signal", "execution"].map((d) => startRelay(d, join(dir, `${d}.sock`))),
    );
    writeFileSync(join(dir, "ap.toml"), '[risk]\nmax_open_orders = 10\n[execution]\naudit_fsync = "always"\n');
    const audit = join(dir, "audit.log");
    const engine = new Child([ENGINE, "--run-dir", dir, "--config", join(dir, "ap.toml"), "--audit-log", audit], {
      AP_STATS_INTERVAL_MS: "60000",
    });
    await engine.waitStdout(/^ready .+$/m);

    const { client: strategy, received, events } = executionListener(join(dir, "execution.sock"), Role.Both);
    const market = new BusClient({
      socketPath: join(dir, "market-data.sock"),
      domain: 1,
      source: 2,
      role: Role.Publisher,
    });
    await Promise.all([strategy.ready(), market.ready()]);
    const md = new FrameBuilder({ domain: 1, source: 2 });
    const ex = new FrameBuilder({ domain: 3, source: 21 });
    const statusOf = (id: bigint) =>
      received.filter((r) => r.type === 41 && r.value.orderId === id).map((r) => r.value);
    const waitStatus = (id: bigint, n = 1) => events.until(() => statusOf(id).length >= n);
    const order = (orderId: bigint, price: bigint) =>
      ex
        .begin()
        .add("OrderRequest", {
          orderId,
          signalId: 0n,
          instrument: BTC,
          side: 1,
          orderType: 2,
          timeInForce: 1,
          flags: 1,
          price,
          quantity: E8 / 10n,
          quantityNative: 0n,
          maxSlippageBps: 0,
          strategyId: 21,
          timestampNs: 1n,
        })
        .finish();

    // The book travels on another relay than the orders: probe with resting orders until one is accepted.
    let id = 1n;
    for (; ; id++) {
      market.send(
        md
          .begin()
          .add("OrderBook", {
            instrument: BTC,
            exchangeTsNs: 1n,
            updateId: 0n,
            flags: 1,
            bids: [{ price: px(60_000), size: E8, orderCount: 0 }],
            asks: [{ price: px(60_010), size: E8, orderCount: 0 }],
          })
          .finish(),
      );
      strategy.send(order(id, px(59_990)));
      await waitStatus(id);
      if (statusOf(id)[0].status === 1) break;
    }
    const resting = [id, id + 1n, id + 2n];
    for (const r of resting.slice(1)) strategy.send(order(r, px(59_980)));
    await Promise.all(resting.map((r) => waitStatus(r)));
    expect(resting.map((r) => statusOf(r)[0].status)).toEqual([1, 1, 1]);

    const halted = await ap("halt", ["--socket", join(dir, "execution.sock"), "--reason", "test halt"]);
    expect(halted).toMatchObject({ code: 0, stderr: "" });
    expect(halted.stdout).toContain("halted");
    await Promise.all(resting.map((r) => waitStatus(r, 2)));
    for (const r of resting) expect(statusOf(r)[1]).toMatchObject({ status: 5, reason: 2 });
    await events.until(() => received.some((r) => r.type === 71));
    expect(received.find((r) => r.type === 71)!.value).toMatchObject({ scope: 1, state: 1, reason: 5, scopeId: 0n });

    const refused = id + 3n;
    strategy.send(order(refused, px(59_990)));
    await waitStatus(refused);
    expect(statusOf(refused)[0]).toMatchObject({ status: 2, reason: 2 });

    const resumed = await ap("resume", ["--socket", join(dir, "execution.sock")]);
    expect(resumed).toMatchObject({ code: 0, stdout: "resumed\n" });
    await events.until(() => received.some((r) => r.type === 71 && r.value.state === 2));
    const after = id + 4n;
    strategy.send(order(after, px(59_990)));
    await waitStatus(after);
    expect(statusOf(after)[0]).toMatchObject({ status: 1 });

    strategy.close();
    market.close();
    engine.kill("SIGTERM");
    expect(await engine.proc.exited).toBe(0);
    const verified = await ap("audit", ["verify", audit]);
    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^ok: \d+ records, chain intact/);
    const tail = await ap("audit", ["tail", audit, "-n", "2"]);
    expect(tail.stdout.trim().split("\n")).toHaveLength(2);
    for (const r of relays) r.kill("SIGTERM");
    await Promise.all(relays.map((r) => r.proc.exited));
  }, 30_000);

  test("ap halt with no engine listening fails with one line and exit 1", async () => {
    using tmp = tempDir();
    const relay = await startRelay("execution", join(tmp.dir, "execution.sock"));
    const r = await ap("halt", ["--socket", join(tmp.dir, "execution.sock"), "--timeout", "300"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ap: NoEngineAnswer: no execution engine acknowledged halt within 300 ms/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    relay.kill("SIGTERM");
    await relay.proc.exited;
  }, 15_000);
});
