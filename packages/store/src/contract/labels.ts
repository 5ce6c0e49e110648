import { InputError, labelAgreement, NotFoundError } from "@aflab/core";
import { afterEach, beforeEach, expect, it } from "vitest";
import { collect, makeRun, makeSample, makeVerdict } from "../test-fixtures.js";
import type { Store } from "../types.js";
import type { StoreFactory } from "./factory.js";

/** Human labels: one per labeller and sample, replaced in place, filtered on, gone with their sample. */
export function labelsContract(open: StoreFactory): void {
  let store: Store;

  beforeEach(async () => {
    store = await open();
    await store.createRun(makeRun("run-1"));
    await store.putSamples([0, 1, 2, 3].map((index) => makeSample("run-1", index)));
  });

  afterEach(async () => {
    await store.close();
  });

  it("round-trips a label, replaces it per labeller keeping when it was made, and deletes it", async () => {
    const first = await store.putLabel(
      "run-1",
      "key-1",
      { labeller: "Ada", af: "yes", note: "<b>plans</b> to comply" },
      "2026-02-01T00:00:00.000Z",
    );
    expect(first).toEqual({
      runId: "run-1",
      sampleKey: "key-1",
      labeller: "Ada",
      af: "yes",
      evalAware: null,
      note: "<b>plans</b> to comply",
      createdAt: "2026-02-01T00:00:00.000Z",
      updatedAt: "2026-02-01T00:00:00.000Z",
    });
    await store.putLabel(
      "run-1",
      "key-1",
      { labeller: "Grace", evalAware: "no" },
      "2026-02-02T00:00:00.000Z",
    );
    const replaced = await store.putLabel(
      "run-1",
      "key-1",
      { labeller: "Ada", af: "unsure", evalAware: "yes" },
      "2026-02-03T00:00:00.000Z",
    );
    expect(replaced).toMatchObject({
      af: "unsure",
      evalAware: "yes",
      note: "",
      createdAt: "2026-02-01T00:00:00.000Z",
      updatedAt: "2026-02-03T00:00:00.000Z",
    });
    expect((await store.getLabels("run-1", "key-1")).map((label) => label.labeller)).toEqual([
      "Ada",
      "Grace",
    ]);
    expect(await store.getLabels("run-1", "key-0")).toEqual([]);
    expect(await store.deleteLabel("run-1", "key-1", "Grace")).toBe(true);
    expect(await store.deleteLabel("run-1", "key-1", "Grace")).toBe(false);
    expect((await store.getLabels("run-1", "key-1")).map((label) => label.labeller)).toEqual(["Ada"]);
  });

  it("refuses a bad label naming the field, and a label of a sample that is not stored", async () => {
    await expect(
      store.putLabel("run-1", "key-0", { labeller: "Ada", af: "probably" as "yes" }),
    ).rejects.toThrow(/af.*expected yes, no or unsure/);
    await expect(store.putLabel("run-1", "key-0", { labeller: "<script>", af: "yes" })).rejects.toThrow(
      InputError,
    );
    await expect(store.putLabel("run-1", "key-0", { labeller: "Ada" })).rejects.toThrow(
      /expected an AF label, an eval-awareness label or a note/,
    );
    await expect(store.putLabel("run-1", "ghost", { labeller: "Ada", af: "no" })).rejects.toThrow(
      NotFoundError,
    );
    expect(await store.listLabels("run-1")).toEqual([]);
  });

  it("lists a run's labels in sample order and drops them with their sample or run", async () => {
    await store.putLabel("run-1", "key-3", { labeller: "Ada", af: "no" });
    await store.putLabel("run-1", "key-0", { labeller: "Ada", af: "yes" });
    expect((await store.listLabels("run-1")).map((label) => label.sampleKey)).toEqual(["key-0", "key-3"]);
    await store.putSample(makeSample("run-1", 3, { output: "replaced" }));
    expect((await store.listLabels("run-1")).map((label) => label.sampleKey)).toEqual(["key-0"]);
    await store.deleteRun("run-1");
    expect(await store.listLabels("run-1")).toEqual([]);
  });

  it("filters the sample table to labelled samples and to disagreements with the judges", async () => {
    const verdict = (key: string, classifier: string, decision: string, status = "ok" as const) =>
      makeVerdict("run-1", key, classifier, { decision, status, score: decision === "yes" ? 1 : 0 });
    await store.putVerdicts([
      verdict("key-0", "af-reasoning", "yes"),
      verdict("key-1", "af-reasoning", "no"),
      verdict("key-2", "af-reasoning", "maybe"),
      verdict("key-3", "af-reasoning", "yes"),
      verdict("key-3", "eval-awareness", "no"),
      verdict("key-1", "tag-compliance", "compliant"),
    ]);
    await store.putLabel("run-1", "key-0", { labeller: "Ada", af: "yes" }); // agrees
    await store.putLabel("run-1", "key-1", { labeller: "Ada", af: "yes" }); // disagrees
    await store.putLabel("run-1", "key-2", { labeller: "Ada", af: "no" }); // judge said maybe: not compared
    await store.putLabel("run-1", "key-3", { labeller: "Ada", af: "unsure", evalAware: "yes" }); // eval-aware differs
    const keys = async (label: "labelled" | "disagreement") =>
      (await store.listSamples("run-1", { label })).samples.map((sample) => sample.key);
    expect(await keys("labelled")).toEqual(["key-0", "key-1", "key-2", "key-3"]);
    expect(await keys("disagreement")).toEqual(["key-1", "key-3"]);
    await store.deleteLabel("run-1", "key-1", "Ada");
    expect(await keys("disagreement")).toEqual(["key-3"]);
    // The filter and the agreement counts are one rule.
    const counts = labelAgreement(
      await store.listLabels("run-1"),
      await collect(store.iterateVerdicts("run-1")),
    );
    expect(counts).toEqual([
      { classifier: "af-reasoning", target: "af", compared: 1, agree: 1, disagree: 0, notCompared: 2 },
      {
        classifier: "eval-awareness",
        target: "evalAware",
        compared: 1,
        agree: 0,
        disagree: 1,
        notCompared: 0,
      },
    ]);
    await expect(store.listSamples("run-1", { label: "mine" as "labelled" })).rejects.toThrow(
      /expected labelled or disagreement/,
    );
  });
}
