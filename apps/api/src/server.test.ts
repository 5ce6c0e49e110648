import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "@aflab/store";
import { describe, expect, it } from "vitest";
import { startServer } from "./server.js";
import { seedDemoRun } from "./testing/demo-run.js";

describe("startServer", () => {
  it("serves the API and the viewer over HTTP on 127.0.0.1 and closes cleanly", async () => {
    const store = openStore(":memory:");
    await seedDemoRun(store, { id: "run-a", samplesPerTier: 2 });
    const viewerDir = mkdtempSync(join(tmpdir(), "aflab-viewer-"));
    writeFileSync(join(viewerDir, "index.html"), "<!doctype html><title>viewer</title>");
    const server = await startServer({ store, port: 0, token: null, viewerDir });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
      const health = await fetch(`${server.url}/api/health`);
      expect(await health.json()).toEqual({ status: "ok", writes: false });
      const runs = (await (await fetch(`${server.url}/api/runs`)).json()) as { total: number };
      expect(runs.total).toBe(1);
      expect(await (await fetch(`${server.url}/runs/run-a`)).text()).toContain("<title>viewer</title>");
      const events = await fetch(`${server.url}/api/runs/run-a/events`);
      expect(await events.text()).toContain("event: end");
    } finally {
      await server.close();
      await store.close();
    }
    await expect(fetch(`${server.url}/api/health`)).rejects.toThrow();
  });

  it("on loopback, refuses requests addressed to another host name (DNS rebinding)", async () => {
    const store = openStore(":memory:");
    const server = await startServer({ store, port: 0, token: null });
    try {
      const { request } = await import("node:http");
      const statusFor = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const outgoing = request(
            { host: "127.0.0.1", port: server.port, path: "/api/runs", headers: { host } },
            (response) => {
              response.resume();
              resolve(response.statusCode ?? 0);
            },
          );
          outgoing.on("error", reject);
          outgoing.end();
        });
      expect(await statusFor(`attacker.example:${server.port}`)).toBe(403);
      expect(await statusFor(`127.0.0.1:${server.port}`)).toBe(200);
      expect(await statusFor(`localhost:${server.port}`)).toBe(200);
      expect(await statusFor(`[::1]:${server.port}`)).toBe(200);
    } finally {
      await server.close();
      await store.close();
    }
  });

  it("takes the token from AFLAB_API_TOKEN when none is given", async () => {
    const store = openStore(":memory:");
    const previous = process.env.AFLAB_API_TOKEN;
    process.env.AFLAB_API_TOKEN = "env-token-abcdef";
    const server = await startServer({ store, port: 0 });
    try {
      expect(await (await fetch(`${server.url}/api/health`)).json()).toEqual({ status: "ok", writes: true });
      const denied = await fetch(`${server.url}/api/runs/x`, { method: "DELETE" });
      expect(denied.status).toBe(401);
      const allowed = await fetch(`${server.url}/api/runs/x`, {
        method: "DELETE",
        headers: { authorization: "Bearer env-token-abcdef" },
      });
      expect(allowed.status).toBe(404);
    } finally {
      if (previous === undefined) delete process.env.AFLAB_API_TOKEN;
      else process.env.AFLAB_API_TOKEN = previous;
      await server.close();
      await store.close();
    }
  });
});
