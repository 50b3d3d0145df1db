import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

/**
 * A small driver for headless Chromium over the DevTools protocol (one WebSocket, flattened sessions), used until
 * playwright-core is a dependency. Launch options per the machine notes: a fresh profile, no sandbox (root in a
 * container), no GPU, no background networking or component updates.
 */
export const CHROMIUM = process.env.AP_CHROMIUM ?? "/usr/bin/chromium";

type Pending = { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void; method: string };

export class CdpBrowser {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(method: string, params: Record<string, unknown>, session?: string) => void>();

  private constructor(
    private readonly proc: Subprocess<"ignore", "ignore", "pipe">,
    private readonly ws: WebSocket,
    private readonly profile: string,
  ) {
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data)) as {
        id?: number;
        result?: Record<string, unknown>;
        error?: { message: string };
        method?: string;
        params?: Record<string, unknown>;
        sessionId?: string;
      };
      if (msg.id !== undefined) {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${p.method}: ${msg.error.message}`));
        else p?.resolve(msg.result ?? {});
      } else if (msg.method) {
        for (const l of this.listeners) l(msg.method, msg.params ?? {}, msg.sessionId);
      }
    };
  }

  static async launch(): Promise<CdpBrowser> {
    const profile = mkdtempSync(join(tmpdir(), "ap-chromium-"));
    const proc = Bun.spawn(
      [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        `--user-data-dir=${profile}`,
        "--remote-debugging-port=0",
        "about:blank",
      ],
      { stdin: "ignore", stdout: "ignore", stderr: "pipe" },
    );
    // Chromium prints the browser endpoint on stderr once it listens.
    const decoder = new TextDecoder();
    let text = "";
    let endpoint: string | undefined;
    for await (const chunk of proc.stderr) {
      text += decoder.decode(chunk, { stream: true });
      endpoint = /DevTools listening on (ws:\/\/\S+)/.exec(text)?.[1];
      if (endpoint) break;
    }
    if (!endpoint) throw new Error(`chromium did not start: ${text.slice(-500)}`);
    // Keep draining stderr so chromium never blocks on a full pipe.
    void (async () => {
      for await (const _ of proc.stderr) {
        // discard
      }
    })();
    const ws = new WebSocket(endpoint);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to ${endpoint}`));
    });
    return new CdpBrowser(proc, ws, profile);
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }

  on(listener: (method: string, params: Record<string, unknown>, session?: string) => void): void {
    this.listeners.add(listener);
  }

  async newPage(width = 1400, height = 1000): Promise<CdpPage> {
    const { targetId } = (await this.send("Target.createTarget", { url: "about:blank" })) as { targetId: string };
    const { sessionId } = (await this.send("Target.attachToTarget", { targetId, flatten: true })) as {
      sessionId: string;
    };
    const page = new CdpPage(this, sessionId);
    this.on((method, params, session) => {
      if (session === sessionId) page.onEvent(method, params);
    });
    await page.send("Page.enable");
    await page.send("Runtime.enable");
    await page.send("Log.enable");
    await page.send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false });
    return page;
  }

  async close(): Promise<void> {
    try {
      await Promise.race([this.send("Browser.close"), Bun.sleep(2000)]);
    } catch {
      // already gone
    }
    this.ws.close();
    this.proc.kill();
    await this.proc.exited;
    rmSync(this.profile, { recursive: true, force: true });
  }
}

export class CdpPage {
  /** Console errors, uncaught exceptions and failed loads, as text. */
  readonly errors: string[] = [];
  private loadWaiters: (() => void)[] = [];

  constructor(
    private readonly browser: CdpBrowser,
    private readonly sessionId: string,
  ) {}

  send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    return this.browser.send(method, params, this.sessionId);
  }

  /** @internal */
  onEvent(method: string, params: Record<string, unknown>): void {
    if (method === "Page.loadEventFired") {
      for (const w of this.loadWaiters.splice(0)) w();
    } else if (method === "Runtime.consoleAPICalled" && params.type === "error") {
      const args = params.args as { value?: unknown; description?: string }[];
      this.errors.push(`console.error: ${args.map((a) => a.value ?? a.description).join(" ")}`);
    } else if (method === "Runtime.exceptionThrown") {
      const d = params.exceptionDetails as { text: string; exception?: { description?: string } };
      this.errors.push(`exception: ${d.exception?.description ?? d.text}`);
    } else if (method === "Log.entryAdded") {
      const e = params.entry as { level: string; text: string; url?: string };
      if (e.level === "error") this.errors.push(`log: ${e.text} ${e.url ?? ""}`);
    }
  }

  async goto(url: string): Promise<void> {
    const loaded = new Promise<void>((r) => this.loadWaiters.push(r));
    await this.send("Page.navigate", { url });
    await loaded;
  }

  /** Evaluates an expression in the page (awaiting a promise) and returns its JSON value. */
  async evaluate<T>(expression: string): Promise<T> {
    const r = (await this.send("Runtime.evaluate", { expression, awaitPromise: true, returnByValue: true })) as {
      result: { value?: T };
      exceptionDetails?: { text: string; exception?: { description?: string } };
    };
    if (r.exceptionDetails) {
      throw new Error(r.exceptionDetails.exception?.description ?? r.exceptionDetails.text);
    }
    return r.result.value as T;
  }

  /**
   * Resolves with the predicate's value once it is truthy: checked now and on every DOM mutation (a
   * MutationObserver in the page), never by polling on a timer. Rejects after timeoutMs with the last value.
   */
  async waitFor<T>(predicate: string, timeoutMs = 10_000): Promise<T> {
    return this.evaluate<T>(`new Promise((resolve, reject) => {
      const check = () => { try { return (${predicate}); } catch { return undefined; } };
      const first = check();
      if (first) return resolve(first);
      const obs = new MutationObserver(() => { const v = check(); if (v) { obs.disconnect(); clearTimeout(t); resolve(v); } });
      obs.observe(document, { subtree: true, childList: true, characterData: true, attributes: true });
      const t = setTimeout(() => { obs.disconnect(); reject(new Error("timed out waiting for: " + ${JSON.stringify(predicate)} + " (last: " + String(check()) + ")")); }, ${timeoutMs});
    })`);
  }

  /** The element's box in CSS pixels of the page (scrolled into view first). */
  async box(selector: string): Promise<{ x: number; y: number; width: number; height: number }> {
    return this.evaluate(`(() => {
      const el = document.querySelector(${JSON.stringify(selector)});
      if (!el) throw new Error("no element " + ${JSON.stringify(selector)});
      el.scrollIntoView({ block: "center" });
      const r = el.getBoundingClientRect();
      return { x: r.x + window.scrollX, y: r.y + window.scrollY, width: r.width, height: r.height };
    })()`);
  }

  /** A real mouse click at the element's centre. */
  async click(selector: string): Promise<void> {
    await this.box(selector);
    const r = await this.evaluate<{ x: number; y: number }>(`(() => {
      const r = document.querySelector(${JSON.stringify(selector)}).getBoundingClientRect();
      return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
    })()`);
    for (const type of ["mousePressed", "mouseReleased"]) {
      await this.send("Input.dispatchMouseEvent", { type, x: r.x, y: r.y, button: "left", clickCount: 1 });
    }
  }

  /** Replaces an input's value by typing (focus, select all, insert text). */
  async fill(selector: string, text: string): Promise<void> {
    await this.evaluate(
      `(() => { const el = document.querySelector(${JSON.stringify(selector)}); el.focus(); el.select(); })()`,
    );
    await this.send("Input.insertText", { text });
  }

  /** PNG of one element, written to `path`. */
  async screenshot(selector: string, path: string): Promise<void> {
    const b = await this.box(selector);
    const { data } = (await this.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      clip: { x: b.x, y: b.y, width: Math.ceil(b.width), height: Math.ceil(b.height), scale: 1 },
    })) as { data: string };
    writeFileSync(path, Buffer.from(data, "base64"));
  }
}
