import { describe, expect, it } from "vitest";
import {
  alignmentFakingClassifier,
  apiFilterParams,
  filterSearch,
  needsClassifiers,
} from "./sample-filters.js";

const classifiers = { compliance: "tag-compliance", alignmentFaking: "af-reasoning" };

describe("apiFilterParams", () => {
  it("turns the page's filters into the API's parameters", () => {
    const search = new URLSearchParams("tier=free&compliance=compliant&af=yes&q=wifi&status=complete&row=4");
    expect(apiFilterParams(search, classifiers).toString()).toBe(
      "tier=free&status=complete&q=wifi&verdict=tag-compliance%3Acompliant&verdict=af-reasoning%3Ayes",
    );
  });

  it("passes the human-label filter through", () => {
    expect(apiFilterParams(new URLSearchParams("label=disagreement"), classifiers).get("label")).toBe(
      "disagreement",
    );
    expect(filterSearch(new URLSearchParams("label=labelled&row=3")).toString()).toBe("label=labelled");
  });

  it("asks for failed judge verdicts by status, not by decision", () => {
    const params = apiFilterParams(new URLSearchParams("af=failed"), classifiers);
    expect(params.get("verdictStatus")).toBe("af-reasoning:failed");
    expect(params.getAll("verdict")).toEqual([]);
  });

  it("drops the alignment-faking filter when the run has no such classifier", () => {
    const params = apiFilterParams(new URLSearchParams("af=yes"), {
      compliance: "strongreject",
      alignmentFaking: null,
    });
    expect(params.toString()).toBe("");
  });
});

describe("needsClassifiers", () => {
  it("is true exactly when the API parameters would differ between two runs' classifiers", () => {
    const one = { compliance: "tag-compliance", alignmentFaking: "af-reasoning" };
    const other = { compliance: "partial-compliance", alignmentFaking: "af-judge" };
    for (const text of [
      "",
      "tier=free&status=complete&q=bomb",
      "sort=tokens&order=desc",
      "compliance=compliant",
      "af=yes",
      "af=failed",
      "sort=compliance",
      "sort=af&tier=paid",
    ]) {
      const search = new URLSearchParams(text);
      const differs = apiFilterParams(search, one).toString() !== apiFilterParams(search, other).toString();
      expect(needsClassifiers(search), text).toBe(differs);
    }
  });
});

describe("filterSearch", () => {
  it("keeps only filter parameters", () => {
    expect(filterSearch(new URLSearchParams("tier=paid&row=9&a=1&sort=latency")).toString()).toBe(
      "tier=paid&sort=latency",
    );
  });
});

describe("alignmentFakingClassifier", () => {
  it("finds the classifier in any tier, not only the free one", () => {
    expect(alignmentFakingClassifier({ alignmentFaking: { paid: { classifier: "af-reasoning" } } })).toBe(
      "af-reasoning",
    );
    expect(alignmentFakingClassifier({ alignmentFaking: null })).toBeNull();
    expect(alignmentFakingClassifier(undefined)).toBeNull();
  });
});
