import {
  createPublicClient,
  custom,
  encodeAbiParameters,
  encodePacked,
  getCreate2Address,
  keccak256,
  type PublicClient,
  type Address as ViemAddress,
} from "viem";
import { type Address, InstrumentId } from "../../../data/instrument-id.ts";
import type { PoolState } from "../../../data/tlv-layouts.ts";
import { poolMetadataAbi } from "./abi.ts";
import { type KnownFactory, POLYGON_FACTORIES } from "./config.ts";
import { PolygonCollectorError } from "./errors.ts";
import type { PoolInfo } from "./pool-info.ts";

/** A JSON-RPC request function (the collector's JsonRpcSocket.request). */
export type RpcRequest = (method: string, params: unknown[]) => Promise<unknown>;

/** A viem PublicClient whose transport is the collector's own connection (one socket for everything). */
export function createRpcClient(request: RpcRequest): PublicClient {
  return createPublicClient({
    transport: custom(
      { request: ({ method, params }) => request(method, (params as unknown[]) ?? []) },
      { retryCount: 0 },
    ),
  }) as PublicClient;
}

/**
 * Pool metadata by contract calls (eth_call through viem): factory(), token0(), token1(), fee() and tickSpacing()
 * for V3, ERC-20 decimals() and symbol() of both tokens. The factory decides venue and AMM (POLYGON_FACTORIES); the
 * address is then re-derived by CREATE2 (Uniswap V2: salt keccak256(abi.encodePacked(token0, token1)); V3: salt
 * keccak256(abi.encode(token0, token1, fee)), PoolAddress.sol) and a mismatch refuses the pool. Results are cached
 * for the life of the process: reconnects do not read them again.
 */
export class PolygonInstrumentProvider {
  readonly pools = new Map<string, PoolInfo>();
  private readonly tokens = new Map<string, Promise<{ decimals: number; symbol: string }>>();

  constructor(
    private readonly client: PublicClient,
    private readonly options: {
      chainId: number;
      verifyCreate2: boolean;
      /** The factories accepted (default POLYGON_FACTORIES; config.ts knownFactories adds the configured ones). */
      factories?: ReadonlyMap<string, KnownFactory>;
    },
  ) {}

  async load(address: string): Promise<PoolInfo> {
    const key = address.toLowerCase();
    const cached = this.pools.get(key);
    if (cached) return cached;
    const at = key as ViemAddress;
    const read = <T>(functionName: string): Promise<T> =>
      this.client.readContract({ address: at, abi: poolMetadataAbi, functionName } as never) as Promise<T>;
    const factory = ((await read<string>("factory")) as string).toLowerCase() as Address;
    const known = (this.options.factories ?? POLYGON_FACTORIES).get(factory);
    if (!known) {
      throw new PolygonCollectorError({
        code: "UnknownFactory",
        message: `pool ${key} was made by factory ${factory}, which the collector does not know`,
        facts: { pool: key, factory },
        hint: "add the factory (venue, AMM, init code hash) to POLYGON_FACTORIES, or configure it (--factory)",
      });
    }
    const [token0, token1] = (await Promise.all([read<string>("token0"), read<string>("token1")])).map(
      (a) => a.toLowerCase() as Address,
    );
    const v3 = known.protocol === 3;
    const feePpm = v3 ? Number(await read<number>("fee")) : (known.v2FeePpm ?? 3000);
    const tickSpacing = v3 ? Number(await read<number>("tickSpacing")) : 0;
    if (this.options.verifyCreate2) {
      const salt = v3
        ? keccak256(
            encodeAbiParameters(
              [{ type: "address" }, { type: "address" }, { type: "uint24" }],
              [token0 as ViemAddress, token1 as ViemAddress, feePpm],
            ),
          )
        : keccak256(encodePacked(["address", "address"], [token0 as ViemAddress, token1 as ViemAddress]));
      const derived = getCreate2Address({
        from: factory as ViemAddress,
        salt,
        bytecodeHash: known.initCodeHash,
      }).toLowerCase();
      if (derived !== key) {
        throw new PolygonCollectorError({
          code: "PoolAddressMismatch",
          message: `pool ${key} is not the CREATE2 address of its factory and tokens (derived ${derived})`,
          facts: { pool: key, derived, factory, token0, token1, fee_ppm: feePpm },
          likelyCause: "a contract that imitates a pool, or a wrong init code hash for this factory",
          hint: "only pools deployed by a known factory are followed",
        });
      }
    }
    const [t0, t1] = await Promise.all([this.token(token0), this.token(token1)]);
    const info: PoolInfo = {
      address: key as Address,
      instrument: InstrumentId.pool(known.venue, this.options.chainId, key),
      venue: known.venue,
      protocol: known.protocol,
      token0,
      token1,
      decimals0: t0.decimals,
      decimals1: t1.decimals,
      symbol0: t0.symbol,
      symbol1: t1.symbol,
      feePpm,
      tickSpacing,
      factory,
    };
    this.pools.set(key, info);
    return info;
  }

  /** The pool's state at one block: slot0() and liquidity() for V3, getReserves() for V2. */
  async readState(pool: PoolInfo, blockNumber: bigint, timestampNs = 0n): Promise<PoolState> {
    const base = { address: pool.address as ViemAddress, abi: poolMetadataAbi, blockNumber };
    let reserve0 = 0n;
    let reserve1 = 0n;
    let sqrtPriceX96 = 0n;
    let liquidity = 0n;
    let tick = 0;
    if (pool.protocol === 3) {
      const [slot0, liq] = await Promise.all([
        this.client.readContract({ ...base, functionName: "slot0" }),
        this.client.readContract({ ...base, functionName: "liquidity" }) as Promise<bigint>,
      ]);
      sqrtPriceX96 = slot0[0];
      tick = Number(slot0[1]);
      liquidity = liq;
    } else {
      const r = (await this.client.readContract({ ...base, functionName: "getReserves" })) as readonly [
        bigint,
        bigint,
        number,
      ];
      reserve0 = r[0];
      reserve1 = r[1];
    }
    return {
      pool: pool.instrument,
      blockNumber,
      timestampNs,
      token0: pool.token0,
      token1: pool.token1,
      feePpm: pool.feePpm,
      tickSpacing: pool.tickSpacing,
      token0Decimals: pool.decimals0,
      token1Decimals: pool.decimals1,
      protocol: pool.protocol,
      reserve0,
      reserve1,
      sqrtPriceX96,
      liquidity,
      tick,
    };
  }

  private token(address: Address): Promise<{ decimals: number; symbol: string }> {
    let p = this.tokens.get(address);
    if (!p) {
      const at = address as ViemAddress;
      p = Promise.all([
        this.client.readContract({ address: at, abi: poolMetadataAbi, functionName: "decimals" }),
        // symbol() is informational: a token without it (or with bytes32) still gets followed
        this.client.readContract({ address: at, abi: poolMetadataAbi, functionName: "symbol" }).catch(() => ""),
      ]).then(([decimals, symbol]) => ({ decimals: Number(decimals), symbol: String(symbol) }));
      p.catch(() => this.tokens.delete(address));
      this.tokens.set(address, p);
    }
    return p;
  }
}
