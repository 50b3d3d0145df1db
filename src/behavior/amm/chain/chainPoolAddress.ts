import type { Address, PublicClient } from "viem";
import type { InstrumentId } from "../../../data/instrument-id.ts";
import { ChainReadError } from "./ChainReadError.ts";

/**
 * The pool's contract address, after checking that the client is on the pool's chain (when the client names its
 * chain): a pool id of Polygon read through an Ethereum RPC would return another contract's storage, or nothing.
 */
export function chainPoolAddress(client: PublicClient, pool: InstrumentId): Address {
  const clientChainId = client.chain?.id;
  if (pool.address === "" || (clientChainId !== undefined && clientChainId !== pool.chainId)) {
    throw new ChainReadError({
      code: "ChainMismatch",
      message: pool.address === "" ? "the instrument is not a pool" : "the pool is on another chain than the client",
      facts: { pool: pool.toString(), poolChainId: pool.chainId, clientChainId },
      hint: "use a client for the pool's chain",
    });
  }
  return pool.address;
}
