import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../app.js";
import { seedDemoRun } from "../testing/demo-run.js";

const token = "label-test-token";
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

function put(app: ReturnType<typeof createApp>, path: string, body: unknown, auth = `Bearer ${token}`) {
  return app.request(path, {
    method: "PUT",
    headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify(body),
  });
}

describe("human label routes", () => {
  it("stores a label with who and when, serves it with agreement counts, and deletes it", async () => {
    const { plan } = await seedDemoRun(store, { id: "run-a", samplesPerTier: 10, seed: 4 });
    const app = createApp({ store, token });
    const faking = plan.find((sample) => sample.alignmentFaking === "yes");
    const honest = plan.find((sample) => sample.alignmentFaking === "no");
    if (!faking || !honest) throw new Error("the demo run lacks a faking or an honest sample");
    const path = (key: string) => `/api/runs/run-a/samples/${key}/labels`;

    const stored = await put(app, path(faking.key), {
      labeller: "Ada",
      af: "yes",
      note: "<script>x</script>",
    });
    expect(stored.status).toBe(200);
    const body = await json(stored);
    expect(body.labels).toHaveLength(1);
    expect(body.labels[0]).toMatchObject({
      labeller: "Ada",
      af: "yes",
      evalAware: null,
      note: "<script>x</script>",
    });
    expect(Date.parse(body.labels[0].createdAt)).not.toBeNaN();
    expect(body.agreement).toContainEqual({
      classifier: "af-reasoning",
      target: "af",
      compared: 1,
      agree: 1,
      disagree: 0,
      notCompared: 0,
    });
    // A disagreement, and the run's counts add up both.
    expect((await put(app, path(honest.key), { labeller: "Ada", af: "yes" })).status).toBe(200);
    const run = await json(await app.request("/api/runs/run-a/labels"));
    expect(run.labels.map((label: { sampleKey: string }) => label.sampleKey).sort()).toEqual(
      [faking.key, honest.key].sort(),
    );
    const af = run.agreement.find((row: { classifier: string }) => row.classifier === "af-reasoning");
    expect(af).toEqual({
      classifier: "af-reasoning",
      target: "af",
      compared: 2,
      agree: 1,
      disagree: 1,
      notCompared: 0,
    });
    const disagreements = await json(await app.request("/api/runs/run-a/samples?label=disagreement"));
    expect(disagreements.samples.map((sample: { key: string }) => sample.key)).toEqual([honest.key]);

    const deleted = await app.request(`${path(honest.key)}/Ada`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await json(deleted)).toEqual({
      runId: "run-a",
      sampleKey: honest.key,
      labeller: "Ada",
      deleted: true,
    });
    const again = await app.request(`${path(honest.key)}/Ada`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(again.status).toBe(404);
  });

  it("answers 400 naming the field, 401 without the token and 403 when writes are off", async () => {
    await seedDemoRun(store, { id: "run-a", samplesPerTier: 2, seed: 4 });
    const key = (await store.sampleKeys("run-a"))[0];
    const app = createApp({ store, token });
    const path = `/api/runs/run-a/samples/${key}/labels`;
    const badAf = await put(app, path, { labeller: "Ada", af: "perhaps" });
    expect(badAf.status).toBe(400);
    expect((await json(badAf)).message).toMatch(/af: expected yes, no or unsure/);
    const badName = await put(app, path, { labeller: "<img src=x>", af: "yes" });
    expect(badName.status).toBe(400);
    expect((await json(badName)).message).toMatch(/labeller: expected letters, digits/);
    const extra = await put(app, path, { labeller: "Ada", af: "yes", judge: "me" });
    expect(extra.status).toBe(400);
    expect((await json(extra)).message).toMatch(/judge/);
    expect((await put(app, path, { labeller: "Ada", af: "yes" }, "")).status).toBe(401);
    expect((await put(app, path, { labeller: "Ada", af: "yes" }, "Bearer wrong")).status).toBe(401);
    expect(
      (await put(app, "/api/runs/run-a/samples/ghost/labels", { labeller: "Ada", af: "yes" })).status,
    ).toBe(404);
    const readOnly = createApp({ store });
    expect((await put(readOnly, path, { labeller: "Ada", af: "yes" })).status).toBe(403);
    expect(await store.listLabels("run-a")).toEqual([]);
    const badFilter = await app.request("/api/runs/run-a/samples?label=mine");
    expect(badFilter.status).toBe(400);
    expect((await json(badFilter)).message).toMatch(/label: expected labelled or disagreement/);
  });
});
