/** `aflab run --max-cost` end to end against the fake Anthropic server. */
import path from "node:path";
import { type FakeServer, startFakeAnthropicServer } from "@aflab/clients/testing";
import { afterEach, describe, expect, it } from "vitest";
import { peek, runCli, scratchDirectory, writeFile } from "./test-support.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

describe("aflab run --max-cost", () => {
  it("ends interrupted (budget) with the spend against the budget, and resumes with a higher one", async () => {
    const directory = scratchDirectory("aflab-budget-");
    const server = await startFakeAnthropicServer({ respond: () => `<OUTPUT>${"y".repeat(1200)}</OUTPUT>` });
    servers.push(server);
    const environment = { ANTHROPIC_API_KEY: server.apiKey, ANTHROPIC_BASE_URL: server.baseUrl };
    const lines = Array.from({ length: 20 }, (_, index) => JSON.stringify({ prompt: `Question ${index}?` }));
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
      writeFile(directory, "items.jsonl", `${lines.join("\n")}\n`),
      "--classifiers",
      "tag-compliance",
      "--max-tokens",
      "300",
      "--quiet",
      "--db",
      db,
    ];
    const bad = await runCli([...args, "--max-cost", "nothing"], directory, 30_000, environment);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--max-cost");

    const first = await runCli([...args, "--max-cost", "$0.03"], directory, 60_000, environment);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(/interrupted: budget: \$0\.\d+ of the \$0\.0300 budget spent/);
    expect(first.stdout).toMatch(/budget: \$0\.0\d+ of \$0\.03 spent/);
    const runId = peek(db, (raw) => (raw.prepare("SELECT id FROM runs").get() as { id: string }).id) ?? "";
    const spent =
      peek(
        db,
        (raw) => (raw.prepare("SELECT SUM(cost_usd) AS spent FROM samples").get() as { spent: number }).spent,
      ) ?? Number.NaN;
    expect(spent).toBeLessThanOrEqual(0.03);

    const resumed = await runCli(
      ["run", "--resume", runId, "--max-cost", "5", "--quiet", "--db", db],
      directory,
      60_000,
      environment,
    );
    expect(resumed.stderr).toBe("");
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/budget: \$0\.\d+ of \$5\.00 spent/);
    expect(server.requests.filter((request) => request.path === "/v1/messages")).toHaveLength(40);
  }, 150_000);
});
