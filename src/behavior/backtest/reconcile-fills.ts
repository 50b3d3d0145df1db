import { InstrumentKind } from "../../data/instrument-id.ts";
import type { Fill } from "../../data/tlv-layouts.ts";
import type { Portfolio } from "../execution/portfolio.ts";

const E8 = 100_000_000n;

/** Positions and P&L recomputed from Fill values alone (no engine state), in the engine's scales. */
export interface FillLedger {
  fills: number;
  /** Quote cash at e16 (price e8 x quantity e8), fees out. */
  cashE16: bigint;
  realisedE16: bigint;
  feesE8: bigint;
  /** Signed quantity e8 per CEX instrument (canonical text), and its open FIFO lots. */
  positions: Map<string, { qty: bigint; lots: { qty: bigint; price: bigint }[] }>;
  /** DEX token balances, native units, per token InstrumentId text. */
  tokenBalances: Map<string, bigint>;
}

/**
 * Replays Fill TLVs into a ledger by the rules of docs/execution.md "P&L", written out again here so the check is
 * independent of portfolio.ts: CEX fills move the position, cash (-signed qty x price - fee x 1e8) and FIFO lots (a
 * close realises (exit - entry) x qty); token fills (DEX legs) move the native balance and charge their fee (gas,
 * USD e8) to cash.
 */
export function ledgerFromFills(fills: readonly Fill[]): FillLedger {
  const ledger: FillLedger = {
    fills: 0,
    cashE16: 0n,
    realisedE16: 0n,
    feesE8: 0n,
    positions: new Map(),
    tokenBalances: new Map(),
  };
  for (const f of fills) {
    ledger.fills++;
    const key = f.instrument.toString();
    ledger.feesE8 += f.fee;
    ledger.cashE16 -= f.fee * E8;
    if (f.instrument.kind === InstrumentKind.Token) {
      const delta = f.side === 1 ? f.quantityNative : -f.quantityNative;
      ledger.tokenBalances.set(key, (ledger.tokenBalances.get(key) ?? 0n) + delta);
      continue;
    }
    const signed = f.side === 1 ? f.quantity : -f.quantity;
    ledger.cashE16 -= signed * f.price;
    let p = ledger.positions.get(key);
    if (p === undefined) {
      p = { qty: 0n, lots: [] };
      ledger.positions.set(key, p);
    }
    p.qty += signed;
    let rest = signed;
    while (rest !== 0n && p.lots.length > 0 && p.lots[0].qty > 0n !== rest > 0n) {
      const lot = p.lots[0];
      const lotAbs = lot.qty < 0n ? -lot.qty : lot.qty;
      const restAbs = rest < 0n ? -rest : rest;
      const close = lotAbs < restAbs ? lotAbs : restAbs;
      ledger.realisedE16 += (lot.qty > 0n ? f.price - lot.price : lot.price - f.price) * close;
      lot.qty += lot.qty > 0n ? -close : close;
      rest += rest > 0n ? -close : close;
      if (lot.qty === 0n) p.lots.shift();
    }
    if (rest !== 0n) p.lots.push({ qty: rest, price: f.price });
  }
  return ledger;
}

/** Unrealised P&L (e16) of the ledger's open lots at the given marks (instruments without a mark count 0). */
export function ledgerUnrealisedE16(ledger: FillLedger, markOf: (instrument: string) => bigint): bigint {
  let total = 0n;
  for (const [key, p] of ledger.positions) {
    const m = markOf(key);
    if (m <= 0n) continue;
    for (const lot of p.lots) total += (m - lot.price) * lot.qty;
  }
  return total;
}

export interface Reconciliation {
  ok: boolean;
  /** One line per field that differs ("cashE16: fills -5 engine -4"); empty when ok. */
  mismatches: string[];
  ledger: FillLedger;
  /** realised + unrealised - fees x 1e8 from the fills, marks from the engine's final reference prices. */
  pnlE16: bigint;
}

/** Compares the ledger with the engine's portfolio field by field, and the total P&L at the same marks. */
export function reconcileFills(
  fills: readonly Fill[],
  portfolio: Portfolio,
  markOf: (instrument: string) => bigint,
  enginePnlE16: bigint,
): Reconciliation {
  const ledger = ledgerFromFills(fills);
  const mismatches: string[] = [];
  const same = (what: string, a: bigint, b: bigint) => {
    if (a !== b) mismatches.push(`${what}: fills ${a} engine ${b}`);
  };
  same("cashE16", ledger.cashE16, portfolio.cashE16);
  same("realisedE16", ledger.realisedE16, portfolio.realisedE16);
  same("feesE8", ledger.feesE8, portfolio.feesE8);
  const keys = new Set([...ledger.positions.keys(), ...portfolio.positions.keys()]);
  for (const k of keys) {
    same(`position ${k}`, ledger.positions.get(k)?.qty ?? 0n, portfolio.positions.get(k)?.qty ?? 0n);
  }
  const tokens = new Set([...ledger.tokenBalances.keys(), ...portfolio.tokenBalances.keys()]);
  for (const k of tokens) same(`balance ${k}`, ledger.tokenBalances.get(k) ?? 0n, portfolio.tokenBalances.get(k) ?? 0n);
  const pnlE16 = ledger.realisedE16 + ledgerUnrealisedE16(ledger, markOf) - ledger.feesE8 * E8;
  same("pnlE16", pnlE16, enginePnlE16);
  return { ok: mismatches.length === 0, mismatches, ledger, pnlE16 };
}
