import { createClientFactory, startRun } from "@aflab/engine";
import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";

const token = "resume-test-token";
let store: Store;
beforeEach(() => {
  store = openStore(":memory:");
});
afterEach(async () => {
  await store.close();
});

function post(
  app: ReturnType<typeof buildApp>["app"],
  path: string,
  body: unknown,
  auth = `Bearer ${token}`,
) {
  return app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...(auth ? { authorization: auth } : {}) },
    body: JSON.stringify(body),
  });
}

describe("POST /api/runs/:id/resume", () => {
  it("finishes an interrupted run in the background, and refuses what it cannot resume", async () => {
    const stop = new AbortController();
    let finished = 0;
    const { runId } = await startRun(
      {
        model: "sim/opus-like",
        judge: "sim/judge",
        classifiers: ["tag-compliance", "af-reasoning"],
        dataset: { source: "builtin:harmful", limit: 20 },
        concurrency: 2,
        seed: 4,
      },
      {
        store,
        createClient: createClientFactory(),
        signal: stop.signal,
        onEvent: (event) => {
          if (event.type === "sample-end" && ++finished === 6) stop.abort();
        },
      },
    );
    const interrupted = await store.requireRun(runId);
    expect(interrupted.status).toBe("interrupted");
    const before = await store.progress(runId);
    expect(before.complete).toBeLessThan(before.total);

    const { app, jobs } = buildApp({ store, token });
    expect((await post(app, `/api/runs/${runId}/resume`, {}, "")).status).toBe(401);
    const extra = await post(app, `/api/runs/${runId}/resume`, { model: "sim/other" });
    expect(extra.status).toBe(400);
    expect((await extra.json()).message).toMatch(/model/);
    const accepted = await post(app, `/api/runs/${runId}/resume`, {});
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({
      id: runId,
      status: "running",
      total: before.total,
      warnings: [],
    });
    await jobs.settled(runId);
    expect((await store.requireRun(runId)).status).toBe("complete");
    const after = await store.progress(runId);
    expect(after.complete).toBe(after.total);
    const again = await post(app, `/api/runs/${runId}/resume`, {});
    expect(again.status).toBe(409);
    expect((await again.json()).message).toMatch(/complete: nothing to resume/);

    // A run made from the CLI on a prompt file is resumed from the CLI.
    await store.createRun({
      id: "from-a-file",
      createdAt: "2026-01-01T00:00:00.000Z",
      updatedAt: "2026-01-01T00:00:00.000Z",
      status: "interrupted",
      config: { model: "sim/opus-like", promptFile: "prompts/mine.txt" },
      simulated: true,
      promptHash: "hash",
      total: 4,
    });
    const refused = await post(app, "/api/runs/from-a-file/resume", {});
    expect(refused.status).toBe(400);
    expect((await refused.json()).message).toMatch(/promptFile.*aflab run --resume from-a-file/);
  });
});
