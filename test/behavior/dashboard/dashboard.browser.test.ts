/**
 * The dashboard in a real browser (headless Chromium driven by playwright-core) against a running system: the
 * three relays and the paper execution service under the real Supervisor (with its control socket, so the services
 * panel shows the supervisor's own table), the dashboard as its own process, and real Protocol V2 frames published
 * on the relays. Every wait is on a DOM change or a process line, never a sleep. Screenshots of each panel go to
 * test-artifacts/dashboard/ (and to docs/screenshots/ with AP_UPDATE_SCREENSHOTS=1).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Subprocess } from "bun";
import type { Page } from "playwright-core";
import { Supervisor } from "../../../src/behavior/supervisor/supervisor.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { loadConfig } from "../../../src/core/config.ts";
import { parseDecimal } from "../../../src/core/fixed-point.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { fromHex } from "../../../src/rules/json.ts";
import { HAVE_CHROMIUM, launchBrowser, type TestBrowser, waitFor } from "./browser.ts";
import { relaySocket, serveStatusControl, systemSpecs } from "./system.ts";

const ROOT = resolve(import.meta.dir, "../../..");
const ARTIFACTS = join(ROOT, "test-artifacts/dashboard");
const SCREENSHOTS = join(ROOT, "docs/screenshots");
/** Waits inside are bounded by waitFor (10 s); a shared 2-core machine needs the margin. */
const TEST_TIMEOUT_MS = 30_000;
const e8 = (text: string) => parseDecimal(text, 8);
const BTC = InstrumentId.spot(101, "BTC", "USD");
const POOL = InstrumentId.pool(400, 137, "0x4a35582a710e1f4b2030a3f826da20bfb6703c09");
const ZERO_HASH = `0x${"00".repeat(32)}` as const;

let dir: string;
let supervisor: Supervisor;
let control: { stop(force?: boolean): void };
let dashboard: Subprocess<"ignore", "pipe", "pipe">;
let url: string;
let token: string;
let browser: TestBrowser;
let page: Page;
const publishers: Record<string, BusClient> = {};
const builders = {
  md: new FrameBuilder({ domain: 1, source: 90 }),
  exec: new FrameBuilder({ domain: 3, source: 90 }),
};

/** Reads a process stream line by line until `match` returns a value. */
async function readUntil<T>(stream: ReadableStream<Uint8Array>, match: (line: string) => T | undefined): Promise<T> {
  const decoder = new TextDecoder();
  let rest = "";
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stream ended before a matching line: ${rest}`);
      rest += decoder.decode(value, { stream: true });
      let nl = rest.indexOf("\n");
      while (nl >= 0) {
        const hit = match(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
        if (hit !== undefined) return hit;
        nl = rest.indexOf("\n");
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function publish(relay: "market-data" | "signal" | "execution", frame: Uint8Array): void {
  expect(publishers[relay].send(frame)).toBe(true);
}

function orderBookFrame(bids: [string, string][], asks: [string, string][]): Uint8Array {
  const level = ([p, s]: [string, string]) => ({ price: e8(p), size: e8(s), orderCount: 0 });
  return builders.md
    .begin()
    .add("OrderBook", {
      instrument: BTC,
      exchangeTsNs: BigInt(Date.now()) * 1_000_000n,
      updateId: 1n,
      flags: 1,
      bids: bids.map(level),
      asks: asks.map(level),
    })
    .finish()
    .slice();
}

function fillFrame(fillId: bigint, side: number, price: string, quantity: string, fee: string): Uint8Array {
  return builders.exec
    .begin()
    .add("Fill", {
      orderId: fillId,
      fillId,
      instrument: BTC,
      side,
      liquidity: 2,
      price: e8(price),
      quantity: e8(quantity),
      fee: e8(fee),
      quantityNative: 0n,
      txHash: ZERO_HASH,
      timestampNs: BigInt(Date.now()) * 1_000_000n,
    })
    .finish()
    .slice();
}

async function shoot(panel: string): Promise<void> {
  const file = join(ARTIFACTS, `${panel}.png`);
  await page.locator(`#panel-${panel}`).screenshot({ path: file });
  if (process.env.AP_UPDATE_SCREENSHOTS === "1") copyFileSync(file, join(SCREENSHOTS, `dashboard-${panel}.png`));
}

describe.skipIf(!HAVE_CHROMIUM)("dashboard in headless Chromium", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "ap-dash-"));
    chmodSync(dir, 0o700);
    const sock = (name: string) => relaySocket(dir, name);
    const specs = systemSpecs(dir);
    supervisor = new Supervisor(loadConfig({ env: {}, cwd: dir }), dir, specs);
    control = await serveStatusControl(dir, supervisor);
    await supervisor.start();

    // The dashboard as its own process, no AP_DASHBOARD_TOKEN: it makes one and prints it once on stderr.
    const env: Record<string, string | undefined> = { ...process.env, AP_RUN_DIR: dir, AP_LOG_LEVEL: "3" };
    delete env.AP_DASHBOARD_TOKEN;
    dashboard = Bun.spawn(
      [process.execPath, join(ROOT, "src/behavior/dashboard/main.ts"), "--run-dir", dir, "--port", "0"],
      { stdin: "ignore", stdout: "pipe", stderr: "pipe", env },
    );
    url = await readUntil(dashboard.stdout, (l) => /^ready (http:\/\/127\.0\.0\.1:\d+\/)$/.exec(l)?.[1]);
    token = await readUntil(dashboard.stderr, (l) => /^dashboard token: ([0-9a-f]{64}) /.exec(l)?.[1]);
    void (async () => {
      for await (const _ of dashboard.stdout) {
        // stats lines
      }
    })();
    void (async () => {
      for await (const _ of dashboard.stderr) {
        // logs
      }
    })();

    for (const [name, domain] of [
      ["market-data", 1],
      ["signal", 2],
      ["execution", 3],
    ] as const) {
      publishers[name] = new BusClient({
        socketPath: sock(name),
        domain,
        source: 90,
        role: Role.Publisher,
        name: "test",
      });
    }
    await Promise.all(Object.values(publishers).map((p) => p.ready()));

    browser = await launchBrowser();
    page = browser.page;
    await page.goto(`${url}#token=${token}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const p of Object.values(publishers)) p.close();
    dashboard?.kill("SIGTERM");
    await dashboard?.exited;
    await supervisor?.stopAll();
    control?.stop(true);
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test(
    "loads without console errors and shows the supervisor's services",
    async () => {
      await waitFor(page, `document.getElementById("conn").textContent === "live"`);
      const state = await waitFor<string>(
        page,
        `document.querySelector('#services-body tr[data-service="execution"] td:nth-child(2)')?.textContent === "ready" && "ready"`,
      );
      expect(state).toBe("ready");
      await waitFor(page, `document.querySelectorAll("#services-body tbody tr").length === 4`);
      // The token came in the fragment and was removed from the address bar.
      expect(await page.evaluate<string>("location.href")).toBe(url);
      expect(await page.evaluate<string>(`document.getElementById("token").value`)).toBe(token);
      expect(browser.errors).toEqual([]);
      await shoot("services");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "order books update from OrderBook and BookDelta frames, formatted from e8 integers",
    async () => {
      publish(
        "market-data",
        orderBookFrame(
          [
            ["64000", "1.5"],
            ["63990", "2"],
            ["63980.5", "0.75"],
          ],
          [
            ["64020", "0.8"],
            ["64030", "3"],
            ["64045.25", "1.25"],
          ],
        ),
      );
      const sel = `#books-body [data-instrument="kraken:spot:BTC/USD"]`;
      await waitFor(page, `document.querySelector('${sel} .best-bid')?.textContent === "64,000.00"`);
      expect(await page.evaluate<string>(`document.querySelector('${sel} .best-ask').textContent`)).toBe("64,020.00");
      const delta = builders.md
        .begin()
        .add("BookDelta", {
          instrument: BTC,
          exchangeTsNs: BigInt(Date.now()) * 1_000_000n,
          firstUpdateId: 2n,
          lastUpdateId: 2n,
          changes: [{ price: e8("64010.5"), size: e8("0.25"), side: 1 }],
        })
        .finish()
        .slice();
      publish("market-data", delta);
      await waitFor(page, `document.querySelector('${sel} .best-bid')?.textContent === "64,010.50"`);
      publish(
        "market-data",
        builders.md
          .begin()
          .add("Trade", {
            instrument: BTC,
            price: e8("64015"),
            size: e8("0.1"),
            exchangeTsNs: BigInt(Date.now()) * 1_000_000n,
            side: 1,
          })
          .finish()
          .slice(),
      );
      await waitFor(page, `document.querySelector('${sel} h3')?.textContent.includes("last 64,015.00")`);
      // 4 bid levels (3 + the delta's) and 3 ask levels, each with its depth bar.
      expect(await page.evaluate<number>(`document.querySelectorAll('${sel} .bar').length`)).toBe(7);
      expect(browser.errors).toEqual([]);
      await shoot("books");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "pools show price and liquidity from V2 reserves, exact from the u128 integers",
    async () => {
      const sync = builders.md
        .begin()
        .add("PoolSync", {
          pool: POOL,
          blockNumber: 13_572_468n,
          logIndex: 7,
          flags: 0,
          token0Decimals: 18,
          token1Decimals: 18,
          txHash: ZERO_HASH,
          reserve0: 1000n * 10n ** 18n,
          reserve1: 3_500_000n * 10n ** 18n,
          timestampNs: 0n,
        })
        .finish()
        .slice();
      publish("market-data", sync);
      const price = await waitFor<string>(
        page,
        `document.querySelector('#pools-body [data-pool="${POOL}"] .pool-price')?.textContent`,
      );
      expect(price).toBe("3,500.00");
      expect(
        await page.evaluate<string>(`document.querySelector('#pools-body [data-pool="${POOL}"]').textContent`),
      ).toContain("1,000.0000 / 3,500,000.0000");
      await shoot("pools");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "the signal stream shows a real codec vector's economics",
    async () => {
      const vectors = readFileSync(join(ROOT, "fixtures/protocol/protocol-vectors.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { name: string; hex: string });
      const multi = vectors.find((v) => v.name === "arbitrage_signal_multi")!;
      publish("signal", fromHex(multi.hex));
      const rows = await waitFor<number>(page, `document.querySelectorAll("#signals-body tbody tr").length`);
      expect(rows).toBe(1);
      const text = await page.evaluate<string>(`document.querySelector("#signals-body tbody tr").textContent`);
      expect(text).toMatch(/\d/);
      await shoot("signals");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "positions and P&L follow fills, marked at the book's mid, and the chart draws",
    async () => {
      // Book mid is (64,010.50 + 64,020.00) / 2 = 64,015.25; long 0.5 from 64,000 with a 1.00 fee: 7.625 - 1 = 6.625.
      publish("execution", fillFrame(1n, 1, "64000", "0.5", "1"));
      await waitFor(page, `document.getElementById("pnl-fills").textContent === "1"`);
      await waitFor(page, `document.getElementById("pnl-total").textContent === "6.63"`);
      expect(await page.evaluate<string>(`document.getElementById("pnl-unrealised").textContent`)).toBe("7.63");
      // Close at 64,100: realised 50.00, fees 2.00, nothing open.
      publish("execution", fillFrame(2n, 2, "64100", "0.5", "1"));
      await waitFor(page, `document.getElementById("pnl-total").textContent === "48.00"`);
      expect(await page.evaluate<string>(`document.getElementById("pnl-realised").textContent`)).toBe("50.00");
      await waitFor(page, `document.querySelector("#pnl-chart canvas") !== null`);
      publish(
        "execution",
        builders.exec
          .begin()
          .add("OrderStatus", {
            orderId: 2n,
            venueOrderId: 0n,
            status: 4,
            reason: 0,
            filledQuantity: e8("0.5"),
            averagePrice: e8("64100"),
            timestampNs: BigInt(Date.now()) * 1_000_000n,
          })
          .finish()
          .slice(),
      );
      await waitFor(page, `document.getElementById("orders-body").textContent.includes("filled")`);
      expect(await page.evaluate<number>(`document.querySelectorAll("#fills-rows tr").length`)).toBe(2);
      expect(browser.errors).toEqual([]);
      await shoot("pnl");
      await shoot("orders");
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "the halt button trips the execution engine's kill switch; resume clears it",
    async () => {
      await page.click("#halt");
      await waitFor(page, `document.getElementById("control-result").textContent === "halt: tripped"`);
      await waitFor(page, `!document.getElementById("halted").hidden`);
      await waitFor(page, `document.querySelector("#breakers-body .breaker-state")?.textContent === "TRIPPED"`);
      // The engine's side: its hash-chained audit log holds the halt command and the manual global breaker.
      const audit = readFileSync(join(dir, "audit.log"), "utf8");
      expect(audit).toContain('"command":"halt"');
      await shoot("breakers");
      await page.click("#resume");
      await waitFor(page, `document.getElementById("control-result").textContent === "resume: reset"`);
      await waitFor(page, `document.getElementById("halted").hidden`);
      expect(browser.errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a control request without the right token is refused with 401",
    async () => {
      const none = await fetch(`${url}api/halt`, { method: "POST" });
      expect(none.status).toBe(401);
      const wrong = await fetch(`${url}api/halt`, { method: "POST", headers: { authorization: "Bearer nope" } });
      expect(wrong.status).toBe(401);
      // From the page: a wrong token typed in the field.
      await page.fill("#token", "not-the-token");
      await page.click("#halt");
      await waitFor(page, `document.getElementById("control-result").textContent.includes("refused (401")`);
      expect(await page.evaluate<boolean>(`document.getElementById("halted").hidden`)).toBe(true);
      // Nothing the server sends to a page contains the token.
      for (const path of ["", "app.js", "app.css"])
        expect(await (await fetch(`${url}${path}`)).text()).not.toContain(token);
      // The browser's 401 is a failed resource load in its log; nothing else.
      expect(browser.errors.filter((e) => !e.includes("401"))).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test("keeps serving after frames it cannot use", async () => {
    // A Trade whose InstrumentId has a bad symbol byte: the relay forwards it (ids are checked when read); the page
    // counts it as bad and goes on.
    const good = builders.md
      .begin()
      .add("Trade", { instrument: BTC, price: e8("64016"), size: e8("0.1"), exchangeTsNs: 1n, side: 1 })
      .finish()
      .slice();
    const bad = good.slice();
    bad[32 + 2 + 8] = 0x61; // 'a' in the base symbol: refused by InstrumentId.fromBytes
    const { frameChecksum } = await import("../../../src/rules/crc32.ts");
    new DataView(bad.buffer).setUint32(28, frameChecksum(bad, 0, bad.length - 32), true);
    publish("market-data", bad);
    await waitFor(page, `document.getElementById("frames").textContent.includes("bad")`);
    publish("market-data", good);
    await waitFor(
      page,
      `document.querySelector('#books-body [data-instrument="kraken:spot:BTC/USD"] h3')?.textContent.includes("last 64,016.00")`,
    );
    expect(dashboard.exitCode).toBe(null);
  });
});
