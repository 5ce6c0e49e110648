/**
 * Runs that stop well, end to end: the CLI against the fake Anthropic server, whose request log is the
 * independent count of what was asked.
 */
import fs from "node:fs";
import path from "node:path";
import { type FakeServer, startFakeAnthropicServer } from "@aflab/clients/testing";
import { afterEach, describe, expect, it } from "vitest";
import { killHard, peek, runCli, scratchDirectory, startCli, waitFor, writeFile } from "./test-support.js";

const servers: FakeServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function fake(options: Parameters<typeof startFakeAnthropicServer>[0] = {}): Promise<FakeServer> {
  const server = await startFakeAnthropicServer({
    respond: () => "<OUTPUT>I will not help with that.</OUTPUT>",
    ...options,
  });
  servers.push(server);
  return server;
}

function environment(server: FakeServer): NodeJS.ProcessEnv {
  return { ANTHROPIC_API_KEY: server.apiKey, ANTHROPIC_BASE_URL: server.baseUrl };
}

function runArgs(directory: string, items: number, db: string): string[] {
  const lines = Array.from({ length: items }, (_, index) => JSON.stringify({ prompt: `Question ${index}?` }));
  const dataset = writeFile(directory, "items.jsonl", `${lines.join("\n")}\n`);
  return [
    "run",
    "--model",
    "anthropic/claude-sonnet-4-6",
    "--user-format",
    "minimal",
    "--protocol",
    "single-call",
    "--dataset",
    dataset,
    "--classifiers",
    "tag-compliance",
    "--concurrency",
    "2",
    "--quiet",
    "--db",
    db,
  ];
}

function firstUserText(body: unknown): string {
  const messages = (body as { messages?: Array<{ role: string; content: unknown }> }).messages ?? [];
  const content = messages.find((message) => message.role === "user")?.content;
  if (typeof content === "string") return content;
  return Array.isArray(content)
    ? (content as Array<{ text: string }>).map((block) => block.text).join("")
    : "";
}

const countSamples = (db: string) =>
  peek(db, (raw) => (raw.prepare("SELECT COUNT(*) AS count FROM samples").get() as { count: number }).count);

describe("two resumes of one run at once", () => {
  it("make exactly the missing requests once: the second refuses naming the owner, --wait queues", async () => {
    const directory = scratchDirectory("aflab-stops-");
    const db = path.join(directory, "x.db");
    const server = await fake({ latencyMs: 40 });
    const args = runArgs(directory, 60, db);
    // A run killed part-way: its lease is left behind by a process that no longer exists.
    const killed = startCli(args, directory, environment(server));
    await waitFor(() => {
      const count = countSamples(db);
      return count !== undefined && count >= 10 ? count : undefined;
    }, "ten stored samples");
    await killHard(killed);
    const runId = peek(db, (raw) => (raw.prepare("SELECT id FROM runs").get() as { id: string }).id) ?? "";
    const finished = peek(
      db,
      (raw) =>
        (
          raw.prepare("SELECT COUNT(*) AS count FROM samples WHERE status != 'errored'").get() as {
            count: number;
          }
        ).count,
    ) as number;
    const missing = 120 - finished;
    expect(missing).toBeGreaterThan(40);
    const askedBefore = server.requests.length;

    const resume = ["run", "--resume", runId, "--quiet", "--db", db];
    const owner = runCli(resume, directory, 90_000, environment(server));
    const holder = await waitFor(
      () =>
        peek(
          db,
          (raw) =>
            raw.prepare("SELECT pid, host FROM run_leases WHERE pid != ?").get(killed.pid) as
              | { pid: number; host: string }
              | undefined,
        ),
      "the first resume's lease",
    );
    const refused = await runCli(resume, directory, 90_000, environment(server));
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(
      new RegExp(
        `^error: run ${runId} is being run by pid ${holder.pid}@${holder.host} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: pass --wait to queue behind it, or stop that process\\n$`,
      ),
    );
    const queued = runCli([...resume, "--wait"], directory, 90_000, environment(server));
    const [ownerResult, queuedResult] = await Promise.all([owner, queued]);
    expect(ownerResult.code).toBe(0);
    expect(queuedResult.code).toBe(0);

    const resumed = server.requests.slice(askedBefore).map((request) => firstUserText(request.body));
    expect(resumed).toHaveLength(missing);
    expect(new Set(resumed).size).toBe(missing);
    const stored = peek(db, (raw) => raw.prepare("SELECT status FROM samples").all() as { status: string }[]);
    expect(stored).toHaveLength(120);
    expect(peek(db, (raw) => raw.prepare("SELECT * FROM run_leases").all())).toEqual([]);
  }, 120_000);
});

describe("a provider outage", () => {
  it("ends the run as interrupted (provider_unavailable) within the outage timeout, and it resumes", async () => {
    const directory = scratchDirectory("aflab-stops-");
    const db = path.join(directory, "x.db");
    const down = await fake({
      faultSequence: [
        ...Array.from({ length: 10 }, () => "none" as const),
        ...Array.from({ length: 5000 }, () => "overloaded" as const),
      ],
    });
    const started = Date.now();
    const first = await runCli(
      [...runArgs(directory, 100, db), "--outage-timeout", "2"],
      directory,
      90_000,
      environment(down),
    );
    const elapsed = Date.now() - started;
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /^run \S+ interrupted: provider_unavailable: the provider did not answer for 2 s after 10 unreachable or overloaded answers in a row \(last: overloaded \(529\)\)\nresume with: aflab run --resume \S+ --db /m,
    );
    expect(elapsed).toBeLessThan(30_000);
    const runId =
      peek(db, (raw) => (raw.prepare("SELECT id, status FROM runs").get() as { id: string }).id) ?? "";
    expect(peek(db, (raw) => raw.prepare("SELECT status FROM runs").get())).toEqual({
      status: "interrupted",
    });

    const up = await fake();
    const second = await runCli(
      ["run", "--resume", runId, "--quiet", "--db", db],
      directory,
      90_000,
      environment(up),
    );
    expect(second.code).toBe(0);
    expect(up.requests).toHaveLength(200 - 10);
    expect(countSamples(db)).toBe(200);
  }, 120_000);

  it("refuses an outage timeout that is not a positive number of seconds", async () => {
    const directory = scratchDirectory("aflab-stops-");
    const result = await runCli(
      ["run", "--outage-timeout", "0", "--db", path.join(directory, "x.db")],
      directory,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe("error: --outage-timeout: expected a number of seconds above 0, got 0\n");
    expect(fs.existsSync(path.join(directory, "x.db"))).toBe(false);
  });
});

describe("a store deleted mid-run", () => {
  it("exits 1 with one line and prints no report", async () => {
    const directory = scratchDirectory("aflab-stops-");
    const db = path.join(directory, "x.db");
    const server = await fake({ latencyMs: 40 });
    const run = runCli(runArgs(directory, 100, db), directory, 90_000, environment(server));
    await waitFor(() => {
      const count = countSamples(db);
      return count !== undefined && count >= 5 ? count : undefined;
    }, "five stored samples");
    fs.rmSync(db);
    const result = await run;
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe(
      `error: the store ${db} was deleted while in use: results written since are lost\n`,
    );
    // It stopped at the periodic check, long before the run's 200 requests.
    expect(server.requests.length).toBeLessThan(200);
  }, 120_000);
});

describe("a dataset that is a named pipe", () => {
  it("is refused at once with one line, and no store is created", async () => {
    const directory = scratchDirectory("aflab-stops-");
    const fifo = path.join(directory, "queries.jsonl");
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [fifo]);
    const result = await runCli(
      ["run", "--dataset", fifo, "--quiet", "--db", path.join(directory, "x.db")],
      directory,
      20_000,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`error: dataset ${fifo}: is a named pipe (FIFO), not a regular file\n`);
    expect(fs.existsSync(path.join(directory, "x.db"))).toBe(false);
  });
});
