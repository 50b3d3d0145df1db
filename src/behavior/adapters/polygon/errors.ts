import { ApError } from "../../../core/errors.ts";

/**
 * Everything the Polygon collector refuses or fails at, with the facts. `code`:
 * - `BadLog`: a log that cannot be decoded (wrong data length, a value out of its wire range, a malformed hex field);
 *   counted as `decodeErrors`, the collector carries on.
 * - `UnknownPool`: a log from an address the collector did not subscribe to.
 * - `UnknownFactory`: a pool whose factory() is not one of the known QuickSwap / SushiSwap / Uniswap V3 factories.
 * - `PoolAddressMismatch`: the CREATE2 address from (factory, tokens[, fee], init code hash) is not the pool's.
 * - `ChainMismatch`: eth_chainId is not the configured chain.
 * - `RpcError`: the node answered a request with a JSON-RPC error; `RpcDisconnected`: the connection went away
 *   before the answer; `RpcTimeout`: no answer in time.
 */
export class PolygonCollectorError extends ApError {
  override readonly name = "PolygonCollectorError";
}
