import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "./app.js";
import { StampedCache } from "./stamped-cache.js";
import { seedDemoRun } from "./testing/demo-run.js";

let store: Store;
beforeEach(async () => {
  store = openStore(":memory:");
  await seedDemoRun(store, { id: "run-a", samplesPerTier: 2 });
});
afterEach(async () => await store.close());

describe("StampedCache", () => {
  it("computes once per change of the run, sharing a computation in progress", async () => {
    const cache = new StampedCache<number>({ maxEntries: 10, maxAgeMs: 60_000 });
    let computed = 0;
    const compute = async () => ++computed;
    const [first, second] = await Promise.all([
      cache.get(store, "k", ["run-a"], compute),
      cache.get(store, "k", ["run-a"], compute),
    ]);
    expect([first, second, computed]).toEqual([1, 1, 1]);
    expect(await cache.get(store, "k", ["run-a"], compute)).toBe(1);
    const sample = await store.getSample("run-a", (await store.sampleKeys("run-a"))[0] as string);
    await store.putSample({ ...(sample as NonNullable<typeof sample>), output: "changed" });
    expect(await cache.get(store, "k", ["run-a"], compute)).toBe(2);
  });

  it("does not keep a failed computation, and lets entries age out", async () => {
    let now = 0;
    const cache = new StampedCache<number>({ maxEntries: 10, maxAgeMs: 1000, now: () => now });
    await expect(
      cache.get(store, "k", ["run-a"], async () => Promise.reject(new Error("no"))),
    ).rejects.toThrow("no");
    expect(await cache.get(store, "k", ["run-a"], async () => 5)).toBe(5);
    now = 2000;
    expect(await cache.get(store, "k", ["run-a"], async () => 6)).toBe(6);
  });
});

describe("cached routes follow writes", () => {
  it("a samples page shows a sample written after it was first served", async () => {
    const app = createApp({ store });
    const before = (await (await app.request("/api/runs/run-a/samples?limit=100")).json()) as {
      total: number;
    };
    const sample = await store.getSample("run-a", (await store.sampleKeys("run-a"))[0] as string);
    await store.putSample({ ...(sample as NonNullable<typeof sample>), key: "added", index: 999 });
    const after = (await (await app.request("/api/runs/run-a/samples?limit=100")).json()) as {
      total: number;
      samples: { key: string }[];
    };
    expect(after.total).toBe(before.total + 1);
    expect(after.samples.map((row) => row.key)).toContain("added");
  });
});
