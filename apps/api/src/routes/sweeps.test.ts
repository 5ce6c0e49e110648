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
});
