/**
 * Key-shaped strings: provider secret keys (`sk-...`, `sk-ant-...`), bearer credentials, and long
 * `key=`/`token=` assignments. Runs never store keys, but error messages from SDKs or model output may
 * echo one, so every response passes through this before it leaves the server.
 */
const keyPatterns: RegExp[] = [
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g,
  /\b(?:xai|gsk|pplx|hf|ghp|github_pat)_[A-Za-z0-9_]{16,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{12,}/gi,
  /\b((?:api[_-]?key|access[_-]?token|secret|token)\s*[=:]\s*["']?)[A-Za-z0-9._~+/-]{16,}/gi,
];

const redacted = "[redacted]";

/** `scheme://user:password@host`: a base URL may carry a proxy's credentials; the password goes. */
const urlCredentials = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#:@]+:)[^\s/?#@]+@/gi;

/** Values of secret-looking environment variables at start-up, so an exact echo of one is caught too. */
export function secretsFromEnvironment(environment: Record<string, string | undefined>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(environment)) {
    if (!value || value.length < 8) continue;
    if (/(?:_API_KEY|_TOKEN|_SECRET|_PASSWORD)$/i.test(name) || /^(?:API_KEY|TOKEN|SECRET)$/i.test(name)) {
      secrets.push(value);
    }
  }
  return secrets;
}

/** Replace anything that looks like an API key, a password in a URL, or one of `known` with `[redacted]`. */
export function scrubSecrets(text: string, known: readonly string[] = []): string {
  let result = text;
  for (const secret of known) {
    if (secret.length >= 8 && result.includes(secret)) result = result.split(secret).join(redacted);
  }
  result = result.replace(urlCredentials, (_match, prefix: string) => `${prefix}${redacted}@`);
  for (const pattern of keyPatterns) {
    result = result.replace(pattern, (match, prefix?: unknown) =>
      typeof prefix === "string" && match.startsWith(prefix) ? `${prefix}${redacted}` : redacted,
    );
  }
  return result;
}

/** Scrub every string inside a JSON-like value (objects, arrays), returning a new value. */
export function scrubDeep(value: unknown, known: readonly string[] = []): unknown {
  if (typeof value === "string") return scrubSecrets(value, known);
  if (Array.isArray(value)) return value.map((item) => scrubDeep(item, known));
  if (value !== null && typeof value === "object") {
    const result: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) result[key] = scrubDeep(item, known);
    return result;
  }
  return value;
}
