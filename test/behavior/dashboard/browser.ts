import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/**
 * Headless Chromium for the dashboard's browser tests, driven by playwright-core (under Bun). Debian's Chromium
 * (`/usr/bin/chromium`, or AP_CHROMIUM), a fresh profile per launch, no sandbox (root in a container), no GPU, no
 * background networking or component updates.
 */
export const CHROMIUM = process.env.AP_CHROMIUM ?? "/usr/bin/chromium";
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Console errors, uncaught exceptions and failed requests, as text. */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(width = 1400, height = 1000): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), "ap-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width, height },
    deviceScaleFactor: 1,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const errors: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(`console.error: ${m.text()}`);
  });
  page.on("pageerror", (e) => errors.push(`exception: ${e.message}`));
  page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
  return {
    context,
    page,
    errors,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Resolves with the predicate's value (a JS expression evaluated in the page) once it is truthy: checked now and on
 * every DOM mutation (a MutationObserver in the page), never by polling on a timer. Rejects after timeoutMs with
 * the last value.
 */
export function waitFor<T>(page: Page, predicate: string, timeoutMs = 10_000): Promise<T> {
  return page.evaluate<T>(`new Promise((resolve, reject) => {
    const check = () => { try { return (${predicate}); } catch { return undefined; } };
    const first = check();
    if (first) return resolve(first);
    const obs = new MutationObserver(() => { const v = check(); if (v) { obs.disconnect(); clearTimeout(t); resolve(v); } });
    obs.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
    const t = setTimeout(() => { obs.disconnect(); reject(new Error("timed out waiting for: " + ${JSON.stringify(predicate)} + " (last: " + String(check()) + ")")); }, ${timeoutMs});
  })`);
}
