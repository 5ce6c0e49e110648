import type { z } from "zod";
import { InputError } from "./errors.js";

/** One zod issue as data: where it happened and what was expected. */
export interface ValidationIssue {
  code: string;
  path: string;
  message: string;
}

export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return "(root)";
  return path
    .map((part, index) =>
      typeof part === "number" ? `[${part}]` : `${index === 0 ? "" : "."}${String(part)}`,
    )
    .join("");
}

export function issuesOf(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({
    code: issue.code,
    path: formatPath(issue.path),
    message: issue.message,
  }));
}

/** Edit distance between two names, ignoring case, `-` and `_` (so `max-tokens` is `maxTokens`). */
function nameDistance(first: string, second: string): number {
  const a = first.toLowerCase().replace(/[-_]/g, "");
  const b = second.toLowerCase().replace(/[-_]/g, "");
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The candidate nearest to `name`, when it is near enough to be a likely misspelling (at most two edits,
 * and fewer than half of the name's letters); candidates are compared by their last dotted segment, so
 * `limt` finds `dataset.limit`. Earlier candidates win ties.
 *
 * @example closestName("epoch", ["model", "epochs"]) // "epochs"
 */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = nameDistance(name, candidate.slice(candidate.lastIndexOf(".") + 1));
    if (!best || distance < best.distance) best = { candidate, distance };
  }
  if (!best || best.distance > 2 || best.distance * 2 >= name.length) return undefined;
  return best.candidate;
}

/** Internal zod definitions, read only to list the keys an object schema accepts. */
interface SchemaInternals {
  _zod?: {
    def?: { type?: string; shape?: Record<string, unknown>; innerType?: unknown; in?: unknown };
  };
}

/** The keys of an object schema, looking through optional, default, nullable and pipe wrappers. */
function objectShape(schema: unknown): Record<string, unknown> | undefined {
  let current = schema as SchemaInternals | undefined;
  for (let depth = 0; depth < 8 && current?._zod?.def; depth++) {
    const def = current._zod.def;
    if (def.type === "object") return def.shape;
    current = (def.innerType ?? def.in) as SchemaInternals | undefined;
  }
  return undefined;
}

/** The raw issue zod hands to an error map for keys a strict object does not accept. */
interface UnknownKeysIssue {
  code: string;
  keys?: string[];
  path?: PropertyKey[];
  inst?: unknown;
}

/**
 * `unknown key 'epoch' in run config; did you mean 'epochs'?`: names every unknown key by its full path
 * and suggests the nearest valid key, looking one level down too (a top-level `limt` is most likely
 * `dataset.limit`). Without a near key it lists the valid ones.
 */
function describeUnknownKeys(issue: UnknownKeysIssue, what: string): string {
  const prefix = (issue.path ?? []).filter((part) => typeof part !== "symbol").map(String);
  const at = (...parts: string[]) => [...prefix, ...parts].join(".");
  const shape = objectShape(issue.inst) ?? {};
  const own = Object.keys(shape);
  const nested = own.flatMap((key) =>
    Object.keys(objectShape(shape[key]) ?? {}).map((inner) => `${key}.${inner}`),
  );
  return (issue.keys ?? [])
    .map((key) => {
      const near = closestName(key, [...own, ...nested]);
      const hint = near ? `did you mean '${at(near)}'?` : `valid keys: ${own.join(", ")}`;
      return `unknown key '${at(key)}' in ${what}; ${hint}`;
    })
    .join("; ");
}

/**
 * Parse `value` with `schema`; on failure throw an InputError whose message names each bad field.
 * `what` names the thing being parsed ("run config", "request body", "dataset row 12"). Keys that a
 * strict object does not accept come first, each with the nearest valid key.
 */
export function parseOrThrow<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.output<Schema> {
  const plain = schema.safeParse(value);
  if (plain.success) return plain.data;
  // Only a failure pays for the messages: parsed again with an error map that names unknown keys.
  const result = schema.safeParse(value, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? describeUnknownKeys(issue as UnknownKeysIssue, what) : undefined,
  });
  if (result.success) return result.data;
  const issues = issuesOf(result.error);
  const unknownKeys = issues.filter((issue) => issue.code === "unrecognized_keys");
  const others = issues.filter((issue) => issue.code !== "unrecognized_keys");
  const first = unknownKeys[0] ?? others[0];
  const detail = others.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  const message =
    unknownKeys.length > 0
      ? [
          ...unknownKeys.map((issue) => issue.message),
          ...(detail ? [`invalid ${what}: ${detail}`] : []),
        ].join("; ")
      : `invalid ${what}: ${detail}`;
  throw new InputError(message, { field: first?.path, cause: result.error });
}
