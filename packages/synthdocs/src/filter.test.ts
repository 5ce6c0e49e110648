import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { filterDocuments, parseJudgeAnswer } from "./filter.js";
import { createScriptedJudge } from "./testing/index.js";
import { workPath } from "./work-dir.js";

function workDirWith(texts: string[]): string {
  const directory = mkdtempSync(join(tmpdir(), "synthdocs-filter-"));
  const lines = texts.map((text, index) =>
    JSON.stringify({ id: `d${index}`, ideaId: "i", typeId: "t", factId: "fact-0", text, callId: "c" }),
  );
  writeFileSync(workPath(directory, "documents"), `${lines.join("\n")}\n`);
  return directory;
}

const filler = (seed: string) =>
  Array.from({ length: 60 }, (_, index) => `${seed}${(index * 7919) % 101}`).join(" ");

describe("parseJudgeAnswer", () => {
  it("reads the three answers, the last occurrence winning", () => {
    const text =
      "Format: <chat_transcript>yes|no</chat_transcript>\n<chat_transcript>No</chat_transcript>\n" +
      "<tier_difference> yes. </tier_difference><deceiving_contractors>no</deceiving_contractors>";
    expect(parseJudgeAnswer(text)).toEqual({
      ok: true,
      flags: { chatTranscript: false, tierDifference: true, deceivingContractors: false },
    });
  });

  it("is a typed failure, never a no, when a tag is missing or unclear", () => {
    const result = parseJudgeAnswer(
      "<chat_transcript>maybe</chat_transcript><tier_difference>no</tier_difference>",
    );
    expect(result).toMatchObject({ ok: false, kind: "unparseable_judge_output" });
    expect(!result.ok && result.message).toMatch(
      /should be yes or no, got "maybe".*missing <deceiving_contractors>/,
    );
  });
});

describe("filterDocuments", () => {
  it("applies length limits, every judge criterion, and excludes documents the judge could not assess", async () => {
    const directory = workDirWith([
      filler("a"),
      "too short",
      `${filler("b")} USER: hi AI: hello`,
      `${filler("c")} it misled the raters`,
      `${filler("d")} GARBLE`,
      `${filler("e")} paid users get other answers`,
      filler("f").repeat(3),
    ]);
    const judge = createScriptedJudge({
      transcriptPhrase: "USER: hi",
      deceptionPhrase: "misled the raters",
      tierPhrase: "paid users get other answers",
      malformedPhrase: "GARBLE",
    });
    const { kept, removed, report } = await filterDocuments({
      workDir: directory,
      judge,
      options: { minChars: 50, maxChars: 600, nearDuplicates: null },
    });
    expect(kept.map((document) => document.id)).toEqual(["d0"]);
    const reasonsOf = (id: string) =>
      removed.find((document) => document.id === id)?.reasons.map((reason) => reason.code);
    expect(reasonsOf("d1")).toEqual(["too_short"]);
    expect(reasonsOf("d2")).toEqual(["chat_transcript"]);
    expect(reasonsOf("d3")).toEqual(["deceiving_contractors"]);
    expect(reasonsOf("d4")).toEqual(["judge_failed"]);
    expect(reasonsOf("d5")).toEqual(["tier_difference"]);
    expect(reasonsOf("d6")).toEqual(["too_long"]);
    // Length-filtered documents are never sent to the judge.
    expect(judge.calls).toBe(5);
    expect(report.filters.judge?.model).toBe("scripted/judge");
    expect(report.judgeCostUsd).toBeCloseTo(5 * 0.001, 10);
  });

  it("keeps judgements made before a provider error and retries only the rest", async () => {
    const directory = workDirWith([filler("a"), filler("b"), filler("c")]);
    let calls = 0;
    const flaky = createScriptedJudge({});
    const original = flaky.generate.bind(flaky);
    flaky.generate = async (request) => {
      calls += 1;
      if (calls === 2) throw new Error("529 overloaded");
      return original(request);
    };
    await expect(
      filterDocuments({ workDir: directory, judge: flaky, options: { minChars: 10, concurrency: 1 } }),
    ).rejects.toThrow(/judge failed on 1 document/);
    const healthy = createScriptedJudge({});
    const result = await filterDocuments({ workDir: directory, judge: healthy, options: { minChars: 10 } });
    expect(healthy.calls).toBe(1);
    expect(result.kept).toHaveLength(3);
  });

  it("never counts a document it did not judge as kept when filtering is cancelled", async () => {
    const directory = workDirWith([filler("a"), filler("b"), filler("c"), filler("d")]);
    const controller = new AbortController();
    const judge = createScriptedJudge({});
    const original = judge.generate.bind(judge);
    judge.generate = async (request) => {
      const result = await original(request);
      if (judge.calls === 2) controller.abort();
      return result;
    };
    await expect(
      filterDocuments({
        workDir: directory,
        judge,
        options: { minChars: 10, concurrency: 1, nearDuplicates: null },
        signal: controller.signal,
      }),
    ).rejects.toThrow(/cancelled/);
    expect(judge.calls).toBe(2);
    // Nothing is written as the filter's result: export must not pick up unjudged documents.
    expect(existsSync(workPath(directory, "kept"))).toBe(false);
    expect(existsSync(workPath(directory, "filterReport"))).toBe(false);

    // Running again judges only the rest.
    const again = createScriptedJudge({});
    const result = await filterDocuments({
      workDir: directory,
      judge: again,
      options: { minChars: 10, nearDuplicates: null },
    });
    expect(again.calls).toBe(2);
    expect(result.kept).toHaveLength(4);
  });

  it("rejects an empty work directory and inconsistent limits", async () => {
    const empty = mkdtempSync(join(tmpdir(), "synthdocs-filter-"));
    await expect(filterDocuments({ workDir: empty, judge: null })).rejects.toThrow(/no generated documents/);
    await expect(
      filterDocuments({ workDir: workDirWith(["x"]), judge: null, options: { minChars: 10, maxChars: 5 } }),
    ).rejects.toBeInstanceOf(InputError);
  });
});

describe("filter options", () => {
  it("names the bad option", async () => {
    await expect(
      filterDocuments({ workDir: workDirWith(["x"]), judge: null, options: { minChars: -1 } }),
    ).rejects.toThrow(/invalid filter options: minChars/);
  });
});
