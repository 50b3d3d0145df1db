import { OutcomeUnknownError, RetrySafeError } from "./errors.ts";

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: unknown;
}

/**
 * One HTTP exchange with a venue, with the transport failures mapped to outcomes. A connection refused or a DNS
 * failure means no byte reached the venue: retry-safe. A timeout, a reset or an unreadable answer after sending a
 * state-changing request (`changesState`) is outcome-unknown; for a read it is retry-safe (reads change nothing).
 * The request text is never put into an error (it carries the API key header and the signature).
 */
export async function venueFetch(params: {
  venue: string;
  url: string;
  init: RequestInit;
  timeoutMs: number;
  changesState: boolean;
  /** Names the call in errors: "AddOrder", "POST /api/v3/order". */
  call: string;
}): Promise<HttpAnswer> {
  const { venue, call, changesState } = params;
  let res: Response;
  try {
    res = await fetch(params.url, { ...params.init, signal: AbortSignal.timeout(params.timeoutMs) });
  } catch (e) {
    const err = e as { name?: string; code?: string };
    const refused = err.code === "ConnectionRefused" || err.code === "ECONNREFUSED" || err.code === "ENOTFOUND";
    const timedOut = err.name === "TimeoutError" || err.name === "AbortError";
    const facts = { call, timeout_ms: params.timeoutMs, cause: timedOut ? "timeout" : (err.code ?? err.name) };
    if (refused || !changesState) {
      return Promise.reject(
        new RetrySafeError({
          code: "VenueUnreachable",
          message: `${venue} ${call}: ${timedOut ? "no answer in time" : "request failed"}`,
          venue,
          facts,
          hint: refused ? "nothing reached the venue: the request may be sent again" : "a read: safe to repeat",
        }),
      );
    }
    return Promise.reject(
      new OutcomeUnknownError({
        code: "OutcomeUnknown",
        message: `${venue} ${call}: ${timedOut ? "no answer in time" : "connection lost"} after sending`,
        venue,
        facts,
        hint: "do not resend: query the order by its client id until the venue's answer is known",
      }),
    );
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    const facts = { call, http_status: res.status };
    if (!changesState) {
      throw new RetrySafeError({
        code: "VenueBadAnswer",
        message: `${venue} ${call}: answer is not JSON`,
        venue,
        facts,
      });
    }
    throw new OutcomeUnknownError({
      code: "OutcomeUnknown",
      message: `${venue} ${call}: answer is not JSON`,
      venue,
      facts,
      httpStatus: res.status,
      hint: "do not resend: query the order by its client id",
    });
  }
  return { status: res.status, headers: res.headers, body };
}
