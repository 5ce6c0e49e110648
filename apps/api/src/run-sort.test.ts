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

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field below
async function json(response: Response): Promise<any> {
  return response.json();
}

describe("GET /api/runs?sort=", () => {
  it("orders across every run, not within a page, and pages the ordered list", async () => {
    const compliance = [
      { free: 0.2, paid: 0.1 },
      { free: 0.6, paid: 0.1 },
      { free: 0.3, paid: 0.3 },
      { free: 0.9, paid: 0.2 },
      { free: 0.5, paid: 0.4 },
    ];
    for (const [index, rates] of compliance.entries()) {
      await seedDemoRun(store, {
        id: `run-${index}`,
        label: `label ${String.fromCharCode(101 - index)}`,
        samplesPerTier: 20,
        seed: 10 + index,
        compliance: rates,
        createdAt: `2026-01-0${index + 1}T00:00:00.000Z`,
      });
    }
    const app = createApp({ store });
    const gaps = new Map<string, number>();
    for (let index = 0; index < compliance.length; index++) {
      const detail = await json(await app.request(`/api/runs/run-${index}`));
      gaps.set(`run-${index}`, detail.summary.gap.value);
    }
    // Ties (run-1 and run-3 both have a gap of 0.6) keep the store's order: newest first.
    const created = (id: string) => Number(id.slice(4));
    const byGap = [...gaps].sort((a, b) => b[1] - a[1] || created(b[0]) - created(a[0])).map(([id]) => id);
    expect(gaps.get("run-1")).toBe(gaps.get("run-3"));
    const pages: string[] = [];
    for (const offset of [0, 2, 4]) {
      const page = await json(await app.request(`/api/runs?sort=gap&order=desc&limit=2&offset=${offset}`));
      expect(page.total).toBe(5);
      pages.push(...page.runs.map((run: { id: string }) => run.id));
    }
    expect(pages).toEqual(byGap);
    const ascending = await json(await app.request("/api/runs?sort=gap&order=asc&limit=5"));
    const byGapAscending = [...gaps]
      .sort((a, b) => a[1] - b[1] || created(b[0]) - created(a[0]))
      .map(([id]) => id);
    expect(ascending.runs.map((run: { id: string }) => run.id)).toEqual(byGapAscending);
    // By the name shown (label, else id), ascending by default for text.
    const byName = await json(await app.request("/api/runs?sort=run&limit=5"));
    expect(byName.runs.map((run: { config: { label: string } }) => run.config.label)).toEqual([
      "label a",
      "label b",
      "label c",
      "label d",
      "label e",
    ]);
    const oldest = await json(await app.request("/api/runs?sort=created&order=asc&limit=1"));
    expect(oldest.runs[0].id).toBe("run-0");
    const filtered = await json(await app.request("/api/runs?sort=gap&q=label%20a"));
    expect(filtered.runs.map((run: { id: string }) => run.id)).toEqual(["run-4"]);
    const bad = await app.request("/api/runs?sort=colour");
    expect(bad.status).toBe(400);
    expect((await json(bad)).message).toMatch(/sort: expected created, run, model/);
  });
});
