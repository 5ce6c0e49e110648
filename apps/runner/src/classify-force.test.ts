import path from "node:path";
import { simulatedJudgeAnswer } from "@aflab/classifiers";
import { type FakeServer, startFakeOpenAIServer } from "@aflab/clients/testing";
import { afterEach, describe, expect, it } from "vitest";
import {
  killHard,
  openRaw,
  type RawDatabase,
  runCli,
  scratchDirectory,
  startCli,
  waitFor,
} from "./test-support.js";

// 45 built-in harmful queries × 2 tiers × 3 epochs.
const total = 45 * 2 * 3;
const judgeKey = "judge-key-0123456789";

let judge: FakeServer | undefined;
afterEach(async () => {
  await judge?.close();
  judge = undefined;
});

/** Per classifier, how many different judges wrote its stored verdicts: 1 means one generation. */
function generations(raw: RawDatabase, runId: string): Record<string, number> {
  const rows = raw
    .prepare(
      `SELECT classifier, COUNT(DISTINCT COALESCE(judge_model, '-')) AS judges
       FROM verdicts WHERE run_id = ? GROUP BY classifier ORDER BY classifier`,
    )
    .all(runId) as { classifier: string; judges: number }[];
  return Object.fromEntries(rows.map((row) => [row.classifier, row.judges]));
}

function judgesOf(raw: RawDatabase, runId: string, classifier: string): Record<string, number> {
  const rows = raw
    .prepare(
      `SELECT judge_model AS judge, COUNT(*) AS count FROM verdicts
       WHERE run_id = ? AND classifier = ? GROUP BY judge_model`,
    )
    .all(runId, classifier) as { judge: string; count: number }[];
  return Object.fromEntries(rows.map((row) => [row.judge, row.count]));
}

describe("classify --force killed with SIGKILL", () => {
  it("leaves no run with verdicts of two generations, and a plain classify finishes the replacement", async () => {
    const directory = scratchDirectory("aflab-classify-force-");
    const db = path.join(directory, "x.db");
    const first = await runCli(
      [
        "run",
        "--model",
        "sim/opus-like",
        "--user-format",
        "minimal",
        "--epochs",
        "3",
        "--judge",
        "sim/judge",
        "--classifiers",
        "tag-compliance,af-reasoning",
        "--format",
        "json",
        "--quiet",
        "--db",
        db,
      ],
      directory,
    );
    expect(first.code, first.stderr).toBe(0);
    const runId = (JSON.parse(first.stdout) as { runId: string }).runId;
    const before = openRaw(db);
    let complete: number;
    try {
      complete = (
        before
          .prepare("SELECT COUNT(*) AS count FROM samples WHERE run_id = ? AND status = 'complete'")
          .get(runId) as {
          count: number;
        }
      ).count;
      expect(complete).toBeGreaterThan(total / 2);
      expect(judgesOf(before, runId, "af-reasoning")).toEqual({ "sim/judge": complete });
    } finally {
      before.close();
    }

    // A real OpenAI-wire judge, slow enough that the kill lands in the middle of the re-classification.
    judge = await startFakeOpenAIServer({
      apiKey: judgeKey,
      latency: 25,
      respond: (request) => simulatedJudgeAnswer(request.system, request.messages.at(-1)?.content ?? ""),
    });
    const server = judge;
    const judgeRequests = () =>
      server.requests.filter((request) => request.path.endsWith("/chat/completions")).length;
    const environment = { OPENAI_API_KEY: judgeKey, OPENAI_BASE_URL: server.baseUrl };
    const child = startCli(
      [
        "classify",
        runId,
        "--force",
        "--classifiers",
        // The AF judge alone: its eval-awareness companion keeps its verdicts.
        "af-reasoning,-eval-awareness",
        "--judge",
        "openai/gpt-4o-mini",
        "--concurrency",
        "2",
        "--quiet",
        "--db",
        db,
      ],
      directory,
      environment,
    );
    await waitFor(() => (judgeRequests() >= 40 ? true : undefined), "forty judge requests");
    expect(await killHard(child)).toBe("SIGKILL");
    const askedBeforeKill = judgeRequests();
    expect(askedBeforeKill).toBeLessThan(complete);

    const killed = openRaw(db);
    try {
      expect(generations(killed, runId)).toEqual({
        "af-reasoning": 1,
        "eval-awareness": 1,
        "tag-compliance": 1,
      });
      expect(judgesOf(killed, runId, "af-reasoning")).toEqual({ "sim/judge": complete });
    } finally {
      killed.close();
    }

    const finish = await runCli(["classify", runId, "--quiet", "--db", db], directory, 90_000, environment);
    expect(finish.code, finish.stderr).toBe(0);
    expect(finish.stdout).toContain("replaced every verdict of af-reasoning at once");

    const after = openRaw(db);
    try {
      expect(generations(after, runId)).toEqual({
        "af-reasoning": 1,
        "eval-awareness": 1,
        "tag-compliance": 1,
      });
      expect(judgesOf(after, runId, "af-reasoning")).toEqual({ "openai/gpt-4o-mini": complete });
      expect(
        (after.prepare("SELECT COUNT(*) AS count FROM staged_verdicts").get() as { count: number }).count,
      ).toBe(0);
    } finally {
      after.close();
    }
    // What was asked before the kill came from the response cache: the judge was not paid twice for it.
    expect(judgeRequests()).toBeLessThan(complete + 4);
  });
});
