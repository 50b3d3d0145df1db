/**
 * The dashboard page: one WebSocket to the dashboard server carrying Protocol V2 frames back to back (binary
 * messages), decoded by the project's codec in DashboardState, rendered into the panels of index.html at most five
 * times a second. Control actions go to POST /api/halt and /api/resume with the token the user typed (or the
 * URL's #token=... fragment, read once and removed from the address bar); the server never sends it.
 */
import { DashboardState, type Panel } from "./dashboard-state.ts";
import { PnlChart } from "./pnl-chart.ts";
import {
  renderBooks,
  renderBreakers,
  renderOrders,
  renderPnl,
  renderPools,
  renderServices,
  renderSignals,
} from "./render.ts";

const state = new DashboardState();
const $ = (id: string) => document.getElementById(id)!;
const chart = new PnlChart($("pnl-chart"));

// ---- token from the fragment --------------------------------------------------------------------------------
const fragment = new URLSearchParams(location.hash.slice(1));
const fromUrl = fragment.get("token");
if (fromUrl) {
  ($("token") as HTMLInputElement).value = fromUrl;
  history.replaceState(null, "", location.pathname + location.search);
}

// ---- the frame stream ---------------------------------------------------------------------------------------
let retryMs = 250;
function connect(): void {
  const ws = new WebSocket(`ws://${location.host}/ws`);
  ws.binaryType = "arraybuffer";
  ws.onopen = () => {
    retryMs = 250;
    setConnection(true);
  };
  ws.onmessage = (ev) => {
    if (ev.data instanceof ArrayBuffer) state.applyMessage(new Uint8Array(ev.data));
  };
  ws.onclose = () => {
    setConnection(false);
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  };
}

function setConnection(on: boolean): void {
  const el = $("conn");
  el.textContent = on ? "live" : "reconnecting";
  el.className = `badge ${on ? "on" : "off"}`;
}

// ---- rendering ----------------------------------------------------------------------------------------------
const RENDER: Record<Panel, () => void> = {
  services: () => renderServices($("services-body"), state),
  books: () => renderBooks($("books-body"), state),
  pools: () => renderPools($("pools-body"), state),
  signals: () => renderSignals($("signals-body"), state),
  orders: () => renderOrders($("orders-body"), state),
  pnl: () => {
    renderPnl(document, state);
    chart.update(state.pnl);
  },
  breakers: () => {
    renderBreakers($("breakers-body"), state);
    $("halted").hidden = !state.halted;
  },
};

let lastSample = 0;
function render(): void {
  const now = Date.now();
  if (state.fillCount > 0 && (state.dirty.has("pnl") || now - lastSample >= 1000)) {
    state.samplePnl(now);
    lastSample = now;
    state.dirty.add("pnl");
  }
  for (const panel of state.dirty) {
    try {
      RENDER[panel]();
    } catch (e) {
      state.lastError = `render ${panel}: ${(e as Error).message}`;
    }
  }
  state.dirty.clear();
  $("frames").textContent = `${state.frames} frames${state.badFrames ? ` · ${state.badFrames} bad` : ""}`;
}
setInterval(render, 200);

// ---- control actions ----------------------------------------------------------------------------------------
async function control(command: "halt" | "resume"): Promise<void> {
  const token = ($("token") as HTMLInputElement).value.trim();
  const out = $("control-result");
  out.textContent = `${command}…`;
  try {
    const res = await fetch(`/api/${command}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ reason: "dashboard" }),
    });
    const body = (await res.json()) as { ok: boolean; state?: string; error?: { code: string; message: string } };
    out.textContent = body.ok ? `${command}: ${body.state}` : `${command} refused (${res.status} ${body.error?.code})`;
    out.className = body.ok ? "pos" : "neg";
  } catch (e) {
    out.textContent = `${command} failed: ${(e as Error).message}`;
    out.className = "neg";
  }
}
$("halt").addEventListener("click", () => void control("halt"));
$("resume").addEventListener("click", () => void control("resume"));

connect();
