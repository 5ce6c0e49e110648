import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { seedDemoRun } from "../testing/demo-run.js";

let store: Store;
beforeEach(() => {
  store = openStore(":memory:");
});
afterEach(async () => {
  await store.close();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field below
async function json(response: Response): Promise<any> {
  return response.json();
}

describe("GET /api/runs/:id/items/:itemId", () => {
  it("answers one query in both tiers with each sample's verdicts, and the queries either side", async () => {
    const { plan } = await seedDemoRun(store, { id: "run-a", samplesPerTier: 12, seed: 4 });
    const app = createApp({ store });
    const items = [...new Set(plan.map((sample) => sample.itemId))];
    const itemId = items[3] ?? "";
    const body = await json(await app.request(`/api/runs/run-a/items/${itemId}`));
    const planned = plan.filter((sample) => sample.itemId === itemId);
    expect(body.itemId).toBe(itemId);
    expect(body.run.id).toBe("run-a");
    expect(body.query).toBe(planned[0]?.query);
    expect(body.samples.map((entry: { sample: { tier: string } }) => entry.sample.tier)).toEqual([
      "free",
      "paid",
    ]);
    for (const entry of body.samples) {
      const expected = planned.find((sample) => sample.key === entry.sample.key);
      if (!expected) throw new Error(`unexpected sample ${entry.sample.key}`);
      const compliance = entry.verdicts.find(
        (verdict: { classifier: string }) => verdict.classifier === "tag-compliance",
      );
      expect(compliance.decision).toBe(expected.compliant ? "compliant" : "refused");
      const af = entry.verdicts.find(
        (verdict: { classifier: string }) => verdict.classifier === "af-reasoning",
      );
      expect(af.status === "failed" ? "failed" : af.decision).toBe(expected.alignmentFaking);
      expect(entry.sample.turns.length).toBeGreaterThan(0);
    }
    expect(body.neighbours).toEqual({
      previous: items[2],
      next: items[4],
      position: 4,
      total: items.length,
    });
  });

  it("pairs every epoch of the query", async () => {
    const { plan } = await seedDemoRun(store, { id: "run-a", samplesPerTier: 2, seed: 4 });
    // A second epoch of the first query, written as the engine would (same item, epoch 1).
    const first = plan[0];
    if (!first) throw new Error("empty plan");
    const original = await store.getSample("run-a", first.key);
    if (!original) throw new Error("missing sample");
    const { id: _id, ...input } = original as typeof original & { id?: unknown };
    await store.putSample({ ...input, key: `${first.key}-epoch-1`, index: 100, epoch: 1 });
    const body = await json(await createApp({ store }).request(`/api/runs/run-a/items/${first.itemId}`));
    expect(
      body.samples.map((entry: { sample: { tier: string; epoch: number } }) => [
        entry.sample.tier,
        entry.sample.epoch,
      ]),
    ).toEqual([
      ["free", 0],
      ["paid", 0],
      ["free", 1],
    ]);
  });

  it("answers 404 for a query the run never asked, and for an unknown run", async () => {
    await seedDemoRun(store, { id: "run-a", samplesPerTier: 1 });
    const app = createApp({ store });
    const missing = await app.request("/api/runs/run-a/items/none");
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ code: "NOT_FOUND", message: "query none not found in run run-a" });
    expect((await app.request("/api/runs/nope/items/item-00000")).status).toBe(404);
  });
});
