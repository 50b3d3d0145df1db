import { describe, expect, test } from "bun:test";
import { servicesFromConfig, startLayers } from "../../../src/behavior/supervisor/services.ts";
import { parseConfig } from "../../../src/core/config.ts";

describe("servicesFromConfig", () => {
  test("demo: relays, replay venues, collectors pointed at their venue, execution, strategies, dashboard", () => {
    const services = servicesFromConfig(parseConfig({}, {}), "/run");
    expect(services.map((s) => s.name)).toEqual([
      "relay-market-data",
      "relay-signal",
      "relay-execution",
      "venue-kraken",
      "venue-binance",
      "venue-polygon",
      "collector-kraken",
      "collector-binance",
      "collector-polygon",
      "execution",
      "strategy-flash-arbitrage",
      "strategy-market-making",
      "dashboard",
    ]);
    const kraken = services.find((s) => s.name === "collector-kraken")!;
    expect(kraken.command).toContain("{ready:venue-kraken:0}");
    expect(kraken.dependsOn).toEqual(["relay-market-data", "venue-kraken"]);
    expect(startLayers(services).map((l) => l.length)).toEqual([6, 5, 2]);
  });

  test("live: real endpoints, [venues.*] symbols from the file, the Polygon URL only through the environment", () => {
    const config = parseConfig(
      { profile: "live", venues: { kraken: { symbols: ["SOL/USD"] }, binance: { symbols: "SOLUSDT" } } },
      {},
    );
    const secret = "wss://polygon.example/v2/KEY123";
    const services = servicesFromConfig(config, "/run", { AP_POLYGON_WS_URL: secret });
    expect(services.some((s) => s.name.startsWith("venue-"))).toBe(false);
    const args = (name: string) => services.find((s) => s.name === name)!.command.join(" ");
    expect(args("collector-kraken")).toContain("--url wss://ws.kraken.com/v2");
    expect(args("collector-kraken")).toContain("--symbols SOL/USD");
    expect(args("collector-binance")).toContain("--symbols SOLUSDT");
    expect(args("collector-polygon")).not.toContain("KEY123");
    expect(args("collector-polygon")).toContain("{env:AP_POLYGON_WS_URL}");
    expect(servicesFromConfig(config, "/run", {}).some((s) => s.name === "collector-polygon")).toBe(false);
  });

  test("relays profile: the bus only", () => {
    expect(servicesFromConfig(parseConfig({ profile: "relays" }, {}), "/run").map((s) => s.name)).toEqual([
      "relay-market-data",
      "relay-signal",
      "relay-execution",
    ]);
  });
});

describe("secrets in the environment", () => {
  test("only the execution service receives keys; every other service gets them blanked, live or not", () => {
    const env = { AP_EXECUTION_PRIVATE_KEY: "0xabc", AP_KRAKEN_API_SECRET: "s3cret" };
    const services = servicesFromConfig(parseConfig({}, {}), "/run", env);
    for (const s of services) {
      if (s.name === "execution") expect(s.env?.AP_EXECUTION_PRIVATE_KEY).toBeUndefined();
      else expect(s.env).toMatchObject({ AP_EXECUTION_PRIVATE_KEY: "", AP_KRAKEN_API_SECRET: "" });
    }
    for (const s of services) expect(s.command.join(" ")).not.toContain("s3cret");
  });
});
