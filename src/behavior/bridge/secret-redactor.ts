/**
 * Redaction of NATS credentials for every line the bridge writes (logs, stats, errors). Secrets come from the
 * environment (docs/bridge.md, "Security"); each one of at least 4 characters is replaced by `***` wherever it
 * appears, and any URL user-info (`nats://user:pass@host`) is cut to `***@` even when the password was not known.
 * test/behavior/bridge checks that a password given in the URL or the environment reaches no log and no stats line.
 */
export function createSecretRedactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const known = secrets.filter((s): s is string => typeof s === "string" && s.length >= 4);
  // Longest first: a secret containing another is removed whole.
  known.sort((a, b) => b.length - a.length);
  return (text: string): string => {
    let out = text.replace(USER_INFO, "$1***@");
    for (const s of known) if (out.includes(s)) out = out.split(s).join("***");
    return out;
  };
}

/** `scheme://user[:pass]@` and a bare `user:pass@host` (a NATS server entry may omit the scheme). */
const USER_INFO = /(^|[\s,"'[(=]|[a-z][a-z0-9+.-]*:\/\/)[^\s/@,"']+@/gi;
