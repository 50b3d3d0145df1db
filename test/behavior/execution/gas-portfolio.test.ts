import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { ledgerFromFills, reconcileFills } from "../../../src/behavior/backtest/reconcile-fills.ts";
import { gasCostUsdE8, gasFill, gasTokenInstrument, isGasInstrument } from "../../../src/behavior/execution/gas.ts";
import { E8, Portfolio } from "../../../src/behavior/execution/portfolio.ts";
import { InstrumentId, InstrumentKind } from "../../../src/data/instrument-id.ts";
import type { Fill } from "../../../src/data/tlv-layouts.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { decodeFrames } from "./helpers.ts";

/**
 * The portfolio arithmetic with gas Fills among CEX and DEX token Fills (docs/execution.md "Gas actually paid"):
 * for any sequence, after a round trip through the Fill TLV, the native balance per (venue, chain) is minus the sum
 * of gasUsed x effectiveGasPrice exactly, fees are the sum of the gas fees (each the exact ceiling), the portfolio
 * reconciles field by field with a replay of the Fill values alone, and cash + sum(position x mark) = P&L.
 */

const E18 = 10n ** 18n;
const CEX = [InstrumentId.spot(VenueId.Kraken, "BTC", "USD"), InstrumentId.spot(VenueId.Kraken, "ETH", "USD")];
const TOKENS = [
  InstrumentId.token(VenueId.QuickSwap, 137, "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619"),
  InstrumentId.token(VenueId.QuickSwap, 137, "0x2791bca1f2de4661ed88a30c99a7a9449aa84174"),
  InstrumentId.token(VenueId.SushiSwapPolygon, 137, "0x2791bca1f2de4661ed88a30c99a7a9449aa84174"),
];
const GAS_VENUES = [VenueId.QuickSwap, VenueId.SushiSwapPolygon];
const CHAINS = [137, 31337];
const HASH = `0x${"ab".repeat(32)}` as const;

type Op =
  | { t: "cex"; i: number; side: number; price: bigint; qty: bigint; fee: bigint }
  | { t: "token"; i: number; side: number; amount: bigint; fee: bigint }
  | { t: "gas"; venue: number; chain: number; gasUsed: bigint; price: bigint; mark: bigint };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    t: fc.constant("cex" as const),
    i: fc.nat({ max: CEX.length - 1 }),
    side: fc.constantFrom(1, 2),
    price: fc.bigInt({ min: 1n, max: 10n ** 13n }),
    qty: fc.bigInt({ min: 1n, max: 10n ** 10n }),
    fee: fc.bigInt({ min: 0n, max: 10n ** 8n }),
  }),
  fc.record({
    t: fc.constant("token" as const),
    i: fc.nat({ max: TOKENS.length - 1 }),
    side: fc.constantFrom(1, 2),
    amount: fc.bigInt({ min: 0n, max: 10n ** 28n }), // quantity (e8 view) must fit the i64 field
    fee: fc.constant(0n),
  }),
  fc.record({
    t: fc.constant("gas" as const),
    venue: fc.constantFrom(...GAS_VENUES),
    chain: fc.constantFrom(...CHAINS),
    gasUsed: fc.bigInt({ min: 21_000n, max: 30_000_000n }),
    price: fc.bigInt({ min: 1n, max: 10n ** 12n }), // effective gas price, wei (up to 1000 gwei)
    mark: fc.bigInt({ min: 0n, max: 10n ** 13n }), // gas token USD e8 (0: no mark)
  }),
);

/** The Fills of a sequence, as the engine and the executor build them. */
function fillsOf(ops: readonly Op[]): Fill[] {
  return ops.map((o, k): Fill => {
    const base = { orderId: BigInt(k + 1), fillId: BigInt(k + 1), liquidity: 2, txHash: HASH, timestampNs: 1n };
    if (o.t === "cex") {
      return {
        ...base,
        instrument: CEX[o.i],
        side: o.side,
        price: o.price,
        quantity: o.qty,
        fee: o.fee,
        quantityNative: 0n,
      };
    }
    if (o.t === "token") {
      return {
        ...base,
        instrument: TOKENS[o.i],
        side: o.side,
        price: E8,
        quantity: o.amount / 10n ** 10n,
        fee: o.fee,
        quantityNative: o.amount,
      };
    }
    const wei = o.gasUsed * o.price;
    return gasFill({
      orderId: base.orderId,
      fillId: base.fillId,
      venue: o.venue,
      chainId: o.chain,
      gasUsed: o.gasUsed,
      effectiveGasPrice: o.price,
      markE8: o.mark,
      usdE8: gasCostUsdE8(wei, o.mark),
      txHash: HASH,
      timestampNs: 1n,
    });
  });
}

/** Each Fill through the TLV codec and back, as consumers (engine, dashboard, replay) receive them. */
function roundTrip(fills: readonly Fill[]): Fill[] {
  const b = new FrameBuilder({ domain: 3, source: 42 });
  return decodeFrames(fills.map((f) => b.begin(1n).add("Fill", f).finish().slice())).map(
    (o) => o.value as unknown as Fill,
  );
}

/** The engine's applyLiveFill rule: token instruments by native amount and fee, CEX pairs by price x quantity. */
function apply(p: Portfolio, f: Fill): void {
  if (f.instrument.kind === InstrumentKind.Token) p.applyTokenFill(f.instrument, f.side, f.quantityNative, f.fee);
  else p.applyCexFill(f.instrument, f.side, f.price, f.quantity, f.fee);
}

describe("gas Fills in the portfolio arithmetic", () => {
  test("gasCostUsdE8 is the exact ceiling of wei x mark / 1e18", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 27n }), fc.bigInt({ min: 0n, max: 10n ** 14n }), (wei, mark) => {
        const usd = gasCostUsdE8(wei, mark);
        expect(usd * E18 >= wei * mark).toBe(true);
        expect(usd === 0n || (usd - 1n) * E18 < wei * mark).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect(gasCostUsdE8(21_000n * 30_000_000_000n, 2_000_00000000n)).toBe(126_000_000n); // 21k gas at 30 gwei, 1.26 USD
    expect(gasCostUsdE8(1n, 1n)).toBe(1n); // a cost never rounds to nothing
  });

  test("any sequence: native balances = -sum of wei, fees = sum of gas fees, reconciliation and the identity hold", () => {
    fc.assert(
      fc.property(
        fc.array(op, { maxLength: 40 }),
        fc.array(fc.bigInt({ min: 1n, max: 10n ** 13n }), { minLength: 2, maxLength: 2 }),
        (ops, marks) => {
          const fills = roundTrip(fillsOf(ops));
          const p = new Portfolio();
          for (const f of fills) apply(p, f);

          // the native token per (venue, chain): minus the wei of its gas Fills, exactly
          const wei = new Map<string, bigint>();
          let gasFees = 0n;
          let otherFees = 0n;
          for (const o of ops) {
            if (o.t === "gas") {
              const k = gasTokenInstrument(o.venue, o.chain).toString();
              wei.set(k, (wei.get(k) ?? 0n) - o.gasUsed * o.price);
              gasFees += gasCostUsdE8(o.gasUsed * o.price, o.mark);
            } else otherFees += o.fee;
          }
          for (const [k, v] of wei) expect(p.tokenBalances.get(k)).toBe(v);
          for (const [k] of p.tokenBalances) {
            if (isGasInstrument(InstrumentId.parse(k))) expect(wei.has(k)).toBe(true);
          }
          expect(p.feesE8).toBe(gasFees + otherFees);

          // a replay of the Fill values alone (reconcile-fills.ts, written independently) agrees field by field
          const markOf = (k: string) => (k === CEX[0].toString() ? marks[0] : k === CEX[1].toString() ? marks[1] : 0n);
          const pnl = p.pnlE16((i) => markOf(i.toString()));
          const r = reconcileFills(fills, p, markOf, pnl);
          expect(r.mismatches).toEqual([]);
          expect(ledgerFromFills(fills).tokenBalances).toEqual(p.tokenBalances);

          // cash + sum(position x mark) = realised + unrealised - fees (token balances, gas included, are not marked:
          // their USD cost is in the fees)
          let held = 0n;
          for (const [k, pos] of p.positions) held += pos.qty * markOf(k);
          expect(p.cashE16 + held).toBe(pnl);
        },
      ),
      { numRuns: 300 },
    );
  });
});
