import { OnchainError } from "./errors.ts";

/** An answer with a JSON-RPC error object: the endpoint received the request and refused it. */
export class RpcRefusedError extends OnchainError {
  override readonly name = "RpcRefusedError";
  readonly rpcCode: number;
  /** The revert data of a failed eth_call / eth_estimateGas, when the node returned it. */
  readonly data: string | undefined;

  constructor(method: string, url: string, error: { code: number; message: string; data?: unknown }) {
    super({
      code: "RpcRefused",
      message: error.message,
      facts: { method, endpoint: redactUrl(url), rpc_code: error.code },
      retrySafe: true,
    });
    this.rpcCode = error.code;
    this.data = typeof error.data === "string" ? error.data : undefined;
  }
}

/**
 * No usable answer. `written` says whether the request may have reached the endpoint: a refused connection did not
 * (retry is safe); a timeout, a reset or a non-JSON answer may have (for a send, the outcome is unknown).
 */
export class RpcTransportError extends OnchainError {
  override readonly name = "RpcTransportError";
  readonly written: boolean;

  constructor(method: string, url: string, cause: string, written: boolean) {
    super({
      code: written ? "RpcNoAnswer" : "RpcUnreachable",
      message: written ? "the request was sent and no answer came back" : "the endpoint could not be reached",
      facts: { method, endpoint: redactUrl(url), cause },
      retrySafe: !written,
    });
    this.written = written;
  }
}

/** Endpoint URLs may carry an API key in the path or query (private RPCs do): logs show scheme, host and port. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname === "/" && !u.search ? "" : "/…"}`;
  } catch {
    return "<invalid url>";
  }
}

const CONNECT_ERRORS = new Set(["ConnectionRefused", "ECONNREFUSED", "FailedToOpenSocket", "ENOTFOUND"]);

/**
 * A minimal JSON-RPC 2.0 client over fetch (keep-alive by default in Bun). Used on the submit path instead of a viem
 * transport because it must tell "refused with an answer" from "no answer" exactly, and costs one fetch per call.
 */
export class JsonRpc {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private id = 0;

  constructor(url: string, options: { timeoutMs?: number; headers?: Record<string, string> } = {}) {
    this.url = url;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.headers = { "content-type": "application/json", ...options.headers };
  }

  async call<T = unknown>(method: string, params: unknown[]): Promise<T> {
    const body = `{"jsonrpc":"2.0","id":${++this.id},"method":"${method}","params":${JSON.stringify(params)}}`;
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: "POST",
        headers: this.headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const code = (e as { code?: string }).code ?? (e as Error).name;
      throw new RpcTransportError(method, this.url, String(code), !CONNECT_ERRORS.has(String(code)));
    }
    let json: { result?: T; error?: { code: number; message: string; data?: unknown } };
    try {
      json = (await res.json()) as typeof json;
    } catch (e) {
      throw new RpcTransportError(method, this.url, `HTTP ${res.status}: ${(e as Error).name}`, true);
    }
    if (json.error) throw new RpcRefusedError(method, this.url, json.error);
    return json.result as T;
  }
}
