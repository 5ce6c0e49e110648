import type { Context } from "hono";

/** A URL's search parameters as zod input: one value as a string, a repeated one as an array (refused later). */
export function singleParams(search: URLSearchParams): Record<string, string | string[]> {
  const raw: Record<string, string | string[]> = {};
  for (const name of new Set(search.keys())) {
    const values = search.getAll(name);
    raw[name] = values.length === 1 ? (values[0] ?? "") : values;
  }
  return raw;
}

export function searchOf(context: Context): URLSearchParams {
  return new URL(context.req.url).searchParams;
}
