import type { SampleInput, SampleStatus, Tier, VerdictInput, VerdictStatus } from "@aflab/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collect, makeRun, makeSample, makeVerdict, seededRandom } from "../test-fixtures.js";
import type { Store } from "../types.js";
import type { StoreFactory } from "./factory.js";

/** Aggregates against counts recomputed from the fixtures the test wrote. */
export function aggregatesContract(open: StoreFactory): void {
  // A run with every combination that matters: generation statuses, verdict statuses, missing verdicts,
  // decisions outside the compliance vocabulary, unpriced samples.
  const runTiers: Tier[] = ["free", "paid", "pro"];
  const compliance = "tag-compliance";
  const judge = "af-reasoning";

  let store: Store;
  const samples: SampleInput[] = [];
  const verdicts: VerdictInput[] = [];

  beforeAll(async () => {
    store = await open();
    // `enterprise` is in the config but gets no samples; `pro` samples exist.
    await store.createRun(
      makeRun("run-1", {
        total: 400,
        config: { model: "sim/opus-like", tiers: [...runTiers, "enterprise"] },
      }),
    );
    await store.createRun(makeRun("noise"));
    const random = seededRandom(42);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
    const sampleStatuses: SampleStatus[] = [
      "complete",
      "complete",
      "complete",
      "complete",
      "failed",
      "errored",
    ];
    const verdictStatuses: (VerdictStatus | "none")[] = [
      "ok",
      "ok",
      "ok",
      "ok",
      "ok",
      "failed",
      "not_applicable",
      "none",
    ];
    for (let index = 0; index < 400; index++) {
      const status = pick(sampleStatuses);
      const priced = random() > 0.1;
      const sample = makeSample("run-1", index, {
        tier: pick(runTiers),
        status,
        failure: status === "complete" ? null : { kind: status, message: "" },
        usage: {
          inputTokens: Math.floor(random() * 1000),
          outputTokens: Math.floor(random() * 200),
          cacheWriteTokens: Math.floor(random() * 3) * 100,
          cacheReadTokens: Math.floor(random() * 5) * 100,
          // Some providers report reasoning tokens, most do not: both kinds are in the run.
          ...(index % 3 === 0 ? { reasoningTokens: index % 50 } : {}),
        },
        costUsd: priced ? Math.floor(random() * 1000) / 10_000 : null,
        retries: Math.floor(random() * 3),
        // A third of the samples were refused by the provider (whatever their verdict says).
        refusal: index % 3 === 1 ? { kind: "api_refusal", message: 'stop_reason "refusal"' } : null,
      });
      samples.push(sample);
      await store.putSample(sample);
      for (const [classifier, vocabulary] of [
        [compliance, ["compliant", "refused", "unknown", "partial"]],
        [judge, ["yes", "no", "maybe"]],
      ] as const) {
        const verdictStatus = pick(verdictStatuses);
        if (verdictStatus === "none") continue;
        const verdict = makeVerdict("run-1", sample.key, classifier, {
          status: verdictStatus,
          decision: verdictStatus === "ok" ? (random() < 0.05 ? null : pick(vocabulary)) : null,
          failure:
            verdictStatus === "failed" ? { kind: pick(["no_verdict", "ambiguous"]), message: "" } : null,
          usage: {
            inputTokens: 300,
            outputTokens: Math.floor(random() * 50),
            cacheWriteTokens: 0,
            cacheReadTokens: 0,
          },
          costUsd: Math.floor(random() * 100) / 100_000,
        });
        verdicts.push(verdict);
        await store.putVerdict(verdict);
      }
    }
    for (let index = 0; index < 5; index++) {
      await store.putSample(makeSample("noise", index));
      await store.putVerdict(makeVerdict("noise", `key-${index}`, compliance));
    }
  });

  afterAll(async () => await store.close());

  function verdictFor(key: string, classifier: string): VerdictInput | undefined {
    return verdicts.find((verdict) => verdict.sampleKey === key && verdict.classifier === classifier);
  }

  /** The outcome rule, restated independently of the SQL. */
  function outcome(key: string, classifier: string): string {
    const verdict = verdictFor(key, classifier);
    if (!verdict) return "missing";
    if (verdict.status !== "ok") return verdict.status;
    return verdict.decision ?? "no_decision";
  }

  describe("aggregates", () => {
    it("tierCounts matches counts computed from the fixtures", async () => {
      type Bucket = {
        n: number;
        compliant: number;
        refused: number;
        apiRefused: number;
        unknown: number;
        failed: number;
      };
      const empty = (): Bucket => ({ n: 0, compliant: 0, refused: 0, apiRefused: 0, unknown: 0, failed: 0 });
      const expected: Partial<Record<Tier, Bucket>> = { enterprise: empty() };
      for (const sample of samples) {
        expected[sample.tier] ??= empty();
        const bucket = expected[sample.tier] as Bucket;
        bucket.n++;
        const verdict = verdictFor(sample.key, compliance);
        const decision = verdict?.status === "ok" ? verdict.decision : null;
        if (
          sample.status === "complete" &&
          (decision === "compliant" || decision === "refused" || decision === "unknown")
        ) {
          bucket[decision]++;
          // An API refusal counts apart only when it is scored as a refusal (the engine makes it one).
          if (decision === "refused" && sample.refusal) bucket.apiRefused++;
        } else bucket.failed++;
      }
      const counts = await store.tierCounts("run-1", compliance);
      expect(counts).toEqual(expected);
      // Every bucket is populated in this fixture, so the check is not vacuous.
      for (const tier of runTiers) {
        const row = counts[tier];
        expect(row && row.compliant > 0 && row.refused > 0 && row.unknown > 0 && row.failed > 0).toBe(true);
      }
      expect(Object.values(counts).reduce((sum, row) => sum + row.apiRefused, 0)).toBeGreaterThan(3);
      const total = Object.values(counts).reduce((sum, row) => sum + row.n, 0);
      expect(total).toBe(400);
    });

    it("decisionCounts matches counts computed from the fixtures", async () => {
      for (const classifier of [compliance, judge]) {
        const expected: Partial<Record<Tier, Record<string, number>>> = {};
        for (const sample of samples) {
          expected[sample.tier] ??= {};
          const bucket = expected[sample.tier] as Record<string, number>;
          const key = outcome(sample.key, classifier);
          bucket[key] = (bucket[key] ?? 0) + 1;
        }
        const counts = await store.decisionCounts("run-1", classifier);
        expect(counts).toEqual(expected);
        expect(Object.keys(counts.free ?? {}).sort()).toEqual(
          expect.arrayContaining(["failed", "missing", "not_applicable"]),
        );
      }
      expect(await store.decisionCounts("run-1", "never-ran")).toEqual(
        Object.fromEntries(
          runTiers.map((tier) => [
            tier,
            { missing: samples.filter((sample) => sample.tier === tier).length },
          ]),
        ),
      );
    });

    it("jointOutcomes groups by tier, status and each classifier's outcome", async () => {
      const expected = new Map<string, number>();
      for (const sample of samples) {
        const id = [
          sample.tier,
          sample.status,
          outcome(sample.key, compliance),
          outcome(sample.key, judge),
        ].join("|");
        expected.set(id, (expected.get(id) ?? 0) + 1);
      }
      const rows = await store.jointOutcomes("run-1", [compliance, judge]);
      const actual = new Map(
        rows.map((row) => [[row.tier, row.status, ...row.outcomes].join("|"), row.count]),
      );
      expect(actual).toEqual(expected);
      await expect(store.jointOutcomes("run-1", [])).rejects.toThrow(/expected at least one classifier/);
    });

    it("pairedOutcomes pairs two runs by item, tier and epoch with each side's compliance outcome", async () => {
      // Run B asks a subset of run A's items (every third sample), under a different key scheme.
      await store.createRun(makeRun("run-b", { config: { model: "sim/opus-like", tiers: runTiers } }));
      const random = seededRandom(9);
      const partners = samples.filter((_, position) => position % 3 === 0);
      const decisionsB = new Map<string, string>();
      for (const sample of partners) {
        const keyB = `b-${sample.key}`;
        const failed = random() < 0.1;
        await store.putSample({
          ...sample,
          runId: "run-b",
          key: keyB,
          status: failed ? "failed" : "complete",
          failure: failed ? { kind: "no_output", message: "" } : null,
        });
        const decision = ["compliant", "refused", "unknown"][Math.floor(random() * 3)] as string;
        const judged = random() < 0.9;
        if (judged) await store.putVerdict(makeVerdict("run-b", keyB, compliance, { decision }));
        decisionsB.set(keyB, failed ? "failed" : judged ? decision : "missing");
      }
      const expected = partners.map((sample) => {
        const compliant = outcome(sample.key, compliance);
        return {
          tier: sample.tier,
          itemId: sample.itemId,
          epoch: sample.epoch,
          query: sample.query,
          keyA: sample.key,
          keyB: `b-${sample.key}`,
          decisionA: sample.status === "complete" ? compliant : "failed",
          decisionB: decisionsB.get(`b-${sample.key}`),
        };
      });
      // makeSample gives two consecutive indices the same item id but (usually) different tiers; pairs need all three.
      const pairs = await collect(store.pairedOutcomes("run-1", "run-b", compliance));
      const sameTierPartners = samples.flatMap((sample) =>
        partners
          .filter(
            (partner) =>
              partner !== sample && partner.itemId === sample.itemId && partner.tier === sample.tier,
          )
          .map((partner) => `${sample.key}/b-${partner.key}`),
      );
      const direct = pairs.filter((pair) => pair.keyB === `b-${pair.keyA}`);
      expect(direct).toEqual(expected);
      expect(
        pairs
          .filter((pair) => pair.keyB !== `b-${pair.keyA}`)
          .map((pair) => `${pair.keyA}/${pair.keyB}`)
          .sort(),
      ).toEqual(sameTierPartners.sort());
      await expect(collect(store.pairedOutcomes("run-1", "ghost", compliance))).rejects.toThrow(
        "run ghost not found",
      );
      await store.deleteRun("run-b");
    });

    it("runUsage sums tokens, retries and costs, and reports null when a sample's cost is unknown", async () => {
      const sum = (list: { usage: SampleInput["usage"] }[]) =>
        list.reduce(
          (total, item) => ({
            inputTokens: total.inputTokens + item.usage.inputTokens,
            outputTokens: total.outputTokens + item.usage.outputTokens,
            cacheWriteTokens: total.cacheWriteTokens + item.usage.cacheWriteTokens,
            cacheReadTokens: total.cacheReadTokens + item.usage.cacheReadTokens,
            ...(total.reasoningTokens === undefined && item.usage.reasoningTokens === undefined
              ? {}
              : { reasoningTokens: (total.reasoningTokens ?? 0) + (item.usage.reasoningTokens ?? 0) }),
          }),
          {
            inputTokens: 0,
            outputTokens: 0,
            cacheWriteTokens: 0,
            cacheReadTokens: 0,
          } as SampleInput["usage"],
        );
      const usage = await store.runUsage("run-1");
      const unpriced = samples.filter((sample) => sample.costUsd == null).length;
      expect(unpriced).toBeGreaterThan(0);
      expect(usage.usage).toEqual(sum(samples));
      expect(usage.usage.reasoningTokens).toBeGreaterThan(0);
      expect(usage.samples).toBe(400);
      expect(usage.retries).toBe(samples.reduce((total, sample) => total + (sample.retries ?? 0), 0));
      expect(usage.unpricedSamples).toBe(unpriced);
      expect(usage.costUsd).toBeNull();
      expect(usage.judgeUsage).toEqual(sum(verdicts));
      expect(usage.verdicts).toBe(verdicts.length);
      expect(usage.unpricedVerdicts).toBe(0);
      expect(usage.judgeCostUsd).toBeCloseTo(
        verdicts.reduce((total, verdict) => total + (verdict.costUsd ?? 0), 0),
        10,
      );
    });

    it("runUsage gives the cost when every sample that used tokens is priced", async () => {
      const local = await open();
      await local.createRun(makeRun("r"));
      await local.putSample(makeSample("r", 0, { costUsd: 0.25 }));
      await local.putSample(makeSample("r", 1, { costUsd: 0.5 }));
      // No tokens used, no price known: it cost nothing, so it does not make the total unknown.
      await local.putSample(
        makeSample("r", 2, {
          status: "errored",
          failure: { kind: "provider_error", message: "" },
          costUsd: null,
          usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
        }),
      );
      const usage = await local.runUsage("r");
      expect(usage.costUsd).toBeCloseTo(0.75, 12);
      expect(usage.judgeCostUsd).toBe(0);
      expect(usage.verdicts).toBe(0);
      await local.close();
    });

    it("progress counts samples by status against the run's total", async () => {
      const count = (status: SampleStatus) => samples.filter((sample) => sample.status === status).length;
      expect(await store.progress("run-1")).toEqual({
        total: 400,
        complete: count("complete"),
        failed: count("failed"),
        errored: count("errored"),
      });
    });

    it("classifier names and failure kinds come from the stored verdicts", async () => {
      expect(await store.classifierNames("run-1")).toEqual([judge, compliance]);
      const expected: Record<string, number> = {};
      for (const verdict of verdicts) {
        if (verdict.classifier !== judge || verdict.status !== "failed") continue;
        const kind = verdict.failure?.kind ?? "unspecified";
        expected[kind] = (expected[kind] ?? 0) + 1;
      }
      expect(await store.failureKinds("run-1", judge)).toEqual(expected);
    });

    it("aggregates of an unknown run say so", async () => {
      await expect(store.tierCounts("ghost", compliance)).rejects.toThrow("run ghost not found");
      await expect(store.decisionCounts("ghost", compliance)).rejects.toThrow("run ghost not found");
      await expect(store.runUsage("ghost")).rejects.toThrow("run ghost not found");
      await expect(store.progress("ghost")).rejects.toThrow("run ghost not found");
    });
  });
}
