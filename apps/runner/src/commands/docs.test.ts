import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@aflab/core";
import { createScriptedDocumentGenerator, createScriptedJudge } from "@aflab/synthdocs/testing";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { registerDocsCommands } from "./docs.js";

function harness() {
  const output: string[] = [];
  const generator = createScriptedDocumentGenerator();
  const judge = createScriptedJudge({ tierPhrase: "report" });
  const program = new Command("aflab").exitOverride();
  registerDocsCommands(program, {
    createClient: (modelId) => (modelId === "scripted/judge" ? judge : generator),
    stdout: (text) => output.push(text),
    stderr: () => {},
  });
  for (const command of program.commands) command.exitOverride();
  const run = (...argv: string[]) => program.parseAsync(argv, { from: "user" });
  return { output, generator, judge, run };
}

describe("aflab docs", () => {
  it("generates, resumes, filters, exports and reports stats", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "cli-docs-"));
    const outDir = join(workDir, "export");
    const first = harness();
    const generateFlags = [
      "--universe",
      "animal-welfare",
      "--model",
      "scripted/generator",
      "--work-dir",
      workDir,
    ];
    const sizes = ["--types-per-fact", "1", "--ideas-per-type", "1", "--docs-per-idea", "2"];
    await first.run("docs", "generate", ...generateFlags, ...sizes);
    expect(first.generator.calls).toBe(4 + 4 + 4);
    expect(first.output.join("")).toMatch(
      /8 document\(s\) from 4 idea\(s\), 4 type\(s\) and 4 key fact\(s\)/,
    );

    const second = harness();
    await second.run("docs", "generate", ...generateFlags, ...sizes);
    expect(second.generator.calls).toBe(0);
    expect(second.output.join("")).toMatch(/calls: 0 made, 12 reused/);

    // The scripted judge flags documents mentioning "report": the ideas of news-report types.
    await second.run(
      "docs",
      "filter",
      "--work-dir",
      workDir,
      "--judge",
      "scripted/judge",
      "--min-chars",
      "100",
    );
    expect(second.output.join("")).toMatch(/kept 0 of 8 document\(s\); removed 8/);
    await expect(second.run("docs", "export", "--work-dir", workDir, "--out", outDir)).rejects.toThrow(
      /no documents to export/,
    );
    expect(existsSync(outDir)).toBe(false);

    await second.run("docs", "filter", "--work-dir", workDir, "--no-judge", "--min-chars", "100");
    expect(second.output.join("")).toMatch(/kept 8 of 8 document\(s\); removed 0 · content filter skipped/);
    await second.run("docs", "export", "--work-dir", workDir, "--out", outDir, "--format", "text");
    const lines = readFileSync(join(outDir, "documents.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(8);
    expect(JSON.parse(readFileSync(join(outDir, "manifest.json"), "utf8")).counts.exported).toBe(8);

    await second.run("docs", "stats", "--work-dir", workDir, "--format", "json");
    const stats = JSON.parse(second.output.at(-1) as string);
    expect(stats.records).toEqual({ types: 4, ideas: 4, documents: 8, revisions: 0 });
    expect(stats.filter.kept).toBe(8);
  });

  it("exits non-zero and says to run again when generator calls failed with provider errors", async () => {
    const workDir = mkdtempSync(join(tmpdir(), "cli-docs-"));
    const output: string[] = [];
    let failing = true;
    const generator = createScriptedDocumentGenerator({
      decorate: (answer, context) => {
        if (failing && context.stage === "ideas") throw new Error("503 overloaded");
        return answer;
      },
    });
    const program = new Command("aflab").exitOverride();
    registerDocsCommands(program, {
      createClient: () => generator,
      stdout: (text) => output.push(text),
      stderr: () => {},
    });
    const flags = ["--universe", "helpful-only", "--model", "scripted/generator", "--work-dir", workDir];
    const sizes = ["--types-per-fact", "1", "--ideas-per-type", "1", "--docs-per-idea", "1"];
    await expect(
      program.parseAsync(["docs", "generate", ...flags, ...sizes], { from: "user" }),
    ).rejects.toThrow(/4 generator call\(s\) failed with provider errors; run the same command again/);
    expect(output.join("")).toContain("failures: provider_error 4");
    expect(output.join("")).not.toContain("next: aflab docs filter");

    failing = false;
    await program.parseAsync(["docs", "generate", ...flags, ...sizes], { from: "user" });
    expect(output.at(-1)).toMatch(/failures: none\nnext: aflab docs filter/);
  });

  it("rejects bad input with messages that name the flag", async () => {
    const { run } = harness();
    const workDir = mkdtempSync(join(tmpdir(), "cli-docs-"));
    await expect(run("docs", "filter", "--work-dir", workDir)).rejects.toThrow(/--judge: name a judge model/);
    await expect(
      run("docs", "generate", "--universe", "nowhere", "--model", "m/x", "--work-dir", workDir),
    ).rejects.toBeInstanceOf(InputError);
    await expect(
      run(
        "docs",
        "generate",
        "--universe",
        "helpful-only",
        "--model",
        "m/x",
        "--work-dir",
        workDir,
        "--docs-per-idea",
        "0",
      ),
    ).rejects.toThrow(/--docs-per-idea: expected a positive whole number, got 0/);
    await expect(
      run("docs", "export", "--work-dir", workDir, "--out", workDir, "--format", "csv"),
    ).rejects.toThrow(/--format: expected openai-chat or text/);
  });
});
