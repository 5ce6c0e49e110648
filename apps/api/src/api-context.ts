import { scrubDeep } from "@aflab/core";
import type { ClientFactory } from "@aflab/engine";
import type { Store } from "@aflab/store";
import type { Context, MiddlewareHandler } from "hono";
import type { EventStreamLimiter } from "./middleware/event-stream-limit.js";
import type { JobStartLimiter } from "./middleware/job-start-limit.js";
import type { RunProgressHub } from "./progress-hub.js";
import type { RunJobs } from "./run-jobs.js";
import type { RunRequestPolicy } from "./run-request.js";

/** What the route modules share: the store, the jobs this process runs, and the server's rules. */
export interface ApiContext {
  store: Store;
  jobs: RunJobs;
  /** Secret values scrubbed from every response, besides anything key-shaped. */
  secrets: readonly string[];
  /** Builds model and judge clients for runs started or re-classified here (made on first use). */
  clientFactory: () => ClientFactory;
  pollIntervalMs: number;
  policy: RunRequestPolicy;
  /** Before every write route: the bearer token, then the body limit, then the JSON body. */
  writeAccess: MiddlewareHandler<ApiEnv>;
  startLimiter: JobStartLimiter;
  /** Caps on open event streams, per client and in total. */
  streamLimiter: EventStreamLimiter;
  /** One progress poller per followed run, shared by its event streams. */
  progressHub: RunProgressHub;
}

/** Variables the middleware sets for the handlers after it. */
export interface ApiEnv {
  Variables: {
    /** The parsed JSON body of a write request (`{}` when empty). */
    body: unknown;
  };
}

/** A JSON response scrubbed of secrets. The body type is one of the envelopes in `@aflab/core`. */
export function send<Body extends object>(
  context: Context<ApiEnv>,
  api: Pick<ApiContext, "secrets">,
  body: Body,
  status: 200 | 202 = 200,
): Response {
  return context.json(scrubDeep(body, api.secrets) as Body, status);
}

/** A JSON text already scrubbed (e.g. kept in a cache), sent as is. */
export function sendText(context: Context<ApiEnv>, text: string): Response {
  return context.body(text, 200, { "content-type": "application/json; charset=UTF-8" });
}

/** The scrubbed JSON text of a response body, for caches that keep what they send. */
export function responseText(api: Pick<ApiContext, "secrets">, body: object): string {
  return JSON.stringify(scrubDeep(body, api.secrets));
}
