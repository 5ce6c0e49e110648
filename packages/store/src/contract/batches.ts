import { InputError } from "@aflab/core";
import { afterEach, beforeEach, expect, it } from "vitest";
import { makeRun } from "../test-fixtures.js";
import type { Store } from "../types.js";
import type { StoreFactory } from "./factory.js";

/** Provider batches: written before submission, their provider id recorded after, results settled per request. */
export function batchesContract(open: StoreFactory): void {
  let store: Store;
  const batch = {
    id: "b1",
    runId: "run-1",
    provider: "anthropic",
    modelId: "anthropic/claude-sonnet-4-6",
    round: 0,
    createdAt: "2026-01-01T00:00:00.000Z",
  };
  const requests = [
    { customId: "b1_0", sampleKey: "key-0" },
    { customId: "b1_1", sampleKey: "key-1" },
  ];

  beforeEach(async () => {
    store = await open();
    await store.createRun(makeRun("run-1"));
  });
  afterEach(async () => {
    await store.close();
  });

  it("writes a batch as submitting with its requests, then records the provider id once", async () => {
    const created = await store.createBatch(batch, requests);
    expect(created).toMatchObject({ id: "b1", state: "submitting", providerBatchId: null, requestCount: 2 });
    expect(await store.sampleKeysInBatches("run-1")).toEqual(new Set(["key-0", "key-1"]));
    expect(await store.recordBatchSubmitted("b1", "msgbatch_1")).toBe(true);
    // A second record (another process, a retry) does not overwrite the first.
    expect(await store.recordBatchSubmitted("b1", "msgbatch_2")).toBe(false);
    expect(await store.getBatch("b1")).toMatchObject({ state: "in_progress", providerBatchId: "msgbatch_1" });
    await expect(store.createBatch(batch, [])).rejects.toThrow();
  });

  it("settles requests, tracks counts and lists batches by run", async () => {
    await store.createBatch(batch, requests);
    await store.recordBatchSubmitted("b1", "msgbatch_1");
    const counts = { processing: 0, succeeded: 1, errored: 1, canceled: 0, expired: 0 };
    await store.updateBatch("b1", { state: "ended", counts, endedAt: "2026-01-01T01:00:00.000Z" });
    await store.settleBatchRequests([
      { customId: "b1_0", state: "succeeded", costUsd: 0.01, reply: '{"texts":["hi"]}' },
      { customId: "b1_1", state: "errored", costUsd: null, reply: null },
    ]);
    const settled = [
      {
        customId: "b1_0",
        batchId: "b1",
        runId: "run-1",
        sampleKey: "key-0",
        round: 0,
        state: "succeeded",
        costUsd: 0.01,
        reply: '{"texts":["hi"]}',
      },
      {
        customId: "b1_1",
        batchId: "b1",
        runId: "run-1",
        sampleKey: "key-1",
        round: 0,
        state: "errored",
        costUsd: null,
        reply: null,
      },
    ];
    expect(await store.batchRequests("b1")).toEqual(settled);
    expect(await store.succeededBatchRequests("run-1")).toEqual([settled[0]]);
    expect(await store.sampleKeysInBatches("run-1")).toEqual(new Set());
    expect(await store.listBatches("run-1")).toEqual([
      expect.objectContaining({ id: "b1", state: "ended", counts, endedAt: "2026-01-01T01:00:00.000Z" }),
    ]);
    expect(await store.listBatches("other")).toEqual([]);
    expect((await store.listBatches()).map((entry) => entry.id)).toEqual(["b1"]);
  });

  it("releases the requests of an abandoned batch, and refuses malformed ids", async () => {
    await store.createBatch(batch, requests);
    await store.updateBatch("b1", { state: "abandoned" });
    expect((await store.batchRequests("b1")).map((request) => request.state)).toEqual([
      "released",
      "released",
    ]);
    expect(await store.sampleKeysInBatches("run-1")).toEqual(new Set());
    await expect(
      store.createBatch({ ...batch, id: "b2" }, [{ customId: "has space", sampleKey: "key-0" }]),
    ).rejects.toThrow(InputError);
  });

  it("deletes a run's batches with the run", async () => {
    await store.createBatch(batch, requests);
    await store.deleteRun("run-1");
    expect(await store.listBatches()).toEqual([]);
    expect(await store.batchRequests("b1")).toEqual([]);
  });
}
