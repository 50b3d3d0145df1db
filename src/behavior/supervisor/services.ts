import { join, resolve } from "node:path";
import type { ApConfig } from "../../core/config.ts";

/** One process the supervisor runs. */
export interface ServiceSpec {
  /** Unique name, used by `ap status`, `ap logs <name>`, `ap restart <name>`. */
  readonly name: string;
  readonly command: readonly string[];
  /** Services that must be ready first. */
  readonly dependsOn: readonly string[];
  /** What the service serves, shown by `ap status` (a socket path...). */
  readonly endpoint?: string;
}

const ROOT = resolve(import.meta.dir, "../../..");

/** The services of a configuration, relays first. Later issues add collectors, strategies, execution, dashboard. */
export function servicesFromConfig(config: ApConfig, runDir: string): ServiceSpec[] {
  return config.relays.enabled.map((relay) => {
    const socket = join(runDir, `${relay}.sock`);
    return {
      name: `relay-${relay}`,
      command: [
        process.execPath,
        join(ROOT, "src/behavior/relay/main.ts"),
        "--domain",
        relay,
        "--socket",
        socket,
        "--max-queue-bytes",
        String(config.relays.maxQueueBytes),
      ],
      dependsOn: [],
      endpoint: socket,
    };
  });
}

/** Groups services into start layers: every service's dependencies sit in earlier layers. Throws on a cycle. */
export function startLayers(services: readonly ServiceSpec[]): ServiceSpec[][] {
  const done = new Set<string>();
  const left = [...services];
  const layers: ServiceSpec[][] = [];
  while (left.length > 0) {
    const layer = left.filter((s) => s.dependsOn.every((d) => done.has(d)));
    if (layer.length === 0)
      throw new Error(`dependency cycle or unknown dependency among: ${left.map((s) => s.name).join(", ")}`);
    for (const s of layer) {
      done.add(s.name);
      left.splice(left.indexOf(s), 1);
    }
    layers.push(layer);
  }
  return layers;
}
