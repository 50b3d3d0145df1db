import type { InstrumentId } from "../../../data/instrument-id.ts";

/** An order as the CEX clients take it: e8 integers, our id, the venue symbol already resolved. */
export interface CexOrder {
  /** Our OrderRequest order_id; the venue gets it as Binance newClientOrderId "ap-<id>" / Kraken userref. */
  orderId: bigint;
  instrument: InstrumentId;
  /** Venue symbol: Kraken "XBT/USD" (sent as XBTUSD), Binance "BTCUSDT". */
  symbol: string;
  side: "buy" | "sell";
  type: "market" | "limit";
  timeInForce: "gtc" | "ioc" | "fok";
  postOnly: boolean;
  /** Limit price e8 (0 for market). */
  priceE8: bigint;
  quantityE8: bigint;
}

/** Where the venue's order is, in the venue's words mapped to one vocabulary. */
export type VenueOrderState = "pending" | "open" | "filled" | "cancelled" | "expired" | "rejected";

/** The venue's view of one order. */
export interface VenueOrder {
  /** Kraken txid "OU22CG-KLAF2-FWUDD7", Binance orderId as text. */
  venueOrderId: string;
  orderId: bigint;
  state: VenueOrderState;
  quantityE8: bigint;
  filledE8: bigint;
}

/** One execution (venue trade) of our order. */
export interface VenueFill {
  /** Kraken trade txid, Binance tradeId: the key that makes fills idempotent across polls. */
  tradeId: string;
  venueOrderId: string;
  priceE8: bigint;
  quantityE8: bigint;
  /** In the quote currency, e8 (a fee charged in the base asset is converted at the fill price, rounded up). */
  feeE8: bigint;
  liquidity: "maker" | "taker";
  timestampNs: bigint;
}

/** Identifies an order at the venue: by the venue's id when known, else by ours (userref / origClientOrderId). */
export interface OrderRef {
  orderId: bigint;
  symbol: string;
  venueOrderId?: string;
}

/** One execution client per venue (nautilus_trader's shape): sign, send, parse, map errors to CexError outcomes. */
export interface CexExecutionClient {
  readonly venue: "kraken" | "binance";
  /** Places the order. Throws VenueRejectedError, RetrySafeError or OutcomeUnknownError. */
  placeOrder(order: CexOrder): Promise<VenueOrder>;
  /** Cancels; resolves with the venue's view after the cancel (already-closed orders are not an error). */
  cancelOrder(ref: OrderRef): Promise<void>;
  /** The venue's view, or undefined when the venue says it has no such order. */
  queryOrder(ref: OrderRef): Promise<VenueOrder | undefined>;
  /** Every fill of the order so far. */
  queryFills(ref: OrderRef & { venueOrderId: string }): Promise<VenueFill[]>;
  /**
   * After this wall-clock time (ms) a placement sent at `sentMs` can no longer be accepted by the venue (Kraken
   * `deadline`, Binance `recvWindow`), so "no such order" from then on is final.
   */
  placementFinalAfterMs(sentMs: number): number;
}
