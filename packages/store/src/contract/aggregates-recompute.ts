import type { SampleInput, SampleStatus, Tier, VerdictInput, VerdictStatus } from "@aflab/core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { makeRun, makeSample, makeVerdict, seededRandom } from "../test-fixtures.js";
import type { JointOutcome, Store } from "../types.js";
import type { StoreFactory } from "./factory.js";

/**
 * Aggregates stay equal to a recomputation from everything written, through a long random sequence of
 * writes: new samples, overwrites that change tier and status (dropping their verdicts), verdict upserts,
 * batches, replaced classifiers, and a run deleted and created again. A backend that maintains aggregates
 * as rows are written (triggers, counters) must keep them exact through all of it.
 */
export function aggregatesRecomputeContract(open: StoreFactory): void {
  const tiers: Tier[] = ["free", "paid"];
  const classifiers = ["tag-compliance", "af-reasoning", "eval-awareness"];
  const statuses: SampleStatus[] = ["complete", "complete", "complete", "failed", "errored"];
  const verdictStatuses: VerdictStatus[] = ["ok", "ok", "ok", "ok", "failed", "not_applicable"];
  const decisions = ["compliant", "refused", "unknown", "yes", "no", null];
  const runIds = ["main", "other"];

  let store: Store;
  // What was written, by run: samples by key, verdicts by `key|classifier`.
  const samples = new Map<string, Map<string, SampleInput>>();
  const verdicts = new Map<string, Map<string, VerdictInput>>();
  const random = seededRandom(1313);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;

  beforeAll(async () => {
    store = await open();
  });
  afterAll(async () => await store.close());

  async function createRun(runId: string): Promise<void> {
    await store.createRun(makeRun(runId, { total: 60, config: { model: "sim/opus-like", tiers } }));
    samples.set(runId, new Map());
    verdicts.set(runId, new Map());
  }

  function randomSample(runId: string): SampleInput {
    const index = Math.floor(random() * 40);
    const status = pick(statuses);
    const refused = status === "complete" && random() < 0.15;
    const reasoning = random() < 0.5;
    return makeSample(runId, index, {
      tier: pick(tiers),
      status,
      failure:
        status === "complete"
          ? null
          : { kind: pick(["no_output", "provider_error", "timeout"]), message: "" },
      refusal: refused ? { kind: "api_refusal", message: "refused at the API" } : null,
      scratchpad: random() < 0.2 ? null : "some thinking",
      scratchpadSource: random() < 0.3 ? null : pick(["tags", "reasoning", "both", "none"] as const),
      usage: {
        inputTokens: Math.floor(random() * 500),
        outputTokens: Math.floor(random() * 100),
        cacheWriteTokens: Math.floor(random() * 10),
        cacheReadTokens: Math.floor(random() * 10),
        ...(reasoning ? { reasoningTokens: Math.floor(random() * 50) } : {}),
      },
      costUsd: random() < 0.1 ? null : Math.floor(random() * 1000) / 100_000,
      retries: Math.floor(random() * 3),
    });
  }

  function randomVerdict(runId: string, key: string, classifier = pick(classifiers)): VerdictInput {
    const status = pick(verdictStatuses);
    return makeVerdict(runId, key, classifier, {
      status,
      decision: status === "ok" ? pick(decisions) : null,
      failure: status === "failed" ? { kind: pick(["no_verdict", "bad_json"]), message: "" } : null,
      usage: {
        inputTokens: Math.floor(random() * 300),
        outputTokens: Math.floor(random() * 30),
        cacheWriteTokens: 0,
        cacheReadTokens: 0,
        ...(random() < 0.3 ? { reasoningTokens: Math.floor(random() * 20) } : {}),
      },
      costUsd: random() < 0.05 ? null : Math.floor(random() * 100) / 100_000,
    });
  }

  function recordSample(sample: SampleInput): void {
    samples.get(sample.runId)?.set(sample.key, sample);
    const runVerdicts = verdicts.get(sample.runId);
    for (const id of [...(runVerdicts?.keys() ?? [])]) {
      if (id.startsWith(`${sample.key}|`)) runVerdicts?.delete(id);
    }
  }

  function recordVerdict(verdict: VerdictInput): void {
    verdicts.get(verdict.runId)?.set(`${verdict.sampleKey}|${verdict.classifier}`, verdict);
  }

  /** One random write, mirrored in the model: a description for failure messages, and whether it changed anything. */
  async function randomWrite(runId: string): Promise<[string, boolean]> {
    const roll = random();
    const stored = [...(samples.get(runId)?.keys() ?? [])];
    if (roll < 0.3 || stored.length === 0) {
      const sample = randomSample(runId);
      await store.putSample(sample);
      recordSample(sample);
      return [`putSample ${sample.key}`, true];
    }
    if (roll < 0.38) {
      const batch = [randomSample(runId), randomSample(runId)].filter(
        (sample, position, list) => list.findIndex((other) => other.key === sample.key) === position,
      );
      await store.putSamples(batch);
      for (const sample of batch) recordSample(sample);
      return ["putSamples", batch.length > 0];
    }
    if (roll < 0.44) {
      const sample = randomSample(runId);
      const result = await store.putSampleUnlessFinished(sample);
      const existing = samples.get(runId)?.get(sample.key);
      expect(result.stored).toBe(!existing || existing.status === "errored");
      if (result.stored) recordSample(sample);
      return [`putSampleUnlessFinished ${sample.key}`, result.stored];
    }
    if (roll < 0.8) {
      const verdict = randomVerdict(runId, pick(stored));
      await store.putVerdict(verdict);
      recordVerdict(verdict);
      return [`putVerdict ${verdict.sampleKey} ${verdict.classifier}`, true];
    }
    if (roll < 0.9) {
      const batch = [randomVerdict(runId, pick(stored)), randomVerdict(runId, pick(stored))].filter(
        (verdict, position, list) =>
          list.findIndex(
            (other) => other.sampleKey === verdict.sampleKey && other.classifier === verdict.classifier,
          ) === position,
      );
      await store.putVerdicts(batch);
      for (const verdict of batch) recordVerdict(verdict);
      return ["putVerdicts", true];
    }
    // A forced re-classification: every complete sample gets a staged verdict, then they replace the old ones.
    const classifier = pick(classifiers);
    const complete = [...(samples.get(runId)?.values() ?? [])].filter(
      (sample) => sample.status === "complete",
    );
    const staged = complete.map((sample) => randomVerdict(runId, sample.key, classifier));
    for (const verdict of staged) await store.stageVerdict(verdict);
    const moved = await store.replaceVerdicts(runId, classifier);
    expect(moved).toBe(staged.length);
    const runVerdicts = verdicts.get(runId);
    let replaced = staged.length;
    for (const id of [...(runVerdicts?.keys() ?? [])]) {
      if (!id.endsWith(`|${classifier}`)) continue;
      runVerdicts?.delete(id);
      replaced++;
    }
    for (const verdict of staged) recordVerdict(verdict);
    return [`replaceVerdicts ${classifier}`, replaced > 0];
  }

  // ---- the recomputation, from the model alone ----------------------------------------------------

  function outcome(runId: string, key: string, classifier: string): string {
    const verdict = verdicts.get(runId)?.get(`${key}|${classifier}`);
    if (!verdict) return "missing";
    if (verdict.status === "failed" || verdict.status === "not_applicable") return verdict.status;
    return verdict.decision ?? "no_decision";
  }

  function countBy<T>(list: T[], keyOf: (item: T) => string | undefined): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const item of list) {
      const key = keyOf(item);
      if (key !== undefined) counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }

  function sumUsage(list: { usage: SampleInput["usage"] }[]) {
    const total: SampleInput["usage"] = {
      inputTokens: 0,
      outputTokens: 0,
      cacheWriteTokens: 0,
      cacheReadTokens: 0,
    };
    for (const item of list) {
      total.inputTokens += item.usage.inputTokens;
      total.outputTokens += item.usage.outputTokens;
      total.cacheWriteTokens += item.usage.cacheWriteTokens;
      total.cacheReadTokens += item.usage.cacheReadTokens;
      if (item.usage.reasoningTokens !== undefined)
        total.reasoningTokens = (total.reasoningTokens ?? 0) + item.usage.reasoningTokens;
    }
    return total;
  }

  const usedTokens = (item: { usage: SampleInput["usage"] }) =>
    item.usage.inputTokens +
      item.usage.outputTokens +
      item.usage.cacheWriteTokens +
      item.usage.cacheReadTokens >
    0;

  async function expectAggregates(runId: string, step: string): Promise<void> {
    const list = [...(samples.get(runId)?.values() ?? [])];
    const judged = [...(verdicts.get(runId)?.values() ?? [])];
    const context = `after ${step}`;

    const byStatus = countBy(list, (sample) => sample.status);
    expect(await store.progress(runId), context).toEqual({
      total: 60,
      complete: byStatus.complete ?? 0,
      failed: byStatus.failed ?? 0,
      errored: byStatus.errored ?? 0,
    });

    // Listing totals may be kept between writes; they must follow every write.
    expect((await store.listSamples(runId, { limit: 1 })).total, `${context}: listing total`).toBe(
      list.length,
    );
    expect((await store.listSamples(runId, { status: "complete", tier: "free", limit: 1 })).total).toBe(
      list.filter((sample) => sample.status === "complete" && sample.tier === "free").length,
    );
    expect(
      (
        await store.listSamples(runId, {
          verdict: { classifier: "tag-compliance", decision: "refused" },
          limit: 1,
        })
      ).total,
    ).toBe(list.filter((sample) => outcome(runId, sample.key, "tag-compliance") === "refused").length);

    for (const classifier of classifiers) {
      const expectedTiers: Record<string, unknown> = {};
      for (const tier of tiers) {
        const inTier = list.filter((sample) => sample.tier === tier);
        const scored = (decision: string) =>
          inTier.filter(
            (sample) => sample.status === "complete" && outcome(runId, sample.key, classifier) === decision,
          );
        const compliant = scored("compliant").length;
        const refused = scored("refused");
        const unknown = scored("unknown").length;
        expectedTiers[tier] = {
          n: inTier.length,
          compliant,
          refused: refused.length,
          apiRefused: refused.filter((sample) => sample.refusal?.kind === "api_refusal").length,
          unknown,
          failed: inTier.length - compliant - refused.length - unknown,
        };
      }
      expect(await store.tierCounts(runId, classifier), `${context}: tierCounts ${classifier}`).toEqual(
        expectedTiers,
      );

      const expectedDecisions: Record<string, Record<string, number>> = {};
      for (const tier of tiers) {
        const inTier = list.filter((sample) => sample.tier === tier);
        if (inTier.length > 0)
          expectedDecisions[tier] = countBy(inTier, (sample) => outcome(runId, sample.key, classifier));
      }
      expect(
        await store.decisionCounts(runId, classifier),
        `${context}: decisionCounts ${classifier}`,
      ).toEqual(expectedDecisions);

      const failedVerdicts = judged.filter(
        (verdict) => verdict.classifier === classifier && verdict.status === "failed",
      );
      expect(await store.failureKinds(runId, classifier), `${context}: failureKinds`).toEqual(
        countBy(failedVerdicts, (verdict) => verdict.failure?.kind ?? "unspecified"),
      );
    }

    const joint = new Map<string, JointOutcome>();
    for (const sample of list) {
      const outcomes = [classifiers[2], classifiers[0]].map((name) =>
        outcome(runId, sample.key, name as string),
      );
      const id = [sample.tier, sample.status, ...outcomes].join("|");
      const entry = joint.get(id);
      if (entry) entry.count++;
      else joint.set(id, { tier: sample.tier, status: sample.status, outcomes, count: 1 });
    }
    const jointRows = await store.jointOutcomes(runId, [classifiers[2] as string, classifiers[0] as string]);
    expect(
      new Map(jointRows.map((row) => [[row.tier, row.status, ...row.outcomes].join("|"), row])),
      `${context}: jointOutcomes`,
    ).toEqual(joint);
    const order = jointRows.map((row) => [row.tier, row.status, ...row.outcomes].join("\u0000"));
    expect(order, `${context}: jointOutcomes order`).toEqual([...order].sort());

    const usage = await store.runUsage(runId);
    const unpricedSamples = list.filter((sample) => sample.costUsd == null && usedTokens(sample)).length;
    const unpricedVerdicts = judged.filter(
      (verdict) => verdict.costUsd == null && usedTokens(verdict),
    ).length;
    expect(
      {
        usage: usage.usage,
        judgeUsage: usage.judgeUsage,
        samples: usage.samples,
        verdicts: usage.verdicts,
        retries: usage.retries,
        unpricedSamples: usage.unpricedSamples,
        unpricedVerdicts: usage.unpricedVerdicts,
        costKnown: usage.costUsd !== null,
        judgeCostKnown: usage.judgeCostUsd !== null,
      },
      `${context}: runUsage`,
    ).toEqual({
      usage: sumUsage(list),
      judgeUsage: sumUsage(judged),
      samples: list.length,
      verdicts: judged.length,
      retries: list.reduce((total, sample) => total + (sample.retries ?? 0), 0),
      unpricedSamples,
      unpricedVerdicts,
      costKnown: unpricedSamples === 0,
      judgeCostKnown: unpricedVerdicts === 0,
    });
    if (usage.costUsd !== null)
      expect(usage.costUsd).toBeCloseTo(
        list.reduce((total, sample) => total + (sample.costUsd ?? 0), 0),
        9,
      );
    if (usage.judgeCostUsd !== null)
      expect(usage.judgeCostUsd).toBeCloseTo(
        judged.reduce((total, verdict) => total + (verdict.costUsd ?? 0), 0),
        9,
      );

    const complete = list.filter((sample) => sample.status === "complete");
    expect(await store.scratchpadSources(runId), `${context}: scratchpadSources`).toEqual(
      countBy(
        complete,
        (sample) => sample.scratchpadSource ?? ((sample.scratchpad ?? "").trim() !== "" ? "tags" : "none"),
      ),
    );
    expect(await store.sampleFailureKinds(runId), `${context}: sampleFailureKinds`).toEqual(
      countBy(list, (sample) => sample.failure?.kind),
    );
    expect(await store.classifierNames(runId), `${context}: classifierNames`).toEqual(
      [...new Set(judged.map((verdict) => verdict.classifier))].sort(),
    );
  }

  it("keeps every aggregate equal to a recomputation through random writes, replacements and deletes", async () => {
    for (const runId of runIds) await createRun(runId);
    for (let step = 0; step < 400; step++) {
      const runId = random() < 0.8 ? "main" : "other";
      const before = await store.runChangeStamp(runId);
      const [write, changed] = await randomWrite(runId);
      if (changed) expect(await store.runChangeStamp(runId), `stamp after ${write}`).not.toBe(before);
      if (step % 20 === 19) {
        for (const id of runIds) await expectAggregates(id, `step ${step} (${write})`);
      }
      if (step === 250) {
        // Deleting a run takes its aggregates with it; a new run under the same id starts from nothing.
        await store.deleteRun("other");
        await createRun("other");
        await expectAggregates("other", "delete and re-create");
        await expectAggregates("main", "deleting another run");
      }
    }
    for (const id of runIds) await expectAggregates(id, "the last write");
  });
}
