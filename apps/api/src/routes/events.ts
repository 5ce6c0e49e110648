import { type RunEvent, scrubDeep } from "@aflab/core";
import { Hono } from "hono";
import { streamSSE } from "hono/streaming";
import type { ApiContext, ApiEnv } from "../api-context.js";
import { clientOf } from "../middleware/job-start-limit.js";
import type { ProgressUpdate } from "../progress-hub.js";

/** The text of each update already sent to one stream of its run, for the others. */
const serialised = new WeakMap<object, string>();

/** Events worth forwarding one by one; per-sample events only nudge the next progress message. */
const forwardedEvents = new Set<RunEvent["type"]>(["run-start", "run-end", "sample-error", "retry"]);

/**
 * `/runs/:id/events`: server-sent events. `progress` whenever the stored counts change (runs written by
 * other processes included), `run-event` for runs started here, `end` once nothing is running. Progress
 * comes from the run's one poller (`RunProgressHub`), shared by every stream that follows the run; open
 * streams are capped per client and in total (429 past a cap).
 */
export function eventRoutes(api: ApiContext): Hono<ApiEnv> {
  const { store, jobs } = api;
  const routes = new Hono<ApiEnv>();
  routes.get("/runs/:id/events", async (context) => {
    const id = context.req.param("id");
    await store.requireRun(id);
    const release = api.streamLimiter.acquire(clientOf(context));
    try {
      return streamSSE(context, async (stream) => {
        let open = true;
        let finish: () => void = () => {};
        const finished = new Promise<void>((resolve) => {
          finish = resolve;
        });
        stream.onAbort(() => {
          open = false;
          finish();
        });
        let writing: Promise<void> = Promise.resolve();
        const write = (event: string, data: unknown) => {
          // A progress update goes to every stream of the run: it is scrubbed and serialised once.
          let text = typeof data === "object" && data !== null ? serialised.get(data) : undefined;
          if (text === undefined) {
            text = JSON.stringify(scrubDeep(data, api.secrets));
            if (typeof data === "object" && data !== null) serialised.set(data, text);
          }
          const line = text;
          writing = writing
            .then(() => (open ? stream.writeSSE({ event, data: line }) : undefined))
            .catch(() => {
              open = false;
              finish();
            });
          return writing;
        };
        const unsubscribeEvents = jobs.subscribe(id, (event) => {
          if (forwardedEvents.has(event.type)) void write("run-event", event);
        });
        const unsubscribeProgress = api.progressHub.subscribe(id, (update: ProgressUpdate) => {
          if (update.type === "progress") void write("progress", update.snapshot);
          else {
            void write(
              "end",
              update.progress
                ? { status: update.status, progress: update.progress }
                : {
                    status: update.status,
                  },
            );
            finish();
          }
        });
        try {
          await finished;
        } finally {
          unsubscribeProgress();
          unsubscribeEvents();
          await writing;
          release();
        }
      });
    } catch (error) {
      release();
      throw error;
    }
  });
  return routes;
}
