import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, scratchDirectory } from "./test-support.js";

// An archived store: a read-only file in a read-only directory. Reading it must write nothing, not even
// SQLite's write-ahead log or shared-memory files beside it.
describe("a read-only store", () => {
  let directory: string;
  let archive: string;
  let db: string;
  let runId: string;
  let bytesBefore: Buffer;

  beforeAll(async () => {
    directory = scratchDirectory();
    archive = path.join(directory, "archive");
    db = path.join(archive, "results.db");
    const demo = await runCli(["demo", "--db", db, "--quiet"], directory);
    expect(demo.code, demo.stderr).toBe(0);
    const listed = await runCli(["runs", "--format", "json", "--db", db], directory);
    runId = (JSON.parse(listed.stdout) as { runs: { id: string }[] }).runs[0]?.id ?? "";
    expect(runId).not.toBe("");
    // A clean close leaves only the database file; the archive is then locked down.
    expect(fs.readdirSync(archive)).toEqual(["results.db"]);
    fs.chmodSync(db, 0o444);
    fs.chmodSync(archive, 0o555);
    bytesBefore = fs.readFileSync(db);
  }, 120_000);

  afterAll(() => {
    fs.chmodSync(archive, 0o755);
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it("is listed and reported without a write", async () => {
    const runs = await runCli(["runs", "--db", db], directory);
    expect(runs.stderr).toBe("");
    expect(runs.code).toBe(0);
    expect(runs.stdout).toContain(runId);
    const report = await runCli(["report", runId, "--format", "json", "--db", db], directory);
    expect(report.stderr).toBe("");
    expect(report.code).toBe(0);
    expect((JSON.parse(report.stdout) as { runId: string }).runId).toBe(runId);
    expect(fs.readdirSync(archive)).toEqual(["results.db"]);
    expect(fs.readFileSync(db).equals(bytesBefore)).toBe(true);
  });
});
