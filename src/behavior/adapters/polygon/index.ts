export { poolMetadataAbi, TOPIC_SIGNATURES, Topic, V2_TOPICS, V3_TOPICS } from "./abi.ts";
export { DEFAULT_POOLS, type KnownFactory, POLYGON_FACTORIES, type PolygonCollectorConfig } from "./config.ts";
export { type PolygonCounters, PolygonDataClient, type PolygonDataClientHooks } from "./data-client.ts";
export { type DecodedPoolEvent, decodePoolLog, PoolEventFlags } from "./decode-pool-log.ts";
export { PolygonCollectorError } from "./errors.ts";
export { createRpcClient, PolygonInstrumentProvider, type RpcRequest } from "./instrument-provider.ts";
export { JsonRpcSocket, type JsonRpcSocketOptions } from "./json-rpc-socket.ts";
export type { PoolInfo, RpcLog } from "./pool-info.ts";
