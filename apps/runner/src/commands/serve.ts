import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { checkAllowedBaseUrls, checkApiToken, defaultViewerDir, startServer } from "@aflab/api";
import { InputError } from "@aflab/core";
import { createClientFactory, WorkerRegistry } from "@aflab/engine";
import { isPostgresUrl, openStoreUrl } from "@aflab/store";
import type { Command } from "commander";
import { loadEnvironment, numberFlag, openStoreForReading, resolveDbPath } from "../context.js";

/** The built viewer: AFLAB_VIEWER_DIR, else the copy this package carries (dist/viewer), else the API's default. */
function viewerDir(): string | undefined {
  const configured = process.env.AFLAB_VIEWER_DIR;
  if (configured) return fs.existsSync(path.join(configured, "index.html")) ? configured : undefined;
  const carried = fileURLToPath(new URL("../viewer", import.meta.url));
  return fs.existsSync(path.join(carried, "index.html")) ? carried : defaultViewerDir();
}

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("serve the HTTP API and the viewer (writes need AFLAB_API_TOKEN)")
    .option("--db <path|url>", "SQLite file or postgres:// URL (default: $AFLAB_DB or .aflab/aflab.db)")
    .option("--port <n>", "port", "8787")
    .option("--host <host>", "interface to listen on", "127.0.0.1")
    .option("--providers <file>", "providers and model aliases (JSON), for runs started from the API")
    .option(
      "--allow-base-url <url...>",
      "a base URL that runs started from the API may name (repeatable); any other is refused",
    )
    .action(
      async (flags: {
        db?: string;
        port?: string;
        host?: string;
        providers?: string;
        allowBaseUrl?: string[];
      }) => {
        const providers = loadEnvironment({ providers: flags.providers });
        // Flags are checked before the store is opened: opening creates the database file.
        const port = numberFlag(flags.port, "--port") ?? 8787;
        if (!Number.isInteger(port) || port < 0 || port > 65_535) {
          throw new InputError(`--port: expected a whole number from 0 to 65535, got ${flags.port}`, {
            field: "port",
          });
        }
        const token = process.env.AFLAB_API_TOKEN || undefined;
        if (token) checkApiToken(token);
        const allowedBaseUrls = checkAllowedBaseUrls(flags.allowBaseUrl ?? []);
        const dbPath = resolveDbPath(flags);
        // A server is reached before listening, so a bad URL is one line and exit 2, not a failing API.
        const store = isPostgresUrl(dbPath) ? await openStoreUrl(dbPath) : openStoreForReading(dbPath);
        // On the team's store the viewer shows the queue's workers from their heartbeats.
        const workers = isPostgresUrl(dbPath) ? WorkerRegistry.connect(dbPath) : undefined;
        const dir = viewerDir();
        const server = await startServer({
          store,
          port,
          host: flags.host ?? "127.0.0.1",
          token,
          viewerDir: dir,
          createClient: createClientFactory({ responseCache: store.responseCache(), providers }),
          allowedBaseUrls,
          ...(workers ? { workers } : {}),
        });
        process.stderr.write(
          `aflab serving ${server.url}${dir ? "" : " (API only: the viewer is not built; run pnpm build)"}\n` +
            `writes ${token ? "enabled with the bearer token from AFLAB_API_TOKEN" : "disabled (set AFLAB_API_TOKEN to enable)"}\n` +
            (allowedBaseUrls.length > 0
              ? `runs started here may name these base URLs: ${allowedBaseUrls.join(", ")}\n`
              : ""),
        );
        const stop = async () => {
          await server.close();
          await workers?.close();
          await store.close();
          process.exit(0);
        };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      },
    );
}
