/**
 * The sample table's filters live in the page URL under short names; this turns them into the API's
 * query parameters. Kept apart from the components so both the table and the transcript page use it.
 */
export const filterNames = [
  "tier",
  "compliance",
  "af",
  "status",
  "failure",
  "label",
  "q",
  "sort",
  "order",
] as const;

export interface FilterClassifiers {
  compliance: string;
  alignmentFaking: string | null;
}

/** API parameters for the filters in `search` (the page URL's parameters). */
export function apiFilterParams(search: URLSearchParams, classifiers: FilterClassifiers): URLSearchParams {
  const params = new URLSearchParams();
  const copy = (from: string, to = from) => {
    const value = search.get(from);
    if (value) params.set(to, value);
  };
  copy("tier");
  copy("status");
  copy("failure");
  copy("label");
  copy("q");
  copy("order");
  // The table's verdict columns sort by that classifier's outcome; the others by a stored column.
  const sort = search.get("sort");
  if (sort === "compliance") {
    params.set("sort", "verdict");
    params.set("sortClassifier", classifiers.compliance);
  } else if (sort === "af" && classifiers.alignmentFaking) {
    params.set("sort", "verdict");
    params.set("sortClassifier", classifiers.alignmentFaking);
  } else if (sort && sort !== "af") params.set("sort", sort);
  const compliance = search.get("compliance");
  if (compliance) params.append("verdict", `${classifiers.compliance}:${compliance}`);
  const af = search.get("af");
  if (af && classifiers.alignmentFaking) {
    if (af === "failed") params.set("verdictStatus", `${classifiers.alignmentFaking}:failed`);
    else params.append("verdict", `${classifiers.alignmentFaking}:${af}`);
  }
  return params;
}

/**
 * Whether turning `search` into API parameters needs the run's classifiers (a verdict filter or sort).
 * Without one, a page can ask for samples at once instead of after the run's report.
 */
export function needsClassifiers(search: URLSearchParams): boolean {
  const sort = search.get("sort");
  return search.has("compliance") || search.has("af") || sort === "compliance" || sort === "af";
}

/** Only the filter parameters of `search` (to carry them from the table to a transcript and back). */
export function filterSearch(search: URLSearchParams): URLSearchParams {
  const kept = new URLSearchParams();
  for (const name of filterNames) {
    const value = search.get(name);
    if (value) kept.set(name, value);
  }
  return kept;
}

/** The run's alignment-faking classifier, from whichever tier the report has (a run may lack the free tier). */
export function alignmentFakingClassifier(
  summary: { alignmentFaking: Partial<Record<string, { classifier: string }>> | null } | undefined,
): string | null {
  const rates = Object.values(summary?.alignmentFaking ?? {});
  return rates.find((rate) => rate !== undefined)?.classifier ?? null;
}
