import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "./app.js";
import { seedDemoRun } from "./testing/demo-run.js";

let store: Store;
beforeEach(() => {
  store = openStore(":memory:");
});
afterEach(async () => {
  await store.close();
});

describe("GET /api/runs/:id/samples sorted by a verdict", () => {
  it("puts compliant before refused (descending: refused first), ties by index", async () => {
    const { plan } = await seedDemoRun(store, { id: "run-a", samplesPerTier: 20, seed: 6 });
    const app = createApp({ store });
    const response = await app.request(
      "/api/runs/run-a/samples?sort=verdict&sortClassifier=tag-compliance&order=desc&limit=1000",
    );
    const body = (await response.json()) as { samples: { key: string }[] };
    const refused = plan.filter((sample) => !sample.compliant).map((sample) => sample.key);
    const compliant = plan.filter((sample) => sample.compliant).map((sample) => sample.key);
    expect(body.samples.map((sample) => sample.key)).toEqual([...refused, ...compliant]);
  });

  it("answers 400 naming sortClassifier for a name that is not a classifier's", async () => {
    await seedDemoRun(store, { id: "run-a", samplesPerTier: 1 });
    const response = await createApp({ store }).request(
      `/api/runs/run-a/samples?sort=verdict&sortClassifier=${encodeURIComponent("x' OR 1=1")}`,
    );
    expect(response.status).toBe(400);
    const body = (await response.json()) as { code: string; message: string };
    expect(body.code).toBe("BAD_REQUEST");
    expect(body.message).toContain("sortClassifier");
  });
});
