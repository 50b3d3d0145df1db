import type { ConsolaInstance } from "consola";
import type { InstrumentId } from "../../../data/instrument-id.ts";
import type { OrderCancel, OrderRequest } from "../../../data/tlv-layouts.ts";
import { VenueId } from "../../../data/venues.ts";
import type { LiveOpenOrder } from "../engine.ts";
import { BinanceExecutionClient } from "./binance-client.ts";
import { loadCexKeys } from "./credentials.ts";
import { CexConfigError, CexError } from "./errors.ts";
import { KrakenExecutionClient } from "./kraken-client.ts";
import { CexReconciler } from "./reconciler.ts";
import type { CexExecutionClient, CexOrder, VenueFill } from "./types.ts";

/** Where the order endpoints are: the real venues by default, a replay venue's order desk in tests. */
export const DEFAULT_CEX_URLS = { kraken: "https://api.kraken.com", binance: "https://api.binance.com" } as const;

export interface LiveCexOptions {
  env: Record<string, string | undefined>;
  krakenUrl?: string;
  binanceUrl?: string;
  publish: (frame: Uint8Array) => void;
  onFill?: (order: CexOrder, fill: VenueFill) => void;
  log?: ConsolaInstance;
}

export interface LiveCex {
  readonly reconciler: CexReconciler;
  readonly venues: ("kraken" | "binance")[];
  /** The engine's live hook: Kraken and Binance orders go to the reconciler (true); other venues stay paper. */
  order(o: OrderRequest): boolean;
  cancel(c: OrderCancel): boolean;
  /**
   * The engine's view of the live orders for its risk checks: every order not done — accepted by the venue and not
   * yet filled, cancelled or expired, and also one still being sent or whose answer was lost (the venue may hold
   * it already) — with its unfilled quantity.
   */
  openOrders(): Iterable<LiveOpenOrder>;
  /** Asks the venues to cancel every order not done (the kill switch). */
  cancelAll(): Promise<void>;
  readonly banner: string[];
}

const KEY_VARIABLES = ["AP_KRAKEN_API_KEY", "AP_KRAKEN_API_SECRET", "AP_BINANCE_API_KEY", "AP_BINANCE_API_SECRET"];

/** Venue symbol of a spot pair: Kraken "XBT/USD" (BTC -> XBT, DOGE -> XDG), Binance "BTCUSDT". */
export function venueSymbol(iid: InstrumentId): string {
  if (iid.venue === VenueId.Kraken) {
    const alias: Record<string, string> = { BTC: "XBT", DOGE: "XDG" };
    return `${alias[iid.base] ?? iid.base}/${iid.quote}`;
  }
  return `${iid.base}${iid.quote}`;
}

/** OrderRequest (engine numbers) -> the clients' CexOrder. */
export function cexOrderOf(o: OrderRequest): CexOrder {
  const type = o.orderType === 1 ? "market" : "limit";
  const timeInForce = o.orderType === 4 || o.timeInForce === 2 ? "ioc" : o.timeInForce === 3 ? "fok" : "gtc";
  return {
    orderId: o.orderId,
    instrument: o.instrument,
    symbol: venueSymbol(o.instrument),
    side: o.side === 1 ? "buy" : "sell",
    type,
    timeInForce,
    postOnly: o.orderType === 3,
    priceE8: type === "market" ? 0n : o.price,
    quantityE8: o.quantity,
  };
}

/**
 * `--live-cex` of the execution service: the keys from the environment (removed from it once read; a refusal names
 * the variables, never a value), one signed REST client per venue with keys, and the reconciler whose OrderStatus /
 * Fill frames replace the paper fills.
 */
export function startLiveCex(o: LiveCexOptions): LiveCex {
  const keys = loadCexKeys(o.env);
  for (const k of KEY_VARIABLES) delete o.env[k];
  if (keys.kraken === undefined && keys.binance === undefined) {
    throw new CexConfigError({
      code: "MissingLiveVariable",
      message:
        "--live-cex: AP_KRAKEN_API_KEY (and AP_KRAKEN_API_SECRET) or AP_BINANCE_API_KEY (and _SECRET) is not set",
      facts: { variable: "AP_KRAKEN_API_KEY" },
      hint: "live CEX orders need a venue's API key pair in the environment",
    });
  }
  const clients: Partial<Record<"kraken" | "binance", CexExecutionClient>> = {};
  const urls = { kraken: o.krakenUrl ?? DEFAULT_CEX_URLS.kraken, binance: o.binanceUrl ?? DEFAULT_CEX_URLS.binance };
  if (keys.kraken)
    clients.kraken = new KrakenExecutionClient({ baseUrl: urls.kraken, credentials: keys.kraken, log: o.log });
  if (keys.binance)
    clients.binance = new BinanceExecutionClient({ baseUrl: urls.binance, credentials: keys.binance, log: o.log });
  const reconciler = new CexReconciler({ clients, publish: (f) => o.publish(f.slice()), onFill: o.onFill, log: o.log });
  const venues = Object.keys(clients) as ("kraken" | "binance")[];
  const isCex = (venue: number) => venue === VenueId.Kraken || venue === VenueId.Binance;
  const report = (what: string) => (e: unknown) =>
    o.log?.error(`${what}: ${e instanceof CexError ? e.toLine() : e instanceof Error ? e.message : String(e)}`);
  const host = (u: string) => {
    try {
      return new URL(u).host;
    } catch {
      return "<unparsable url>";
    }
  };
  return {
    reconciler,
    venues,
    order(req) {
      if (!isCex(req.instrument.venue)) return false;
      void reconciler.submit(cexOrderOf(req)).catch(report(`order ${req.orderId}`));
      return true;
    },
    cancel(c) {
      if (!reconciler.orders.has(c.orderId)) return false;
      void reconciler.cancel(c.orderId).catch(report(`cancel ${c.orderId}`));
      return true;
    },
    *openOrders() {
      for (const t of reconciler.orders.values()) {
        if (t.state === "done") continue;
        yield {
          orderId: t.order.orderId,
          instrument: t.order.instrument.toString(),
          side: t.order.side === "buy" ? 1 : 2,
          remaining: t.order.quantityE8 - t.filled,
        };
      }
    },
    async cancelAll() {
      for (const [id, t] of reconciler.orders) {
        if (t.state === "done") continue;
        await reconciler.cancel(id).catch(report(`cancel ${id}`));
      }
    },
    banner: [
      "*** LIVE CEX EXECUTION ***",
      `*** OrderRequests for ${venues.join(" and ")} that pass the risk checks and breakers are SIGNED and SENT as real`,
      `*** orders to ${venues.map((v) => host(urls[v])).join(", ")}; fills come from the venue. Orders for a venue`,
      "*** without keys are rejected; other venues stay paper. ap halt stops submission and cancels open orders.",
    ],
  };
}
