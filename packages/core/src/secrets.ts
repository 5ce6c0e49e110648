/**
 * Key-shaped strings: provider secret keys (`sk-...`, `sk-ant-...`, `sk-proj-...` and other vendors'
 * prefixes), bearer credentials, and long `key=`/`token=` assignments. A model may echo a key it was shown,
 * an SDK error may quote one: the engine redacts them before anything is stored, and the API again before
 * anything leaves the server.
 */
const keyPatterns: RegExp[] = [
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g,
  /\b(?:xai|gsk|pplx|hf|ghp|github_pat)_[A-Za-z0-9_]{16,}/g,
  /\bBearer\s+[A-Za-z0-9._~+/=-]{12,}/gi,
  /\b((?:api[_-]?key|access[_-]?token|secret|token)\s*[=:]\s*["']?)[A-Za-z0-9._~+/-]{16,}/gi,
];

/** What a redacted secret is replaced with. */
export const redactedMarker = "[redacted]";

/** `scheme://user:password@host`: a base URL may carry a proxy's credentials; the password goes. */
const urlCredentials = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#:@]+:)[^\s/?#@]+@/gi;

/** Known secret values shorter than this are not searched for: they would match ordinary text. */
const shortestKnownSecret = 8;

/**
 * Values of secret-looking environment variables (`*_API_KEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`), so an
 * exact echo of one is caught even when it does not look like a key.
 */
export function secretsFromEnvironment(environment: Record<string, string | undefined>): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(environment)) {
    if (!value || value.length < shortestKnownSecret) continue;
    if (/(?:_API_KEY|_TOKEN|_SECRET|_PASSWORD)$/i.test(name) || /^(?:API_KEY|TOKEN|SECRET)$/i.test(name)) {
      secrets.push(value);
    }
  }
  return secrets;
}

/** A text with its secrets replaced, and how many were replaced. */
export interface Redaction<Value> {
  value: Value;
  count: number;
}

/**
 * Replace every key-shaped string, password written into a URL, and occurrence of one of `known` with
 * `[redacted]`, counting the replacements.
 */
export function redactSecrets(text: string, known: readonly string[] = []): Redaction<string> {
  let result = text;
  let count = 0;
  for (const secret of known) {
    if (secret.length < shortestKnownSecret || !result.includes(secret)) continue;
    const parts = result.split(secret);
    count += parts.length - 1;
    result = parts.join(redactedMarker);
  }
  result = result.replace(urlCredentials, (_match, prefix: string) => {
    count++;
    return `${prefix}${redactedMarker}@`;
  });
  for (const pattern of keyPatterns) {
    result = result.replace(pattern, (match, prefix?: unknown) => {
      count++;
      return typeof prefix === "string" && match.startsWith(prefix)
        ? `${prefix}${redactedMarker}`
        : redactedMarker;
    });
  }
  return { value: result, count };
}

/** Replace anything that looks like an API key, a password in a URL, or one of `known` with `[redacted]`. */
export function scrubSecrets(text: string, known: readonly string[] = []): string {
  return redactSecrets(text, known).value;
}

/** Whether `text` holds anything `redactSecrets` would replace. */
export function containsSecret(text: string, known: readonly string[] = []): boolean {
  return redactSecrets(text, known).count > 0;
}

/**
 * Redact every string inside a JSON-like value (objects, arrays), returning a new value and the number of
 * replacements. Other values are kept as they are.
 */
export function redactSecretsDeep<Value>(value: Value, known: readonly string[] = []): Redaction<Value> {
  let count = 0;
  const visit = (item: unknown): unknown => {
    if (typeof item === "string") {
      const redacted = redactSecrets(item, known);
      count += redacted.count;
      return redacted.value;
    }
    if (Array.isArray(item)) return item.map(visit);
    if (item !== null && typeof item === "object") {
      const result: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(item)) result[key] = visit(inner);
      return result;
    }
    return item;
  };
  const result = visit(value) as Value;
  return { value: result, count };
}

/** Scrub every string inside a JSON-like value (objects, arrays), returning a new value. */
export function scrubDeep(value: unknown, known: readonly string[] = []): unknown {
  return redactSecretsDeep(value, known).value;
}

/** The sample flag that records how many secrets were redacted from a model's output before storage. */
export const secretRedactedFlag = "secret_redacted";

/** `secret_redacted:3`: the flag with its count. */
export function secretRedactedFlagOf(count: number): string {
  return `${secretRedactedFlag}:${count}`;
}
