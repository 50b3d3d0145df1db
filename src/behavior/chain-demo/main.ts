/**
 * The chain service of `ap up --chain local`:
 *   bun src/behavior/chain-demo/main.ts --rpc-url <anvil http url> --run-dir D [--market-data-socket S]
 *
 * Deploys the demo market on the local anvil (deploy.ts: test tokens, two Uniswap V2 pairs, a Uniswap V3 pool, our
 * FlashArbitrage owned by dev account 0), writes the flash-arbitrage strategy's table for it to
 * <run dir>/chain-local-strategies.toml, switches anvil to one block a second, and prints
 *   ready <FlashArbitrage> <pools to follow, comma-separated> <factory spec>... <strategies toml>
 * (the supervisor hands these words to the collector, the execution service and the strategy). Then the market loop:
 * for every new block, one swap by dev account 1 on one of the pools (sizes and directions from a fixed-seed
 * generator), and a GasPrice frame for the chain on the market data relay (the collector publishes pool events only).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createConsola } from "consola";
import { type Address, encodeFunctionData, type Hex } from "viem";
import { ApError } from "../../core/errors.ts";
import { FrameBuilder } from "../../rules/builder.ts";
import { JsonRpc } from "../execution/onchain/json-rpc.ts";
import { reportReady, reportStats } from "../supervisor/service-report.ts";
import { BusClient, Role } from "../transport/bus-client.ts";
import { DEV_ACCOUNT_1, deployLocalMarket, type LocalMarket, pairAbi, strategiesToml } from "./deploy.ts";

const log = createConsola({ level: Number(process.env.AP_LOG_LEVEL ?? 3), stdout: process.stderr }).withTag(
  "chain-local",
);
function fail(message: string): never {
  log.error(message);
  process.exit(1);
}

const { values } = parseArgs({
  options: {
    "rpc-url": { type: "string" },
    "run-dir": { type: "string" },
    "market-data-socket": { type: "string" },
  },
  strict: true,
});
if (!values["rpc-url"] || !/^https?:\/\//.test(values["rpc-url"])) fail("--rpc-url <anvil http url> is required");
const runDir = values["run-dir"] ?? process.env.AP_RUN_DIR;
if (!runDir) fail("--run-dir is required");
const rpc = new JsonRpc(values["rpc-url"], { timeoutMs: 10_000 });

let market: LocalMarket;
try {
  market = await deployLocalMarket(values["rpc-url"]);
} catch (e) {
  fail(`deployment failed: ${e instanceof ApError ? e.toLine() : String(e)}`);
}
const strategies = join(runDir, "chain-local-strategies.toml");
writeFileSync(strategies, strategiesToml(market), { mode: 0o600 });
await rpc.call("evm_setIntervalMining", [1]);
log.info(
  `deployed on chain ${market.chainId}: base ${market.base}, quote ${market.quote}, V2 pairs ${market.pairA} (2000) ` +
    `${market.pairB} (2100), V3 pool ${market.v3Pool} (2050), FlashArbitrage ${market.contract}; one block a second`,
);

const publisher = new BusClient({
  socketPath: values["market-data-socket"] ?? join(runDir, "market-data.sock"),
  domain: 1,
  source: 4,
  role: Role.Publisher,
  name: "chain-local",
});
await publisher.ready();
const builder = new FrameBuilder({ domain: 1, source: 4 });

const counters = { blocks: 0, swaps: 0, swap_errors: 0, gas_frames: 0 };
let seed = 0x2545f491;
/** xorshift32: the same swaps in the same order on every run. */
function random(): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  seed >>>= 0;
  return seed / 0x1_0000_0000;
}

const v2Out = (amountIn: bigint, rIn: bigint, rOut: bigint) =>
  (amountIn * 997n * rOut) / (rIn * 1000n + amountIn * 997n);

/** One swap on a V2 pair by dev account 1 (pay, then swap): 0.2 % to 1.2 % of the input reserve, either direction. */
async function swapV2(pair: Address): Promise<void> {
  const [r0, r1] = await readReserves(pair);
  const zeroForOne = random() < 0.5;
  const token0 = BigInt(market.base) < BigInt(market.quote) ? market.base : market.quote;
  const token1 = token0 === market.base ? market.quote : market.base;
  const [rIn, rOut] = zeroForOne ? [r0, r1] : [r1, r0];
  const amountIn = (rIn * BigInt(20 + Math.floor(random() * 100))) / 10_000n;
  const out = v2Out(amountIn, rIn, rOut);
  await send(zeroForOne ? token0 : token1, transferData(pair, amountIn));
  await send(
    pair,
    encodeFunctionData({
      abi: pairAbi,
      functionName: "swap",
      args: zeroForOne ? [0n, out, DEV_ACCOUNT_1, "0x"] : [out, 0n, DEV_ACCOUNT_1, "0x"],
    }),
  );
}

async function readReserves(pair: Address): Promise<[bigint, bigint]> {
  const data = encodeFunctionData({ abi: pairAbi, functionName: "getReserves" });
  const out = await rpc.call<Hex>("eth_call", [{ to: pair, data }, "latest"]);
  return [BigInt(`0x${out.slice(2, 66)}`), BigInt(`0x${out.slice(66, 130)}`)];
}

function transferData(to: Address, amount: bigint): Hex {
  return `0xa9059cbb${to.slice(2).toLowerCase().padStart(64, "0")}${amount.toString(16).padStart(64, "0")}` as Hex;
}

async function send(to: Address, data: Hex): Promise<void> {
  await rpc.call("eth_sendTransaction", [{ from: DEV_ACCOUNT_1, to, data, gas: "0x493e0" }]);
}

let lastBlock = -1n;
let busy = false;
async function onTimer(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    const block = await rpc.call<{ number: string; baseFeePerGas?: string }>("eth_getBlockByNumber", ["latest", false]);
    const n = BigInt(block.number);
    if (n === lastBlock) return;
    lastBlock = n;
    counters.blocks++;
    publisher.send(
      builder
        .begin()
        .add("GasPrice", {
          chainId: market.chainId,
          blockNumber: n,
          baseFeeWei: BigInt(block.baseFeePerGas ?? "0x0"),
          priorityFeeWei: 1_000_000_000n,
        })
        .finish(),
    );
    counters.gas_frames++;
    try {
      await swapV2(counters.blocks % 2 === 0 ? market.pairA : market.pairB);
      counters.swaps++;
    } catch (e) {
      counters.swap_errors++;
      log.warn(`swap failed: ${e instanceof ApError ? e.toLine() : String(e)}`);
    }
  } catch (e) {
    log.warn(`block read failed: ${e instanceof ApError ? e.toLine() : String(e)}`);
  } finally {
    busy = false;
  }
}
const timer = setInterval(() => void onTimer(), 100);
const stopStats = reportStats(() => ({
  msgs_in: 0,
  msgs_out: publisher.counters.framesOut,
  drops: publisher.counters.droppedFrames,
  gaps: 0,
  ...counters,
  last_block: lastBlock.toString(),
}));
function shutdown(sig: string): void {
  clearInterval(timer);
  stopStats();
  publisher.close();
  log.info(`${sig}: stopped after ${counters.blocks} blocks, ${counters.swaps} swaps`);
  process.exit(0);
}
process.on("SIGTERM", () => shutdown("SIGTERM"));
process.on("SIGINT", () => shutdown("SIGINT"));
reportReady([market.contract, `${market.pairA},${market.pairB}`, ...market.factorySpecs, strategies].join(" "));
