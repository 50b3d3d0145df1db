/**
 * The dashboard of the real offline demo in headless Chromium: `node bin/ap.js up --detach` (replay venues with the
 * bundled captures, collectors, relays, strategies, paper execution, dashboard) in a fresh run directory with a
 * known AP_DASHBOARD_TOKEN, the page opened at the URL `ap up` prints. Real books and pools appear, every service
 * is ready, the halt button trips the kill switch as `ap status --json` reports it, resume clears it, `ap down`
 * stops everything. Waits are DOM changes in the page or real `ap status` requests (bounded), never sleeps.
 * Full-page screenshot: test-artifacts/dashboard/demo.png (docs/screenshots/dashboard-demo.png with
 * AP_UPDATE_SCREENSHOTS=1).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Page } from "playwright-core";
import { runAp } from "../../cli/helpers.ts";
import { HAVE_CHROMIUM, launchBrowser, type TestBrowser, waitFor } from "./browser.ts";

const ROOT = resolve(import.meta.dir, "../../..");
const ARTIFACTS = join(ROOT, "test-artifacts/dashboard");
const SCREENSHOTS = join(ROOT, "docs/screenshots");
const NODE = Bun.which("node");
const TOKEN = `demo-test-${crypto.randomUUID()}`;
const TEST_TIMEOUT_MS = 60_000;

let dir: string;
let env: Record<string, string | undefined>;
let upOutput = "";
let stopped = false;
let url: string;
let services: string[];
let browser: TestBrowser;
let page: Page;

/** Runs `node bin/ap.js <args>` in the demo's environment; its exit code and output. */
function ap(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runAp(args, { node: NODE!, cwd: ROOT, env });
}

interface StatusRow {
  name: string;
  state: string;
  note: string | null;
}

/**
 * Asks `ap status --json` until `done` holds for the rows: every attempt a real request to the supervisor (which
 * asks the services), at most `attempts` of them. Returns the last rows.
 */
async function statusUntil(done: (rows: StatusRow[]) => boolean, attempts = 40): Promise<StatusRow[]> {
  let rows: StatusRow[] = [];
  for (let i = 0; i < attempts; i++) {
    const r = await ap("status", "--json");
    expect(r.code).toBe(0);
    rows = (JSON.parse(r.stdout) as { services: StatusRow[] }).services;
    if (done(rows)) return rows;
  }
  throw new Error(`ap status never matched after ${attempts} requests: ${JSON.stringify(rows)}`);
}

const executionNote = (rows: StatusRow[]) => rows.find((r) => r.name === "execution")?.note ?? "";

describe.skipIf(!HAVE_CHROMIUM || NODE === null)("the offline demo's dashboard in headless Chromium", () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), "ap-demo-dash-"));
    env = { ...process.env, AP_RUN_DIR: dir, AP_DASHBOARD_TOKEN: TOKEN };
    const up = await ap("up", "--detach");
    upOutput = up.stdout + up.stderr;
    expect(up.code).toBe(0);
    const m = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)#token=(\S+)/.exec(upOutput);
    if (!m) throw new Error(`no dashboard URL in the output of ap up:\n${upOutput}`);
    expect(m[2]).toBe(TOKEN);
    url = m[1];
    services = [...upOutput.matchAll(/✓ (\S+) ready in/g)].map((x) => x[1]);
    browser = await launchBrowser();
    page = browser.page;
    await page.goto(`${url}#token=${TOKEN}`);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (env && !stopped) {
      const down = await ap("down");
      if (down.code !== 0) console.error(`ap down: ${down.stdout}${down.stderr}`);
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  test(
    "real books and pools appear and every service is ready, without console errors",
    async () => {
      expect(services).toContain("dashboard");
      expect(services).toContain("execution");
      expect(services.length).toBeGreaterThanOrEqual(10);
      await waitFor(page, `document.getElementById("conn").textContent === "live"`);
      // Books from the Binance and Kraken captures, through the collectors and the market-data relay.
      await waitFor(
        page,
        `document.querySelector('#books-body [data-instrument="binance:spot:BTC/USDT"] .best-bid')?.textContent.match(/^\\d{1,3}(,\\d{3})*\\.\\d+$/)`,
        20_000,
      );
      await waitFor(page, `document.querySelectorAll('#books-body [data-instrument^="kraken:"]').length >= 3`, 20_000);
      // No price shows as a zero (a price below 1 keeps its significant digits: kraken ADA/BTC is 0.0000...).
      const bids = await page.evaluate<string[]>(
        `[...document.querySelectorAll("#books-body .best-bid")].map((e) => e.textContent)`,
      );
      expect(bids.length).toBeGreaterThanOrEqual(4);
      for (const b of bids) expect(b).not.toMatch(/^0\.0*$/);
      // The supervisor's table: one row per service `ap up` reported, all ready.
      const expected = JSON.stringify([...services].sort());
      await waitFor(
        page,
        `(() => {
          const rows = [...document.querySelectorAll("#services-body tbody tr")];
          const names = JSON.stringify(rows.map((r) => r.dataset.service).sort());
          return names === ${JSON.stringify(expected)} && rows.every((r) => r.children[1].textContent === "ready");
        })()`,
        20_000,
      );
      // A pool from the Polygon capture: priced from its PoolState, or from swaps when the dashboard joined later.
      const price = await waitFor<string>(
        page,
        `(() => { const t = document.querySelector("#pools-body tr[data-pool] .pool-price")?.textContent; return t && t !== "-" && t; })()`,
        30_000,
      );
      expect(price).toMatch(/^[\d,]+\.\d+$/);
      expect(browser.errors).toEqual([]);

      const file = join(ARTIFACTS, "demo.png");
      await page.screenshot({ path: file, fullPage: true });
      if (process.env.AP_UPDATE_SCREENSHOTS === "1") copyFileSync(file, join(SCREENSHOTS, "dashboard-demo.png"));
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "the halt button trips the kill switch as `ap status` shows it; resume clears it",
    async () => {
      expect(executionNote(await statusUntil(() => true, 1))).not.toContain("HALTED");
      await page.click("#halt");
      await waitFor(page, `document.getElementById("control-result").textContent === "halt: tripped"`);
      await waitFor(page, `!document.getElementById("halted").hidden`);
      const halted = await statusUntil((rows) => executionNote(rows).includes("HALTED"));
      expect(executionNote(halted)).toContain("HALTED");
      await waitFor(page, `document.querySelector("#breakers-body .breaker-state")?.textContent === "TRIPPED"`);

      await page.click("#resume");
      await waitFor(page, `document.getElementById("control-result").textContent === "resume: reset"`);
      await waitFor(page, `document.getElementById("halted").hidden`);
      await statusUntil((rows) => !executionNote(rows).includes("HALTED"));
      expect(browser.errors).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "`ap down` stops the demo; the dashboard no longer answers",
    async () => {
      const down = await ap("down");
      stopped = down.code === 0;
      expect(down.code).toBe(0);
      expect(down.stdout).toContain("dashboard");
      let refused = false;
      try {
        await fetch(`${url}api/health`, { signal: AbortSignal.timeout(2000) });
      } catch {
        refused = true;
      }
      expect(refused).toBe(true);
      const status = await ap("status", "--json");
      expect(JSON.parse(status.stdout).running).toBe(false);
    },
    TEST_TIMEOUT_MS,
  );
});
