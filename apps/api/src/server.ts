import { existsSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type { ClientFactory } from "@aflab/engine";
import type { Store } from "@aflab/store";
import { serve } from "@hono/node-server";
import { buildApp } from "./app.js";
import type { EventStreamLimits } from "./middleware/event-stream-limit.js";
import type { JobStartLimits } from "./middleware/job-start-limit.js";
import type { WorkersSource } from "./routes/workers.js";

export interface StartServerOptions {
  store: Store;
  /** 0 picks a free port. Default 8787. */
  port?: number;
  /** Default 127.0.0.1: reachable from this machine only. */
  host?: string;
  /** Bearer token for writes. Undefined reads AFLAB_API_TOKEN; null disables writes whatever the environment says. */
  token?: string | null;
  /** The built viewer; default the viewer's `dist` next to this package, when it exists. */
  viewerDir?: string;
  createClient?: ClientFactory;
  /** Base URLs a run request may name (see `CreateAppOptions.allowedBaseUrls`). */
  allowedBaseUrls?: readonly string[];
  maxBodyBytes?: number;
  jobStartLimits?: Partial<JobStartLimits>;
  pollIntervalMs?: number;
  /** Caps on open event streams (see `CreateAppOptions.eventStreamLimits`). */
  eventStreamLimits?: Partial<EventStreamLimits>;
  /** The queue's worker heartbeats (see `CreateAppOptions.workers`); the caller closes it. */
  workers?: WorkersSource;
}

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  port: number;
  /** Cancel runs this server started, then stop listening. */
  close(): Promise<void>;
}

/** The viewer build that sits beside this package in the repository (`apps/viewer/dist`), if built. */
export function defaultViewerDir(): string | undefined {
  const candidate = fileURLToPath(new URL("../../viewer/dist", import.meta.url));
  return existsSync(candidate) ? candidate : undefined;
}

const loopbackHosts = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

function isLoopback(host: string): boolean {
  return loopbackHosts.test(host.includes(":") && !host.startsWith("[") ? `[${host}]` : host);
}

/** The host name a request was addressed to, without the port. */
function hostnameOf(request: Request): string {
  const header = request.headers.get("host") ?? "";
  return header.startsWith("[") ? header.slice(0, header.indexOf("]") + 1) : (header.split(":")[0] ?? "");
}

/**
 * Serve the API (and the viewer) over HTTP on 127.0.0.1 by default. Listening on loopback, it answers only
 * requests addressed to a loopback name: a web page that points its own domain at 127.0.0.1 (DNS
 * rebinding) cannot read runs through the visitor's browser.
 *
 * @example
 * const server = await startServer({ store: openStore("aflab.db"), port: 0 });
 * console.log(`open ${server.url}`);
 * await server.close();
 */
export async function startServer(options: StartServerOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const token = options.token === undefined ? process.env.AFLAB_API_TOKEN : (options.token ?? undefined);
  const viewerDir = options.viewerDir ?? defaultViewerDir();
  const { app, jobs } = buildApp({
    store: options.store,
    ...(token ? { token } : {}),
    ...(viewerDir ? { viewerDir } : {}),
    ...(options.createClient ? { createClient: options.createClient } : {}),
    ...(options.allowedBaseUrls ? { allowedBaseUrls: options.allowedBaseUrls } : {}),
    ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.jobStartLimits ? { jobStartLimits: options.jobStartLimits } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.eventStreamLimits ? { eventStreamLimits: options.eventStreamLimits } : {}),
    ...(options.workers ? { workers: options.workers } : {}),
  });
  const loopbackOnly = isLoopback(host);
  const { server, port } = await new Promise<{ server: ReturnType<typeof serve>; port: number }>(
    (resolve, reject) => {
      const server = serve(
        {
          fetch: (request, ...rest) =>
            loopbackOnly && !isLoopback(hostnameOf(request))
              ? Response.json(
                  {
                    code: "FORBIDDEN",
                    message: "this server answers only requests addressed to localhost or 127.0.0.1",
                  },
                  { status: 403 },
                )
              : app.fetch(request, ...rest),
          port: options.port ?? 8787,
          hostname: host,
        },
        (info: AddressInfo) => resolve({ server, port: info.port }),
      );
      server.once("error", reject);
    },
  );
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}`,
    port,
    async close() {
      await jobs.cancelAll();
      await new Promise<void>((resolve) => {
        // Event streams hold connections open; end them rather than wait for the poll loops.
        const closable = server as { closeAllConnections?: () => void };
        server.close(() => resolve());
        closable.closeAllConnections?.();
      });
    },
  };
}
