import { openStore, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../app.js";
import { seedDemoRun } from "../testing/demo-run.js";

let store: Store;
beforeEach(async () => {
  store = openStore(":memory:");
});
afterEach(async () => await store.close());

async function readEvents(response: Response): Promise<Array<{ event: string; data: unknown }>> {
  const text = await response.text();
  return text
    .split("\n\n")
    .filter((block) => block.trim() !== "")
    .map((block) => ({
      event: /^event: (.*)$/m.exec(block)?.[1] ?? "message",
      data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null"),
    }));
}

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

describe("event streams at scale", () => {
  it("polls a followed run once per tick, however many streams follow it", async () => {
    await seedDemoRun(store, { id: "run-a", samplesPerTier: 2, status: "running" });
    let progressReads = 0;
    const counted = new Proxy(store, {
      get(target, property, receiver) {
        if (property === "progress") {
          return (runId: string) => {
            progressReads++;
            return target.progress(runId);
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const intervalMs = 20;
    const { app } = buildApp({
      store: counted,
      pollIntervalMs: intervalMs,
      eventStreamLimits: { perClient: 50 },
    });
    const streams = Array.from({ length: 30 }, () => app.request("/api/runs/run-a/events"));
    const started = performance.now();
    await sleep(200);
    await store.updateRun("run-a", { status: "complete" });
    const all = await Promise.all(streams.map(async (pending) => readEvents(await pending)));
    const ticks = (performance.now() - started) / intervalMs;
    // One poller: at most one read per tick (plus the last), not one per stream per tick.
    expect(progressReads).toBeGreaterThan(1);
    expect(progressReads).toBeLessThanOrEqual(Math.ceil(ticks) + 2);
    for (const events of all) {
      expect(events[0]).toMatchObject({ event: "progress", data: { status: "running" } });
      expect(events.at(-1)).toMatchObject({ event: "end", data: { status: "complete" } });
    }
  });

  it("refuses a stream past the per-client cap with 429 and a JSON body, and frees the slot when one ends", async () => {
    await seedDemoRun(store, { id: "run-a", samplesPerTier: 1, status: "running" });
    const { app } = buildApp({ store, pollIntervalMs: 10, eventStreamLimits: { perClient: 2, total: 10 } });
    const open = [app.request("/api/runs/run-a/events"), app.request("/api/runs/run-a/events")];
    const opened = await Promise.all(open);
    expect(opened.map((response) => response.status)).toEqual([200, 200]);
    const refused = await app.request("/api/runs/run-a/events");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe("5");
    expect(await refused.json()).toEqual({
      code: "TOO_MANY_REQUESTS",
      message: "this client already has 2 event streams open (at most 2); close some first",
    });
    await store.updateRun("run-a", { status: "complete" });
    await Promise.all(opened.map(readEvents));
    const again = await app.request("/api/runs/run-a/events");
    expect(again.status).toBe(200);
    expect((await readEvents(again)).at(-1)?.event).toBe("end");
  });

  it("caps the streams of all clients together", async () => {
    await seedDemoRun(store, { id: "run-a", samplesPerTier: 1, status: "running" });
    const { app } = buildApp({ store, pollIntervalMs: 10, eventStreamLimits: { perClient: 10, total: 1 } });
    const first = await app.request("/api/runs/run-a/events");
    const refused = await app.request("/api/runs/run-a/events");
    expect(refused.status).toBe(429);
    expect(((await refused.json()) as { message: string }).message).toContain(
      "the server has 1 event streams open",
    );
    await store.updateRun("run-a", { status: "complete" });
    await readEvents(first);
  });

  it("ends every stream of a run that is deleted", async () => {
    await seedDemoRun(store, { id: "run-a", samplesPerTier: 1, status: "running" });
    const { app } = buildApp({ store, pollIntervalMs: 10 });
    const streams = [app.request("/api/runs/run-a/events"), app.request("/api/runs/run-a/events")];
    await sleep(50);
    await store.deleteRun("run-a");
    for (const pending of streams) {
      expect((await readEvents(await pending)).at(-1)).toEqual({ event: "end", data: { status: "deleted" } });
    }
  });
});
