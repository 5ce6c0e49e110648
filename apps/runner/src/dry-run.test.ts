/**
 * `aflab run --dry-run` and `aflab sweep --dry-run` against the fake Anthropic server: no model is called,
 * and the estimate is checked against the usage the fake reports when the same run is made.
 */
import fs from "node:fs";
import path from "node:path";
import { type FakeServer, startFakeAnthropicServer } from "@aflab/clients/testing";
import { afterEach, describe, expect, it } from "vitest";
import { peek, runCli, scratchDirectory, writeFile } from "./test-support.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

/** An answer of 800 fake tokens: the estimate's typical turn. */
const answer = `<OUTPUT>${"b".repeat(3200 - "<OUTPUT></OUTPUT>".length)}</OUTPUT>`;

async function fake(): Promise<FakeServer> {
  const server = await startFakeAnthropicServer({ respond: () => answer });
  servers.push(server);
  return server;
}

const environment = (server: FakeServer): NodeJS.ProcessEnv => ({
  ANTHROPIC_API_KEY: server.apiKey,
  ANTHROPIC_BASE_URL: server.baseUrl,
});

function dataset(directory: string, items: number): string {
  const lines = Array.from({ length: items }, (_, index) =>
    JSON.stringify({ prompt: `How would one do task ${index}?${" Give detail.".repeat(index % 5)}` }),
  );
  return writeFile(directory, "items.jsonl", `${lines.join("\n")}\n`);
}

const messageCalls = (server: FakeServer) =>
  server.requests.filter((request) => request.path === "/v1/messages").length;

describe("aflab run --dry-run", () => {
  it("calls no model, opens no store, and estimates input tokens within 5% of what the run then uses", async () => {
    const directory = scratchDirectory("aflab-dry-");
    const server = await fake();
    const db = path.join(directory, "x.db");
    const args = [
      "run",
      "--model",
      "anthropic/claude-sonnet-4-6",
      "--user-format",
      "minimal",
      "--protocol",
      "single-call",
      "--dataset",
      dataset(directory, 25),
      "--classifiers",
      "tag-compliance",
      "--quiet",
      "--db",
      db,
    ];
    const dry = await runCli(
      [...args, "--dry-run", "--format", "json"],
      directory,
      60_000,
      environment(server),
    );
    expect(dry.stderr).toBe("");
    expect(dry.code).toBe(0);
    expect(messageCalls(server)).toBe(0);
    expect(fs.existsSync(db)).toBe(false);
    const estimate = JSON.parse(dry.stdout) as {
      dryRun: boolean;
      samples: number;
      parts: Array<{ role: string; requests: number; inputTokens: number; tokenCounting: string }>;
      total: { live: { uncached: number }; batch: { uncached: number } };
    };
    expect(estimate).toMatchObject({ dryRun: true, samples: 50 });
    expect(estimate.parts[0]).toMatchObject({ role: "model", requests: 50, tokenCounting: "provider" });
    expect(estimate.total.batch.uncached).toBeCloseTo(estimate.total.live.uncached / 2, 9);

    const table = await runCli([...args, "--dry-run"], directory, 60_000, environment(server));
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("dry run: no model was called");
    expect(table.stdout).toMatch(/model anthropic\/claude-sonnet-4-6\s+50\s+1/);
    expect(table.stdout).toContain("characters / 4");

    const real = await runCli(args, directory, 90_000, environment(server));
    expect(real.code).toBe(0);
    expect(messageCalls(server)).toBe(50);
    const used =
      peek(
        db,
        (raw) =>
          (
            raw
              .prepare(
                "SELECT SUM(input_tokens + cache_write_tokens + cache_read_tokens) AS used FROM samples",
              )
              .get() as { used: number }
          ).used,
      ) ?? 0;
    const estimated = estimate.parts[0]?.inputTokens ?? 0;
    expect(used).toBeGreaterThan(0);
    expect(Math.abs(estimated - used) / used).toBeLessThan(0.05);
  }, 120_000);

  it("sweep --dry-run estimates every cell and the total", async () => {
    const directory = scratchDirectory("aflab-dry-sweep-");
    const result = await runCli(
      [
        "sweep",
        "--models",
        "sim/opus-like,sim/sonnet-like",
        "--dataset",
        dataset(directory, 3),
        "--dry-run",
        "--format",
        "json",
      ],
      directory,
    );
    expect(result.code).toBe(0);
    const parsed = JSON.parse(result.stdout) as {
      cells: Array<{ estimate: { samples: number } }>;
      total: { samples: number };
    };
    expect(parsed.cells).toHaveLength(2);
    expect(parsed.total.samples).toBe(parsed.cells.reduce((sum, cell) => sum + cell.estimate.samples, 0));
    expect(fs.existsSync(path.join(directory, ".aflab"))).toBe(false);
  });
});
