import { describe, expect, it } from "vitest";
import { findModel, modelCatalog, retirementWarning } from "./models.js";
import { costOf, defaultPricing, priceFor } from "./pricing.js";

describe("the model catalog", () => {
  it("dates and sources every entry, and never prices a model at 0", () => {
    for (const entry of modelCatalog) {
      expect(entry.checked, entry.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(entry.source, entry.id).toMatch(/^https:\/\/(platform\.claude\.com|developers\.openai\.com)\//);
      for (const price of Object.values(entry.price)) {
        if (price !== null) expect(price, entry.id).toBeGreaterThan(0);
      }
      // Batch is half the standard price at both providers.
      expect(entry.batch.input).toBe(entry.price.input === null ? null : entry.price.input / 2);
      expect(entry.batch.output).toBe(entry.price.output === null ? null : entry.price.output / 2);
    }
  });

  it("names ids and aliases once", () => {
    const names = modelCatalog.flatMap((entry) => [
      `${entry.provider}/${entry.id}`,
      ...entry.aliases.map((alias) => `${entry.provider}/${alias}`),
    ]);
    expect(new Set(names).size).toBe(names.length);
  });

  it("sends retired models to a model that is in the catalog and served", () => {
    for (const entry of modelCatalog.filter((candidate) => candidate.retirement)) {
      const replacement = findModel(entry.retirement?.replacement ?? "");
      expect(replacement, `${entry.id} → ${entry.retirement?.replacement}`).toBeDefined();
      expect(replacement?.retirement, `${entry.id}'s replacement is retired too`).toBeUndefined();
    }
  });

  it("warns about Claude 3 Opus, retired on 2026-01-05, and names a current model", () => {
    expect(retirementWarning("anthropic/claude-3-opus-20240229")).toBe(
      "anthropic/claude-3-opus-20240229 was retired on 2026-01-05 (requests to it fail on the provider's API): use a current model such as anthropic/claude-opus-5-5",
    );
    expect(retirementWarning("anthropic/claude-3-5-sonnet-20240620")).toContain(
      "anthropic/claude-sonnet-4-6",
    );
    expect(retirementWarning("anthropic/claude-sonnet-4-6")).toBeUndefined();
    expect(retirementWarning("openai-compatible/claude-3-opus-20240229")).toBeUndefined();
  });
});

describe("pricing from the catalog", () => {
  it("finds a model by id and by alias", () => {
    expect(priceFor("claude-haiku-4-5")).toEqual({ input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 });
    expect(priceFor("claude-haiku-4-5-20251001")).toEqual(priceFor("claude-haiku-4-5"));
    expect(priceFor("gpt-4.1-2025-04-14")).toEqual({ input: 2, output: 8, cacheWrite: 2, cacheRead: 0.5 });
    expect(priceFor("a-model-nobody-lists")).toBeUndefined();
    expect(Object.keys(defaultPricing)).toContain("o4-mini");
  });

  it("keeps an unknown price unknown: a cost that needs it is null, not a partial sum", () => {
    const price = { input: 2, output: 10, cacheWrite: 2.5, cacheRead: null };
    const usage = { inputTokens: 1_000, outputTokens: 100, cacheWriteTokens: 0, cacheReadTokens: 0 };
    expect(costOf(usage, price)).toBeCloseTo((1_000 * 2 + 100 * 10) / 1e6, 12);
    expect(costOf({ ...usage, cacheReadTokens: 5_000 }, price)).toBeNull();
  });
});
