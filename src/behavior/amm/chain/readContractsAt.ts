import type { Abi, Address, PublicClient } from "viem";
import { ChainReadError } from "./ChainReadError.ts";

/** One view call. */
export interface ContractRead {
  address: Address;
  abi: Abi;
  functionName: string;
  args?: readonly unknown[];
}

export interface ReadContractsAtParams {
  client: PublicClient;
  /** The pool the reads are for (the error's facts). */
  pool: Address;
  /** Every read is made at this block, so the results are one consistent state. */
  blockNumber: bigint;
  reads: readonly ContractRead[];
  /**
   * Multicall3 address: all reads go in aggregate3 eth_calls. `false`: plain parallel eth_calls. Undefined: the
   * client chain's multicall3 when it has one, else plain calls.
   */
  multicallAddress?: Address | false;
  /** Calldata bytes per aggregate3 call (viem's batchSize); default 8192, about 50 ticks() reads per eth_call. */
  multicallBatchSize?: number;
}

/**
 * eth_call every read at one block and return the decoded results in order; any failed read throws
 * ChainReadError(ChainReadFailed) naming it. No runtime import of viem: the calls go through the client's methods.
 */
export async function readContractsAt(params: ReadContractsAtParams): Promise<unknown[]> {
  const { client, pool, blockNumber, reads } = params;
  if (reads.length === 0) return [];
  const multicallAddress =
    params.multicallAddress === false
      ? undefined
      : (params.multicallAddress ?? client.chain?.contracts?.multicall3?.address);

  if (multicallAddress === undefined) {
    // allSettled, not all: when several reads fail, the error names the first in order, not the first to answer
    const settled = await Promise.allSettled(
      reads.map((read) => client.readContract({ ...read, blockNumber } as Parameters<PublicClient["readContract"]>[0])),
    );
    const out = new Array<unknown>(settled.length);
    for (let i = 0; i < settled.length; i++) {
      const r = settled[i];
      if (r.status === "rejected") throw readFailed(pool, blockNumber, describeRead(reads[i]), r.reason, "eth_call");
      out[i] = r.value;
    }
    return out;
  }

  let results: { status: "success"; result: unknown }[] | { status: "failure"; error: Error }[];
  try {
    results = (await client.multicall({
      contracts: reads as Parameters<PublicClient["multicall"]>[0]["contracts"],
      allowFailure: true,
      blockNumber,
      multicallAddress,
      batchSize: params.multicallBatchSize ?? 8192,
    })) as typeof results;
  } catch (cause) {
    throw readFailed(pool, blockNumber, `multicall(${reads.length} reads)`, cause, multicallAddress);
  }
  const out = new Array<unknown>(results.length);
  for (let i = 0; i < results.length; i++) {
    const r = results[i];
    if (r.status === "failure") throw readFailed(pool, blockNumber, describeRead(reads[i]), r.error, multicallAddress);
    out[i] = r.result;
  }
  return out;
}

function describeRead(read: ContractRead): string {
  return `${read.functionName}(${(read.args ?? []).map(String).join(",")})`;
}

function readFailed(pool: Address, blockNumber: bigint, call: string, cause: unknown, via: string): ChainReadError {
  const c = cause as { shortMessage?: unknown; message?: unknown } | undefined;
  const message = typeof c?.shortMessage === "string" ? c.shortMessage : String(c?.message ?? cause);
  return new ChainReadError({
    code: "ChainReadFailed",
    message: `contract read ${call} failed`,
    facts: { pool, blockNumber, call, via, cause: message.split("\n")[0] },
    likelyCause: "the RPC is down or has no state for that block (a pruned node), or the address is not a V3 pool",
    hint: "check the RPC url and that it is an archive node for old blocks; retrying is safe (reads only)",
  });
}
