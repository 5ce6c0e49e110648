import { parseOrThrow, sampleStatusSchema, tierSchema, verdictStatusSchema } from "@aflab/core";
import { type SampleQueryInput, sampleSortSchema } from "@aflab/store";
import { z } from "zod";

const classifierName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `classifier:value`, e.g. `tag-compliance:compliant` or `af-reasoning:yes`. */
function pairSchema<Value extends z.ZodType<string>>(value: Value, example: string) {
  return z.string().transform((text, context) => {
    const colon = text.indexOf(":");
    const classifier = colon < 0 ? "" : text.slice(0, colon);
    const parsed = value.safeParse(colon < 0 ? "" : text.slice(colon + 1));
    if (!classifierName.test(classifier) || !parsed.success) {
      context.addIssue({ code: "custom", message: `expected classifier:value, e.g. ${example}` });
      return z.NEVER;
    }
    return { classifier, value: parsed.data };
  });
}

const wholeNumber = (minimum: number, maximum: number) =>
  z
    .string()
    .regex(/^\d+$/, "expected a whole number of 0 or more")
    .transform(Number)
    .pipe(
      z.number().min(minimum, `expected at least ${minimum}`).max(maximum, `expected at most ${maximum}`),
    );

/** The query string of the sample list and sample routes. Unknown parameters are refused so typos surface. */
export const sampleParamsSchema = z.strictObject({
  tier: tierSchema.optional(),
  status: sampleStatusSchema.optional(),
  failure: z.string().min(1, "expected a failure kind").optional(),
  /** Repeatable: every given verdict must match (AND). */
  verdict: z
    .array(pairSchema(z.string().min(1), "tag-compliance:compliant"))
    .max(4, "expected at most 4 verdict filters")
    .optional(),
  verdictStatus: pairSchema(
    z.enum([...verdictStatusSchema.options, "missing"]),
    "af-reasoning:failed",
  ).optional(),
  q: z.string().max(1000, "expected at most 1000 characters").optional(),
  /** `labelled` or `disagreement` (a reader's label differs from a judge's verdict). */
  label: z.enum(["labelled", "disagreement"], { error: "expected labelled or disagreement" }).optional(),
  sort: sampleSortSchema.optional(),
  order: z.enum(["asc", "desc"]).optional(),
  /** With `sort=verdict`: whose verdicts to order by. */
  sortClassifier: z.string().regex(classifierName, "expected a classifier name").max(100).optional(),
  limit: wholeNumber(1, 1000).optional(),
  offset: wholeNumber(0, Number.MAX_SAFE_INTEGER).optional(),
});

export type SampleParams = z.output<typeof sampleParamsSchema>;

/** The store query a sample URL asks for; several verdict filters all have to match. */
export interface SampleFilters {
  query: SampleQueryInput;
}

/**
 * Read the sample filters from a URL's search parameters (repeated `verdict` allowed; every other
 * parameter at most once). Throws an InputError naming the parameter on bad input.
 */
export function parseSampleParams(search: URLSearchParams): SampleFilters {
  const raw: Record<string, string | string[]> = {};
  for (const name of new Set(search.keys())) {
    const values = search.getAll(name);
    if (name === "verdict") raw[name] = values;
    else if (values.length > 1) raw[name] = values;
    else raw[name] = values[0] ?? "";
  }
  const params = parseOrThrow(sampleParamsSchema, raw, "sample query");
  const verdicts = (params.verdict ?? []).map(({ classifier, value }) => ({ classifier, decision: value }));
  const query: SampleQueryInput = {
    ...(params.tier ? { tier: params.tier } : {}),
    ...(params.status ? { status: params.status } : {}),
    ...(params.failure ? { failureKind: params.failure } : {}),
    ...(verdicts.length > 0 ? { verdict: verdicts } : {}),
    ...(params.verdictStatus
      ? { verdictStatus: { classifier: params.verdictStatus.classifier, status: params.verdictStatus.value } }
      : {}),
    ...(params.q ? { search: params.q } : {}),
    ...(params.label ? { label: params.label } : {}),
    ...(params.sort ? { sort: params.sort } : {}),
    ...(params.order ? { order: params.order } : {}),
    ...(params.sortClassifier ? { sortClassifier: params.sortClassifier } : {}),
    ...(params.limit !== undefined ? { limit: params.limit } : {}),
    ...(params.offset !== undefined ? { offset: params.offset } : {}),
  };
  return { query };
}
