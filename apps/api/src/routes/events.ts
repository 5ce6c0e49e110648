import { type RunEvent, scrubDeep } from "@aflab/core";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { ApiContext, ApiEnv } from "../api-context.js";

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/** Events worth forwarding one by one; per-sample events only nudge the next progress message. */
const forwardedEvents = new Set<RunEvent["type"]>(["run-start", "run-end", "sample-error", "retry"]);

/**
 * `/runs/:id/events`: server-sent events. `progress` whenever the stored counts change (runs written by
 * other processes included), `run-event` for runs started here, `end` once nothing is running.
 */
export function eventRoutes(api: ApiContext): Hono<ApiEnv> {
  const { store, jobs } = api;
  const routes = new Hono<ApiEnv>();
  routes.get("/runs/:id/events", async (context) => {
    const id = context.req.param("id");
    await store.requireRun(id);
    return streamSSE(context, async (stream) => {
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      let writing: Promise<void> = Promise.resolve();
      const write = (event: string, data: unknown) => {
        writing = writing
          .then(() =>
            open ? stream.writeSSE({ event, data: JSON.stringify(scrubDeep(data, api.secrets)) }) : undefined,
          )
          .catch(() => {
            open = false;
          });
        return writing;
      };
      const unsubscribe = jobs.subscribe(id, (event) => {
        if (forwardedEvents.has(event.type)) void write("run-event", event);
      });
      try {
        let last = "";
        while (open) {
          const run = await store.getRun(id);
          if (!run) {
            await write("end", { status: "deleted" });
            break;
          }
          const progress = await store.progress(id);
          const active = jobs.kindOf(id) ?? null;
          const snapshot = JSON.stringify({ status: run.status, progress, active });
          if (snapshot !== last) {
            last = snapshot;
            await write("progress", { status: run.status, progress, active });
          }
          if (run.status !== "running" && active === null) {
            await write("end", { status: run.status, progress });
            break;
          }
          await sleep(api.pollIntervalMs);
        }
      } finally {
        unsubscribe();
        await writing;
      }
    });
  });
  return routes;
}
