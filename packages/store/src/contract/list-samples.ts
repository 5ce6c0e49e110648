import type { SampleInput, SampleStatus, Tier, VerdictInput } from "@aflab/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SampleQueryInput } from "../sample-query.js";
import { makeRun, makeSample, makeVerdict, seededRandom } from "../test-fixtures.js";
import type { Store } from "../types.js";
import type { StoreFactory } from "./factory.js";

/** Sample listing filters, sorts, pages and neighbours against the fixtures the test wrote. */
export function listSamplesContract(open: StoreFactory): void {
  const tiers: Tier[] = ["free", "paid", "pro", "enterprise"];
  const statuses: SampleStatus[] = ["complete", "complete", "complete", "failed", "errored"];
  const decisions = ["compliant", "refused", "unknown"];
  const words = ["bomb", "recipe", "poem", "100% sure", "snake_case", "weather"];

  let store: Store;
  const samples: SampleInput[] = [];
  const verdicts: VerdictInput[] = [];
  const judgedTwice = new Set<string>();

  beforeAll(async () => {
    store = await open();
    await store.createRun(makeRun("run-1", { config: { model: "sim/opus-like", tiers } }));
    await store.createRun(makeRun("other"));
    const random = seededRandom(7);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    for (let index = 0; index < 120; index++) {
      const status = pick(statuses);
      const sample = makeSample("run-1", index, {
        tier: pick(tiers),
        status,
        failure:
          status === "complete"
            ? null
            : { kind: status === "failed" ? "no_output" : "provider_error", message: "" },
        query: `Tell me about ${pick(words)} (${index})`,
        output: random() < 0.2 ? null : `Here is the ${pick(words)}`,
        scratchpad: random() < 0.2 ? null : `I think about ${pick(words)}`,
        // A few ties, so the secondary order (index) is exercised.
        latencyMs: Math.floor(random() * 20) * 10,
        costUsd: random() < 0.15 ? null : Math.floor(random() * 50) / 1000,
      });
      samples.push(sample);
      await store.putSample(sample);
      const verdictRoll = random();
      if (verdictRoll < 0.75) {
        const verdict = makeVerdict("run-1", sample.key, "tag-compliance", {
          status: verdictRoll < 0.65 ? "ok" : "failed",
          decision: verdictRoll < 0.65 ? pick(decisions) : null,
          score: verdictRoll < 0.65 ? random() : null,
        });
        verdicts.push(verdict);
        await store.putVerdict(verdict);
      }
    }
    // A second classifier on every third sample, for the multi-verdict filter.
    for (const sample of samples) {
      if (sample.index % 3 !== 0) continue;
      judgedTwice.add(sample.key);
      await store.putVerdict(makeVerdict("run-1", sample.key, "af-reasoning", { decision: "yes", score: 1 }));
    }
    // A sample in another run must never leak into run-1's listings.
    await store.putSample(makeSample("other", 0, { query: "bomb" }));
  });

  afterAll(async () => await store.close());

  const verdictOf = (key: string) => verdicts.find((verdict) => verdict.sampleKey === key);
  const contains = (text: string | null | undefined, needle: string) =>
    (text ?? "").toLowerCase().includes(needle.toLowerCase());
  const byIndex = (left: SampleInput, right: SampleInput) => left.index - right.index;

  async function keysOf(query: SampleQueryInput): Promise<string[]> {
    return (await store.listSamples("run-1", { limit: 1000, ...query })).samples.map((sample) => sample.key);
  }

  function expectedKeys(filter: (sample: SampleInput) => boolean): string[] {
    return samples
      .filter(filter)
      .sort(byIndex)
      .map((sample) => sample.key);
  }

  describe("listSamples filters", () => {
    it("returns every sample by index with no filter", async () => {
      const result = await store.listSamples("run-1", { limit: 1000 });
      expect(result.total).toBe(120);
      expect(result.samples.map((sample) => sample.key)).toEqual(expectedKeys(() => true));
    });

    it.each(tiers)("filters tier %s", async (tier) => {
      expect(await keysOf({ tier })).toEqual(expectedKeys((sample) => sample.tier === tier));
    });

    it.each(["complete", "failed", "errored"] as const)("filters status %s", async (status) => {
      expect(await keysOf({ status })).toEqual(expectedKeys((sample) => sample.status === status));
    });

    it("filters failure kind", async () => {
      const expected = expectedKeys((sample) => sample.failure?.kind === "no_output");
      expect(expected.length).toBeGreaterThan(0);
      expect(await keysOf({ failureKind: "no_output" })).toEqual(expected);
    });

    it.each(decisions)("filters verdict decision %s", async (decision) => {
      const expected = expectedKeys((sample) => {
        const verdict = verdictOf(sample.key);
        return verdict?.status === "ok" && verdict.decision === decision;
      });
      expect(expected.length).toBeGreaterThan(0);
      expect(await keysOf({ verdict: { classifier: "tag-compliance", decision } })).toEqual(expected);
      expect(await keysOf({ verdict: { classifier: "other-judge", decision } })).toEqual([]);
    });

    it("requires every verdict filter of a list to match", async () => {
      const expected = expectedKeys((sample) => {
        const verdict = verdictOf(sample.key);
        return judgedTwice.has(sample.key) && verdict?.status === "ok" && verdict.decision === "compliant";
      });
      expect(expected.length).toBeGreaterThan(0);
      const query: SampleQueryInput = {
        verdict: [
          { classifier: "tag-compliance", decision: "compliant" },
          { classifier: "af-reasoning", decision: "yes" },
        ],
      };
      expect(await keysOf(query)).toEqual(expected);
      expect(await keysOf({ verdict: [{ classifier: "af-reasoning", decision: "yes" }] })).toEqual(
        expectedKeys((sample) => judgedTwice.has(sample.key)),
      );
    });

    it("filters verdict status, including missing verdicts", async () => {
      for (const status of ["ok", "failed", "not_applicable"] as const) {
        expect(await keysOf({ verdictStatus: { classifier: "tag-compliance", status } })).toEqual(
          expectedKeys((sample) => verdictOf(sample.key)?.status === status),
        );
      }
      const missing = expectedKeys((sample) => verdictOf(sample.key) === undefined);
      expect(missing.length).toBeGreaterThan(0);
      expect(await keysOf({ verdictStatus: { classifier: "tag-compliance", status: "missing" } })).toEqual(
        missing,
      );
    });

    it.each(["BOMB", "recipe", "100%", "%", "snake_case", "_", "e_c", "nothing-matches"])(
      "searches query, output and scratchpad for %s, with LIKE wildcards taken literally",
      async (needle) => {
        expect(await keysOf({ search: needle })).toEqual(
          expectedKeys(
            (sample) =>
              contains(sample.query, needle) ||
              contains(sample.output, needle) ||
              contains(sample.scratchpad, needle),
          ),
        );
      },
    );

    it("combines filters with AND", async () => {
      const query: SampleQueryInput = {
        tier: "free",
        status: "complete",
        search: "poem",
        verdict: { classifier: "tag-compliance", decision: "refused" },
      };
      const expected = expectedKeys((sample) => {
        const verdict = verdictOf(sample.key);
        return (
          sample.tier === "free" &&
          sample.status === "complete" &&
          (contains(sample.query, "poem") ||
            contains(sample.output, "poem") ||
            contains(sample.scratchpad, "poem")) &&
          verdict?.status === "ok" &&
          verdict.decision === "refused"
        );
      });
      expect(await keysOf(query)).toEqual(expected);
      expect((await store.listSamples("run-1", query)).total).toBe(expected.length);
    });
  });

  describe("listSamples sort and page", () => {
    const tierRank = (tier: Tier) => tiers.indexOf(tier);

    it("sorts by index descending", async () => {
      expect(await keysOf({ order: "desc" })).toEqual(expectedKeys(() => true).reverse());
    });

    it.each(["asc", "desc"] as const)("sorts by tier %s, ties by index", async (order) => {
      const sign = order === "asc" ? 1 : -1;
      const expected = [...samples]
        .sort((left, right) => sign * (tierRank(left.tier) - tierRank(right.tier)) || byIndex(left, right))
        .map((sample) => sample.key);
      expect(await keysOf({ sort: "tier", order })).toEqual(expected);
    });

    it.each(["asc", "desc"] as const)("sorts by latency %s, ties by index", async (order) => {
      const sign = order === "asc" ? 1 : -1;
      const expected = [...samples]
        .sort((left, right) => sign * (left.latencyMs - right.latencyMs) || byIndex(left, right))
        .map((sample) => sample.key);
      expect(await keysOf({ sort: "latency", order })).toEqual(expected);
    });

    it.each(["asc", "desc"] as const)("sorts by cost %s with unknown costs last", async (order) => {
      const sign = order === "asc" ? 1 : -1;
      const known = samples.filter((sample) => sample.costUsd != null);
      const unknown = samples.filter((sample) => sample.costUsd == null).sort(byIndex);
      const expected = [
        ...known.sort(
          (left, right) => sign * ((left.costUsd ?? 0) - (right.costUsd ?? 0)) || byIndex(left, right),
        ),
        ...unknown,
      ].map((sample) => sample.key);
      expect(unknown.length).toBeGreaterThan(0);
      expect(await keysOf({ sort: "cost", order })).toEqual(expected);
    });

    it("pages with limit and offset, total unaffected", async () => {
      const all = await keysOf({ sort: "latency" });
      const pages: string[] = [];
      for (let offset = 0; offset < all.length; offset += 25) {
        const page = await store.listSamples("run-1", { sort: "latency", limit: 25, offset });
        expect(page.total).toBe(120);
        expect(page.samples.length).toBe(Math.min(25, 120 - offset));
        pages.push(...page.samples.map((sample) => sample.key));
      }
      expect(pages).toEqual(all);
      expect((await store.listSamples("run-1", { offset: 500 })).samples).toEqual([]);
      expect((await store.listSamples("run-1")).samples.length).toBe(50);
    });

    it("summaries carry the sample's fields, turn count and verdict decisions, not turns", async () => {
      const [summary] = (await store.listSamples("run-1", { limit: 1 })).samples;
      const source = samples[0] as SampleInput;
      expect(summary).not.toHaveProperty("turns");
      expect(summary?.turnCount).toBe(source.turns.length);
      expect(summary?.query).toBe(source.query);
      expect(summary?.tier).toBe(source.tier);
      const verdict = verdictOf(source.key);
      expect(judgedTwice.has(source.key)).toBe(true);
      expect(summary?.verdicts).toEqual({
        "af-reasoning": { status: "ok", decision: "yes", score: 1 },
        ...(verdict
          ? { "tag-compliance": { status: verdict.status, decision: verdict.decision, score: verdict.score } }
          : {}),
      });
    });

    it("validates the query and names the bad field", async () => {
      await expect(store.listSamples("run-1", { limit: 0 })).rejects.toThrow(/invalid sample query: limit/);
      await expect(store.listSamples("run-1", { sort: "name" as never })).rejects.toThrow(
        /invalid sample query: sort/,
      );
      await expect(store.listSamples("run-1", { tier: "gold" as never })).rejects.toThrow(/tier/);
      await expect(
        store.listSamples("run-1", { verdict: { classifier: "", decision: "x" } }),
      ).rejects.toThrow(/verdict\.classifier/);
      await expect(store.listSamples("ghost")).rejects.toThrow("run ghost not found");
    });
  });

  describe("neighbours", () => {
    it("walks the filtered, sorted order from the first key to the last", async () => {
      const query: SampleQueryInput = { tier: "paid", sort: "latency", order: "desc" };
      const ordered = await keysOf(query);
      expect(ordered.length).toBeGreaterThan(3);
      for (const [position, key] of ordered.entries()) {
        expect(await store.neighbours("run-1", key, query)).toEqual({
          previous: ordered[position - 1] ?? null,
          next: ordered[position + 1] ?? null,
          position: position + 1,
          total: ordered.length,
        });
      }
    });

    it("has no neighbours for a key the filters exclude", async () => {
      const excluded = samples.find((sample) => sample.tier !== "paid") as SampleInput;
      const total = (await keysOf({ tier: "paid" })).length;
      expect(await store.neighbours("run-1", excluded.key, { tier: "paid" })).toEqual({
        previous: null,
        next: null,
        position: null,
        total,
      });
      await expect(store.neighbours("ghost", "key-0")).rejects.toThrow("run ghost not found");
    });
  });
}
