import { spawn } from "node:child_process";
import path from "node:path";
import { findTestPostgres } from "@aflab/store/testing";
import { afterAll, describe, expect, it } from "vitest";
import { cleanEnvironment, cliPath, runCli, scratchDirectory } from "./test-support.js";

const server = await findTestPostgres();
afterAll(() => server.cleanUp());

/** Starts `aflab serve` and resolves with its URL once it listens, and a way to stop it. */
function serve(db: string, directory: string): Promise<{ url: string; stop: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, "serve", "--db", db, "--port", "0"], {
      cwd: directory,
      env: cleanEnvironment(directory),
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      const match = /aflab serving (http:\/\/\S+)/.exec(stderr);
      if (match?.[1]) resolve({ url: match[1], stop: () => child.kill("SIGTERM") });
    });
    child.once("exit", (code) => reject(new Error(`serve exited ${code}: ${stderr}`)));
  });
}

describe("bad PostgreSQL URLs", () => {
  it("are one line naming host and database, never the password, and exit 2", async () => {
    const directory = scratchDirectory("aflab-pg-bad-");
    for (const args of [
      ["runs", "--db", "postgres://alice:pw-s3cret@127.0.0.1:1/teamdb"],
      ["serve", "--db", "postgres://alice:pw-s3cret@127.0.0.1:1/teamdb", "--port", "0"],
      ["store", "copy", "--from", "postgres://alice:pw-s3cret@127.0.0.1:1/teamdb", "--to", "x.db"],
    ]) {
      const result = await runCli(args, directory);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toBe(
        "error: cannot open PostgreSQL store at 127.0.0.1:1 database teamdb: connection refused (is PostgreSQL running? apt-get install postgresql)\n",
      );
      expect(result.stdout + result.stderr).not.toContain("pw-s3cret");
    }
  });
});

describe.skipIf(!server.url)("a team store on PostgreSQL", () => {
  it("takes a run, reports it like a file does, copies both ways idempotently and serves it", async () => {
    const directory = scratchDirectory("aflab-pg-");
    const team = server.schemaUrl();
    const demo = await runCli(["demo", "--db", team, "--quiet", "--epochs", "2"], directory);
    expect(demo.code, demo.stderr).toBe(0);
    const runId = /^run (\S+)/m.exec(demo.stdout)?.[1] ?? "";
    expect(runId).not.toBe("");

    const teamReport = await runCli(["report", runId, "--format", "json", "--db", team], directory);
    expect(teamReport.code, teamReport.stderr).toBe(0);

    const laptop = path.join(directory, "laptop.db");
    const copy = await runCli(["store", "copy", "--from", team, "--to", laptop], directory);
    expect(copy.code, copy.stderr).toBe(0);
    expect(copy.stdout).toMatch(/copied 1 runs .*: 1 new, 0 updated, 0 already there; \d+ samples/);
    expect(copy.stderr).toContain(`copying run 1/1 ${runId}`);
    // The same report computed by the other backend from the copied rows.
    const laptopReport = await runCli(["report", runId, "--format", "json", "--db", laptop], directory);
    expect(JSON.parse(laptopReport.stdout)).toEqual(JSON.parse(teamReport.stdout));

    const again = await runCli(["store", "copy", "--from", laptop, "--to", team], directory);
    expect(again.stdout).toContain("0 new, 0 updated, 1 already there; 0 samples and 0 verdicts written");

    const api = await serve(team, directory);
    try {
      const detail = (await (await fetch(`${api.url}/api/runs/${runId}`)).json()) as {
        run: { id: string };
        summary: unknown;
      };
      expect(detail.run.id).toBe(runId);
      expect(JSON.parse(JSON.stringify(detail.summary))).toEqual(JSON.parse(teamReport.stdout));
      // The server follows the queue's workers (none yet: nothing was queued here).
      const workers = await (await fetch(`${api.url}/api/runs/${runId}/workers`)).json();
      expect(workers).toMatchObject({ backend: "postgres", runId, live: 0, done: 0, workers: [] });
    } finally {
      api.stop();
    }
  });
});
