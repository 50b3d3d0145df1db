import { describe, expect, test } from "bun:test";
import { keccak256 } from "viem";
import { anvilMarket, E18, mine, signalFor, standIn, startExecutor } from "./helpers.ts";

const m = anvilMarket();

describe("OnchainExecutor MEV protection", () => {
  test("with private submission configured for a strategy, its tx reaches only the private endpoint", async () => {
    using publicRpc = standIn(m.anvil.url);
    using privateRpc = standIn(m.anvil.url);
    using relay = standIn(m.anvil.url);
    const h = await startExecutor(m, {
      config: {
        rpcUrl: publicRpc.url,
        strategySubmission: new Map([
          [7, { route: "private", url: privateRpc.url }],
          [8, { route: "bundle", url: relay.url }],
        ]),
      },
    });
    const viaPrivate = await h.executor.onSignal(
      signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn: 10n * E18, expectedOut: 10n * E18, strategyId: 7 }),
    );
    const viaBundle = await h.executor.onSignal(
      signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn: 10n * E18, expectedOut: 10n * E18, strategyId: 8 }),
    );
    expect(publicRpc.sends()).toEqual([]);
    expect(privateRpc.sends().map((c) => c.method)).toEqual(["eth_sendRawTransaction"]);
    expect(keccak256(privateRpc.sends()[0].params[0] as `0x${string}`)).toBe(
      viaPrivate.state === "submitted" ? viaPrivate.hash : "0x",
    );
    expect(relay.sends().map((c) => c.method)).toEqual(["eth_sendBundle"]);
    const [bundle] = relay.sends()[0].params as [{ txs: `0x${string}`[]; blockNumber: string }];
    expect(bundle.txs.map((t) => keccak256(t))).toEqual([viaBundle.state === "submitted" ? viaBundle.hash : "0x"]);
    await mine(m);
    const resolved = await h.executor.poll();
    expect(resolved.map((r) => r.state)).toEqual(["mined", "mined"]);
    expect(publicRpc.sends()).toEqual([]);
  });
});
