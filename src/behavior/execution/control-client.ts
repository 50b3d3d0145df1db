import { join } from "node:path";
import type { CircuitBreaker } from "../../data/tlv-layouts.ts";
import { BusClient, Role } from "../transport/bus-client.ts";
import { defaultRunDir } from "../transport/run-dir.ts";
import { BreakerReason, BreakerScope, BreakerState } from "./breakers.ts";
import { buildHaltFrame, buildResumeFrame } from "./control.ts";
import { ExecutionError } from "./errors.ts";

export interface ControlRequest {
  command: "halt" | "resume";
  /** Halt: the reason recorded in the audit log. */
  reason?: string;
  /** Resume: also reset every other tripped breaker. */
  all?: boolean;
  /** Execution relay socket; default <run dir>/execution.sock. */
  socketPath?: string;
  runDir?: string;
  timeoutMs?: number;
}

/**
 * Sends Halt or Resume to the execution engine over the execution relay and waits for its acknowledgement: the
 * CircuitBreaker frame (scope global, reason manual) with state tripped (halt) or reset (resume). Used by `ap halt`,
 * `ap resume` and, later, the dashboard. Throws ExecutionError when nobody answers in time.
 */
export async function sendControl(req: ControlRequest): Promise<CircuitBreaker> {
  const socketPath = req.socketPath ?? join(req.runDir ?? defaultRunDir(), "execution.sock");
  const wanted = req.command === "halt" ? BreakerState.Tripped : BreakerState.Reset;
  const timeoutMs = req.timeoutMs ?? 5000;
  let resolveAck: (v: CircuitBreaker) => void = () => {};
  const ack = new Promise<CircuitBreaker>((resolve) => (resolveAck = resolve));
  const client = new BusClient({
    socketPath,
    domain: 3,
    source: 91,
    role: Role.Both,
    types: [71],
    name: `ap ${req.command}`,
    onFrame: (_frame, parser) => {
      for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
        if (parser.tlvType !== 71) continue;
        const v = parser.readTlv() as unknown as CircuitBreaker;
        if (v.scope === BreakerScope.Global && v.reason === BreakerReason.Manual && v.state === wanted) resolveAck(v);
      }
    },
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new ExecutionError({
          code: client.state === "ready" ? "NoEngineAnswer" : "ExecutionRelayUnreachable",
          message:
            client.state === "ready"
              ? `no execution engine acknowledged ${req.command} within ${timeoutMs} ms`
              : `cannot reach the execution relay at ${socketPath}`,
          facts: { socket: socketPath, timeout_ms: timeoutMs, connection: client.state },
          hint: "check ap status: the execution relay and the execution service must be running",
        }),
      );
    }, timeoutMs);
  });
  try {
    await Promise.race([client.ready(), timeout]);
    client.send(req.command === "halt" ? buildHaltFrame(req.reason ?? "") : buildResumeFrame(req.all ?? false));
    return await Promise.race([ack, timeout]);
  } finally {
    clearTimeout(timer);
    client.close();
  }
}
