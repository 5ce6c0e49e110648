import { createClientFactory, runSweep } from "@aflab/engine";
import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApp } from "../app.js";

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

describe("sweep routes", () => {
  it("answers a sweep as a matrix whose cells carry each run's report numbers and the paper's values", async () => {
    const { sweepId } = await runSweep(
      {
        name: "two models, two prompts",
        models: ["sim/opus-like", "sim/sonnet-like"],
        variants: ["none", "cut-rlhf-info"],
        userFormats: ["minimal"],
        run: {
          judge: "sim/judge",
          classifiers: ["tag-compliance", "af-reasoning"],
          dataset: { source: "builtin:harmful", limit: 12 },
          seed: 3,
        },
      },
      { store, createClient: createClientFactory() },
    );
    const app = createApp({ store });
    const matrix = await json(await app.request(`/api/sweeps/${sweepId}`));
    expect(matrix).toMatchObject({
      id: sweepId,
      name: "two models, two prompts",
      models: ["sim/opus-like", "sim/sonnet-like"],
      variantKeys: ["none", "cut-rlhf-info"],
      userFormats: ["minimal"],
      live: false,
    });
    expect(matrix.cells).toHaveLength(4);
    for (const cell of matrix.cells) {
      const detail = await json(await app.request(`/api/runs/${cell.runId}`));
      expect(detail.run.sweepId).toBe(sweepId);
      expect(cell.run.status).toBe("complete");
      expect(cell.results.gap).toEqual({
        value: detail.summary.gap.value,
        se: detail.summary.gap.se,
        ci95: detail.summary.gap.ci95,
        significant: detail.summary.gap.significant,
      });
      const free = detail.summary.alignmentFaking.free;
      expect(cell.results.alignmentFaking).toEqual({ rate: free.rate, se: free.se, wilson95: free.wilson95 });
      expect(cell.reference).toEqual(detail.summary.reference);
      expect(cell.variants).toEqual(detail.run.config.variants);
    }
    // The paper has rows for the default prompt and for cutting the RLHF paragraph.
    expect(
      matrix.cells.map((cell: { reference: { variation: string } }) => cell.reference.variation),
    ).toEqual(["default", "cut rlhf info", "default", "cut rlhf info"]);
    const list = await json(await app.request("/api/sweeps"));
    expect(list.sweeps).toEqual([
      expect.objectContaining({
        id: sweepId,
        cells: 4,
        started: 4,
        complete: 4,
        name: "two models, two prompts",
      }),
    ]);
    expect((await app.request("/api/sweeps/ghost")).status).toBe(404);
  });

  it("is live while a cell runs or the next cell is about to start, and not once the sweep stopped", async () => {
    const config = {
      models: ["sim/opus-like"],
      variants: ["none", "cut-examples"],
      userFormats: ["minimal"],
    };
    await store.createSweep({ id: "sweep-a", config, createdAt: "2026-01-01T00:00:00.000Z" });
    const cellRun = (index: number, status: "running" | "complete", updatedAt: string) =>
      store.createRun({
        id: `sweep-a-c00${index}`,
        createdAt: "2026-01-01T00:00:00.000Z",
        updatedAt,
        status,
        config: { model: "sim/opus-like", userFormat: "minimal" },
        simulated: true,
        promptHash: "hash",
        total: 10,
        sweepId: "sweep-a",
      });
    const app = createApp({ store });
    const live = async () => (await json(await app.request("/api/sweeps/sweep-a"))).live;
    expect(await live()).toBe(false);
    await cellRun(0, "running", new Date().toISOString());
    expect(await live()).toBe(true);
    await store.updateRun("sweep-a-c000", { status: "complete" });
    // Finished a moment ago, the next cell not yet created: still live.
    expect(await live()).toBe(true);
    await store.deleteRun("sweep-a-c000");
    await cellRun(0, "complete", "2026-01-01T00:00:00.000Z");
    // Its last run finished long ago and a cell never started: the sweep was stopped.
    expect(await live()).toBe(false);
    const matrix = await json(await app.request("/api/sweeps/sweep-a"));
    expect(matrix.cells[1]).toMatchObject({ runId: "sweep-a-c001", run: null, results: null });
    expect(matrix.cells[1].reference.variation).toBe("cut examples");
  });
});
