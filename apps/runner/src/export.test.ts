import fs from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, scratchDirectory } from "./test-support.js";

let directory: string;
let db: string;
let runId: string;

beforeAll(async () => {
  directory = scratchDirectory("aflab-export-");
  db = path.join(directory, "aflab.db");
  const demo = await runCli(["demo", "--db", db, "--epochs", "1", "--quiet"], directory);
  expect(demo.code).toBe(0);
  const runs = await runCli(["runs", "--db", db, "--format", "json"], directory);
  const listed = JSON.parse(runs.stdout) as { runs: { id: string }[] };
  runId = listed.runs[0]?.id ?? "";
  expect(runId).not.toBe("");
});

describe("aflab export", () => {
  it("writes JSONL to stdout whose rows agree with aflab report", async () => {
    const exported = await runCli(["export", runId, "--db", db, "--format", "jsonl"], directory);
    expect(exported.code).toBe(0);
    const rows = exported.stdout
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const report = JSON.parse(
      (await runCli(["report", runId, "--db", db, "--format", "json"], directory)).stdout,
    );
    expect(rows).toHaveLength(report.total);
    const compliant = rows.filter(
      (row) => row.tier === "free" && row[`verdict.${report.complianceClassifier}.decision`] === "compliant",
    ).length;
    expect(compliant).toBe(report.tiers.free.compliant);
  });

  it("writes Parquet and HTML files", async () => {
    const parquet = path.join(directory, "samples.parquet");
    const html = path.join(directory, "report.html");
    expect(
      (await runCli(["export", runId, "--db", db, "--format", "parquet", "--out", parquet], directory)).code,
    ).toBe(0);
    expect(fs.readFileSync(parquet).subarray(0, 4).toString()).toBe("PAR1");
    const written = await runCli(["export", runId, "--db", db, "--format", "html", "--out", html], directory);
    expect(written.code).toBe(0);
    expect(fs.readFileSync(html, "utf8")).toMatch(/^<!doctype html>/);
  });

  it("writes an Inspect log", async () => {
    const log = path.join(directory, "run.eval");
    const written = await runCli(
      ["export", runId, "--db", db, "--format", "inspect", "--out", log],
      directory,
    );
    expect(written.code).toBe(0);
    expect(written.stderr).toMatch(/wrote an Inspect log with \d+ samples/);
    // A zip: Inspect tells its .eval logs apart by this signature.
    expect(fs.readFileSync(log).subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  });

  it.each([
    [
      "an unknown format",
      ["--format", "xml", "--out", "x.out"],
      /--format: expected one of jsonl, csv, parquet, html, inspect, got "xml"/,
    ],
    ["Parquet without --out", ["--format", "parquet"], /--out: Parquet is binary/],
    ["an Inspect log not named .eval", ["--format", "inspect", "--out", "x.out"], /expected a \.eval file/],
    ["an unknown run", ["--format", "csv", "--out", "x.out"], /run nope not found/, "nope"],
  ])("refuses %s with exit 2, one line and no file", async (_name, flags, message, run = undefined) => {
    const result = await runCli(["export", run ?? runId, "--db", db, ...flags], directory);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
    expect(fs.existsSync(path.join(directory, "x.out"))).toBe(false);
  });
});
