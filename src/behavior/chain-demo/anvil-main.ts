/**
 * The anvil service of `ap up --chain local`:  bun src/behavior/chain-demo/anvil-main.ts
 *
 * Starts Foundry's anvil (npm @foundry-rs/anvil) on a free loopback port, chain id 31337, mining on demand (the chain
 * service deploys with evm_mine, then switches to one block a second), and prints `ready <http url> <ws url>`.
 * anvil runs under `setpriv --pdeathsig SIGKILL`, so it dies with this process even when this one is SIGKILLed;
 * SIGTERM/SIGINT stop it and exit 0. A LOCAL DEV CHAIN: its accounts' keys are public.
 */
import { createConsola } from "consola";
import { startAnvil } from "../execution/onchain/local-chain.ts";
import { reportReady } from "../supervisor/service-report.ts";

const log = createConsola({ level: Number(process.env.AP_LOG_LEVEL ?? 3), stdout: process.stderr }).withTag("anvil");
const anvil = await startAnvil({ timestamp: BigInt(Math.floor(Date.now() / 1000)) });
log.info(`anvil ${anvil.url} chain ${anvil.chainId} (pid ${anvil.process.pid}): a local dev chain, public dev keys`);
let stopping = false;
async function stop(sig: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  await anvil.stop();
  log.info(`${sig}: anvil stopped`);
  process.exit(0);
}
process.on("SIGTERM", () => void stop("SIGTERM"));
process.on("SIGINT", () => void stop("SIGINT"));
void anvil.process.exited.then((code) => {
  if (stopping) return;
  log.error(`anvil exited (code ${code})`);
  process.exit(1);
});
reportReady(`${anvil.url} ${anvil.url.replace(/^http/, "ws")}`);
