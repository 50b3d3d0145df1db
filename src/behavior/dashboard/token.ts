import { timingSafeEqual } from "node:crypto";

/**
 * The control token (docs/dashboard.md "The token model"): AP_DASHBOARD_TOKEN, else 32 random bytes as hex made at
 * start. It only authorises POST /api/halt and /api/resume; the page never receives it from the server (the user
 * types it, or opens the URL with #token=..., a fragment the browser never sends).
 */
export function resolveToken(env: Record<string, string | undefined> = process.env): {
  token: string;
  generated: boolean;
} {
  const given = env.AP_DASHBOARD_TOKEN;
  if (given !== undefined && given.length > 0) return { token: given, generated: false };
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return { token: Buffer.from(bytes).toString("hex"), generated: true };
}

/** True when the request carries `Authorization: Bearer <token>`; compared in constant time. */
export function bearerMatches(request: Request, token: string): boolean {
  const header = request.headers.get("authorization") ?? "";
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (m === null) return false;
  const given = Buffer.from(m[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
