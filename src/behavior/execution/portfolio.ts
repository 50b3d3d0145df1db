import type { InstrumentId } from "../../data/instrument-id.ts";

/**
 * Positions, cash and P&L in integers, from fills only (so anyone holding the Fill frames can recompute them).
 *
 * Scales: prices and quantities e8, so price x quantity is quote currency at **e16**; cash, realised and
 * unrealised P&L are kept at e16 and exact (no division anywhere). Fees arrive in quote e8 (Fill.fee) and are
 * kept at e8. Quote currencies are all taken as USD. Lots are closed first in, first out: realised P&L of a close
 * is (exit - entry) x quantity per lot, exact.
 *
 * Identity (tested): cashE16 + sum(position x mark) = realisedE16 + unrealisedE16 - feesE8 x 1e8.
 */
export interface Lot {
  /** Signed: > 0 long, < 0 short. */
  qty: bigint;
  price: bigint;
}

export interface Position {
  readonly instrument: InstrumentId;
  /** Signed quantity e8. */
  qty: bigint;
  readonly lots: Lot[];
  realisedE16: bigint;
  feesE8: bigint;
}

export const E8 = 100_000_000n;

export class Portfolio {
  readonly positions = new Map<string, Position>();
  /** Token balances from DEX fills, native units, keyed by the token InstrumentId text. */
  readonly tokenBalances = new Map<string, bigint>();
  cashE16 = 0n;
  realisedE16 = 0n;
  feesE8 = 0n;

  position(instrument: InstrumentId): Position {
    const key = instrument.toString();
    let p = this.positions.get(key);
    if (p === undefined) {
      p = { instrument, qty: 0n, lots: [], realisedE16: 0n, feesE8: 0n };
      this.positions.set(key, p);
    }
    return p;
  }

  /** A CEX fill: side 1 buy, 2 sell; price and quantity e8; fee quote e8. */
  applyCexFill(instrument: InstrumentId, side: number, price: bigint, quantity: bigint, feeE8: bigint): void {
    const p = this.position(instrument);
    let remaining = side === 1 ? quantity : -quantity;
    const signed = remaining;
    while (remaining !== 0n && p.lots.length > 0 && p.lots[0].qty > 0n !== remaining > 0n) {
      const lot = p.lots[0];
      const lotAbs = lot.qty < 0n ? -lot.qty : lot.qty;
      const remAbs = remaining < 0n ? -remaining : remaining;
      const close = lotAbs < remAbs ? lotAbs : remAbs;
      const pnl = lot.qty > 0n ? (price - lot.price) * close : (lot.price - price) * close;
      p.realisedE16 += pnl;
      this.realisedE16 += pnl;
      lot.qty += lot.qty > 0n ? -close : close;
      remaining += remaining > 0n ? -close : close;
      if (lot.qty === 0n) p.lots.shift();
    }
    if (remaining !== 0n) p.lots.push({ qty: remaining, price });
    p.qty += signed;
    this.cashE16 -= signed * price + feeE8 * E8;
    p.feesE8 += feeE8;
    this.feesE8 += feeE8;
  }

  /**
   * A DEX token leg, or a live receipt's gas (the native token, gas.ts): side 1 received, 2 paid; native units. The
   * fee (USD e8: paper's gas estimate on a swap's first leg, live the gas paid at the gas token's mark) is charged to
   * cash. Token balances are not marked in USD: a cost enters P&L once, as its fee.
   */
  applyTokenFill(token: InstrumentId, side: number, quantityNative: bigint, feeE8: bigint): void {
    const key = token.toString();
    const before = this.tokenBalances.get(key) ?? 0n;
    this.tokenBalances.set(key, before + (side === 1 ? quantityNative : -quantityNative));
    this.cashE16 -= feeE8 * E8;
    this.feesE8 += feeE8;
  }

  /** Unrealised P&L at e16: sum over open lots of (mark - entry) x qty; instruments without a mark count 0. */
  unrealisedE16(mark: (instrument: InstrumentId) => bigint): bigint {
    let total = 0n;
    for (const p of this.positions.values()) {
      if (p.lots.length === 0) continue;
      const m = mark(p.instrument);
      if (m <= 0n) continue;
      for (const lot of p.lots) total += (m - lot.price) * lot.qty;
    }
    return total;
  }

  /** realised + unrealised - fees, e16. */
  pnlE16(mark: (instrument: InstrumentId) => bigint): bigint {
    return this.realisedE16 + this.unrealisedE16(mark) - this.feesE8 * E8;
  }
}

/** e16 -> e8, rounded toward minus infinity (a loss never looks smaller than it is). */
export function e16ToE8(v: bigint): bigint {
  const q = v / E8;
  return v < 0n && q * E8 !== v ? q - 1n : q;
}
