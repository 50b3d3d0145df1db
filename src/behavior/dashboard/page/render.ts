import { e16ToE8 } from "../../execution/portfolio.ts";
import type { DashboardState } from "./dashboard-state.ts";
import {
  esc,
  formatE8,
  formatE18Price,
  formatInteger,
  formatMiB,
  formatNative,
  formatTimeNs,
  invertE18,
} from "./format.ts";

const SIDE = ["?", "buy", "sell"];
/** The native-asset address (EIP-7528) of live gas Fills (execution/gas.ts): the gas a receipt paid, fee in USD. */
const NATIVE_GAS = "0xeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee";
const ORDER_STATUS = ["sent", "accepted", "rejected", "partial", "filled", "cancelled", "expired"];
const REJECT_REASON = ["", "risk limit", "circuit breaker", "slippage", "balance", "venue", "timeout"];
const SCOPE = ["?", "global", "strategy", "venue", "instrument"];
const BREAKER_REASON = ["?", "loss limit", "error rate", "stale data", "price deviation", "manual"];

function sign(v: bigint): string {
  return v > 0n ? "pos" : v < 0n ? "neg" : "";
}

export function renderServices(el: HTMLElement, s: DashboardState): void {
  const st = s.status;
  if (st === undefined) return;
  const prev = s.previousStatus;
  const dt = prev ? (st.at_ms - prev.at_ms) / 1000 : 0;
  const rate = (name: string, now: number | null) => {
    const before = prev?.supervisor?.services.find((x) => x.name === name)?.msgs_in;
    if (now === null || before === undefined || before === null || dt <= 0) return "-";
    return `${Math.max(0, Math.round((now - before) / dt))}/s`;
  };
  const rows =
    st.supervisor?.services
      .map(
        (x) =>
          `<tr data-service="${esc(x.name)}"><td>${esc(x.name)}</td><td class="state-${esc(x.state)}">${esc(x.state)}</td>` +
          `<td>${x.pid ?? "-"}</td><td>${x.msgs_in ?? "-"}</td><td>${rate(x.name, x.msgs_in)}</td><td>${x.msgs_out ?? "-"}</td>` +
          `<td>${x.drops ?? "-"}</td><td>${x.gaps ?? "-"}</td><td>${formatMiB(x.rss_bytes)}</td><td>${x.restarts}</td>` +
          `<td class="muted">${esc(x.last_error ?? "")}</td></tr>`,
      )
      .join("") ?? "";
  const sup = st.supervisor
    ? `supervisor pid ${st.supervisor.pid}`
    : "no supervisor answering (dashboard started by hand)";
  const relays = Object.entries(st.relays)
    .map(([n, state]) => `${esc(n)} <span class="${state === "ready" ? "pos" : "neg"}">${esc(state)}</span>`)
    .join(" · ");
  const d = st.dashboard;
  el.innerHTML =
    `<p class="muted">${sup} · relays: ${relays} · dashboard: in ${d.frames_in}, out ${d.frames_out}, ` +
    `coalesced ${d.coalesced}, shed ${d.shed}, bad ${d.bad_frames}, pages ${d.clients}</p>` +
    (rows
      ? `<table><thead><tr><th>service</th><th>state</th><th>pid</th><th>in</th><th>rate</th><th>out</th><th>drops</th>` +
        `<th>gaps</th><th>rss</th><th>restarts</th><th>last error</th></tr></thead><tbody>${rows}</tbody></table>`
      : "");
}

export function renderBooks(el: HTMLElement, s: DashboardState): void {
  if (s.books.size === 0) return;
  let html = "";
  for (const b of [...s.books.values()].sort((x, y) => (x.instrument < y.instrument ? -1 : 1))) {
    const depth = 5;
    let max = 1n;
    for (let i = 0; i < depth; i++) {
      if (b.bids[i] && b.bids[i].size > max) max = b.bids[i].size;
      if (b.asks[i] && b.asks[i].size > max) max = b.asks[i].size;
    }
    // Bar widths are display: a percentage from integer sizes.
    const pct = (size: bigint) => Number((size * 1000n) / max) / 10;
    const pd = s.priceDecimals(b.instrument);
    let rows = "";
    for (let i = 0; i < depth; i++) {
      const bid = b.bids[i];
      const ask = b.asks[i];
      rows +=
        `<tr><td class="depth">${bid ? `<div class="bar bid" style="width:${pct(bid.size)}%"></div>` : ""}</td>` +
        `<td>${bid ? formatE8(bid.size, 4) : ""}</td><td class="bid">${bid ? formatE8(bid.price, pd) : ""}</td>` +
        `<td class="ask">${ask ? formatE8(ask.price, pd) : ""}</td><td>${ask ? formatE8(ask.size, 4) : ""}</td>` +
        `<td class="depth">${ask ? `<div class="bar ask" style="width:${pct(ask.size)}%"></div>` : ""}</td></tr>`;
    }
    const bestBid = b.bids[0]?.price;
    const bestAsk = b.asks[0]?.price;
    const spread = bestBid !== undefined && bestAsk !== undefined ? formatE8(bestAsk - bestBid, pd) : "-";
    const last = s.lastTrade.get(b.instrument);
    html +=
      `<div class="book${b.stale ? " stale" : ""}" data-instrument="${esc(b.instrument)}">` +
      `<h3>${esc(b.instrument)} <span class="muted">bid <b class="best-bid">${bestBid !== undefined ? formatE8(bestBid, pd) : "-"}</b>` +
      ` ask <b class="best-ask">${bestAsk !== undefined ? formatE8(bestAsk, pd) : "-"}</b> spread ${spread}` +
      `${last ? ` last ${formatE8(last.price, pd)}` : ""} · ${b.updates} updates · ${formatTimeNs(b.exchangeTsNs)}` +
      `${b.stale ? " · STALE" : ""}</span></h3>` +
      `<table><thead><tr><th></th><th>bid size</th><th>bid</th><th>ask</th><th>ask size</th><th></th></tr></thead>` +
      `<tbody>${rows}</tbody></table></div>`;
  }
  el.innerHTML = html;
}

export function renderPools(el: HTMLElement, s: DashboardState): void {
  if (s.pools.size === 0) return;
  const rows = [...s.pools.values()]
    .map(
      (p) =>
        `<tr data-pool="${esc(p.pool)}"><td title="${esc(p.pool)}">${esc(shortPool(p.pool))}</td><td>V${p.protocol || "?"}</td>` +
        `<td class="pool-price">${p.priceE18 ? formatE18Price(p.priceE18) : "-"}</td>` +
        `<td>${p.priceE18 ? formatE18Price(invertE18(p.priceE18)) : "-"}</td>` +
        `<td>${p.protocol === 3 ? formatInteger(p.liquidity) : p.reserve0 || p.reserve1 ? `${formatNative(p.reserve0, p.decimals0, 4)} / ${formatNative(p.reserve1, p.decimals1, 4)}` : "-"}</td>` +
        `<td>${p.protocol === 3 ? p.tick : "-"}</td><td>${p.swaps}</td>` +
        `<td>${p.lastSwap ? `${formatNative(p.lastSwap.amount0, p.decimals0, 4)} ${p.lastSwap.zeroForOne ? "→" : "←"} ${formatNative(p.lastSwap.amount1, p.decimals1, 4)}` : "-"}</td>` +
        `<td>${formatInteger(p.blockNumber)}</td></tr>`,
    )
    .join("");
  el.innerHTML =
    `<table><thead><tr><th>pool</th><th></th><th>price t0 in t1</th><th>t1 in t0</th><th>liquidity / reserves</th>` +
    `<th>tick</th><th>swaps</th><th>last swap t0/t1</th><th>block</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function shortPool(text: string): string {
  const m = /^(.*:)(0x[0-9a-f]{4})[0-9a-f]{32}([0-9a-f]{4})$/.exec(text);
  return m ? `${m[1]}${m[2]}…${m[3]}` : text;
}

export function renderSignals(el: HTMLElement, s: DashboardState): void {
  if (s.signals.length === 0) return;
  const rows = s.signals
    .map((x) => {
      const e = x.economics;
      const a = x.arbitrage;
      const profit = e?.expectedProfitUsdE8 ?? a?.expectedProfitUsdE8;
      return (
        `<tr><td>${formatTimeNs(x.timestampNs)}</td><td>${x.signalId}</td><td>${x.strategyId}</td><td>${x.confidence ?? "-"}</td>` +
        `<td class="${profit !== undefined ? sign(profit) : ""}">${profit !== undefined ? formatE8(profit, 2) : "-"}</td>` +
        `<td>${e ? formatE8(e.requiredCapitalUsdE8, 2) : "-"}</td><td>${e ? formatE8(e.gasCostUsdE8, 4) : "-"}</td>` +
        `<td>${e ? formatE8(e.feesUsdE8, 4) : "-"}</td><td>${a ? a.spreadBps : "-"}</td>` +
        `<td>${a ? `${esc(a.buyInstrument.toString())} → ${esc(a.sellInstrument.toString())}` : ""}</td></tr>`
      );
    })
    .join("");
  el.innerHTML =
    `<table><thead><tr><th>time</th><th>signal</th><th>strategy</th><th>conf</th><th>profit $</th><th>capital $</th>` +
    `<th>gas $</th><th>fees $</th><th>spread bps</th><th>route</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderOrders(el: HTMLElement, s: DashboardState): void {
  if (s.orders.size === 0 && s.fills.length === 0) return;
  const orders = [...s.orders.values()]
    .reverse()
    .slice(0, 20)
    .map((o) => {
      const pd = s.priceDecimals(o.instrument, [o.price]);
      return (
        `<tr><td>${o.orderId}</td><td>${esc(o.instrument)}</td><td class="${o.side === 1 ? "bid" : "ask"}">${SIDE[o.side] ?? "?"}</td>` +
        `<td>${o.price ? formatE8(o.price, pd) : "mkt"}</td><td>${formatE8(o.quantity, 4)}</td>` +
        `<td>${ORDER_STATUS[o.status] ?? o.status}${o.reason ? ` (${REJECT_REASON[o.reason] ?? o.reason})` : ""}</td>` +
        `<td>${formatE8(o.filledQuantity, 4)}</td><td>${o.averagePrice ? formatE8(o.averagePrice, pd) : "-"}</td></tr>`
      );
    })
    .join("");
  const fills = s.fills
    .slice(0, 20)
    .map(
      (f) =>
        `<tr><td>${formatTimeNs(f.timestampNs)}</td><td>${f.orderId}/${f.fillId}</td>` +
        `<td>${f.instrument.endsWith(NATIVE_GAS) ? "gas paid " : ""}${esc(f.instrument)}</td>` +
        `<td class="${f.side === 1 ? "bid" : "ask"}">${SIDE[f.side] ?? "?"}</td><td>${formatE8(f.price, s.priceDecimals(f.instrument, [f.price]))}</td>` +
        `<td>${formatE8(f.quantity, 4)}</td><td>${formatE8(f.fee, 4)}</td></tr>`,
    )
    .join("");
  el.innerHTML =
    `<table><thead><tr><th>order</th><th>instrument</th><th>side</th><th>price</th><th>qty</th><th>status</th>` +
    `<th>filled</th><th>avg</th></tr></thead><tbody>${orders}</tbody></table>` +
    `<table><thead><tr><th>fill time</th><th>order/fill</th><th>instrument</th><th>side</th><th>price</th><th>qty</th>` +
    `<th>fee</th></tr></thead><tbody id="fills-rows">${fills}</tbody></table>`;
}

export function renderPnl(root: Document, s: DashboardState): void {
  const p = s.pnlNow();
  const set = (id: string, v: bigint) => {
    const el = root.getElementById(id)!;
    el.textContent = formatE8(v, 2);
    el.className = sign(v);
  };
  set("pnl-total", p.totalE8);
  set("pnl-realised", p.realisedE8);
  set("pnl-unrealised", p.unrealisedE8);
  set("pnl-fees", p.feesE8);
  root.getElementById("pnl-fills")!.textContent = String(s.fillCount);
  const rows = [...s.portfolio.positions.values()]
    .filter((x) => x.qty !== 0n || x.realisedE16 !== 0n)
    .map((x) => {
      const key = x.instrument.toString();
      const mark = s.markE8(key);
      let unrealisedE16 = 0n;
      let cost = 0n;
      for (const lot of x.lots) {
        if (mark > 0n) unrealisedE16 += (mark - lot.price) * lot.qty;
        cost += lot.price * lot.qty;
      }
      const avg = x.qty !== 0n ? cost / x.qty : 0n;
      const pd = s.priceDecimals(
        key,
        x.lots.map((l) => l.price),
      );
      return (
        `<tr data-position="${esc(key)}"><td>${esc(key)}</td><td class="${sign(x.qty)}">${formatE8(x.qty, 4)}</td>` +
        `<td>${avg ? formatE8(avg, pd) : "-"}</td><td>${mark ? formatE8(mark, pd) : "-"}</td>` +
        `<td class="${sign(unrealisedE16)}">${formatE8(e16ToE8(unrealisedE16), 2)}</td>` +
        `<td class="${sign(x.realisedE16)}">${formatE8(e16ToE8(x.realisedE16), 2)}</td><td>${formatE8(x.feesE8, 4)}</td></tr>`
      );
    })
    .join("");
  root.getElementById("positions-body")!.innerHTML = rows
    ? `<table><thead><tr><th>position</th><th>qty</th><th>avg entry</th><th>mark</th><th>unrealised $</th>` +
      `<th>realised $</th><th>fees $</th></tr></thead><tbody>${rows}</tbody></table>`
    : "";
}

export function renderBreakers(el: HTMLElement, s: DashboardState): void {
  if (s.breakers.size === 0) return;
  const rows = [...s.breakers.values()]
    .map(
      (b) =>
        `<tr data-breaker="${esc(b.key)}"><td>${SCOPE[b.scope] ?? b.scope}${b.scope === 2 || b.scope === 3 ? ` ${b.scopeId}` : ""}` +
        `${b.instrument ? ` ${esc(b.instrument)}` : ""}</td><td>${BREAKER_REASON[b.reason] ?? b.reason}</td>` +
        `<td class="${b.state === 1 ? "neg" : "pos"} breaker-state">${b.state === 1 ? "TRIPPED" : "reset"}</td>` +
        `<td>${formatTimeNs(b.timestampNs)}</td></tr>`,
    )
    .join("");
  el.innerHTML = `<table><thead><tr><th>scope</th><th>reason</th><th>state</th><th>since</th></tr></thead><tbody>${rows}</tbody></table>`;
}
