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

/**
 * Parse `value` with `schema`; on failure throw an InputError whose message names each bad field.
 * `what` names the thing being parsed ("run config", "request body", "dataset row 12").
 */
export function parseOrThrow<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = issuesOf(result.error);
  const first = issues[0];
  const detail = issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ");
  throw new InputError(`invalid ${what}: ${detail}`, { field: first?.path, cause: result.error });
}
