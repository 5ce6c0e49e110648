import { appendFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError, ProviderError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { type GenerationEvent, generateDocuments } from "./generate.js";
import { readJsonl } from "./jsonl.js";
import { workDirStats } from "./stats.js";
import { createScriptedDocumentGenerator } from "./testing/index.js";
import { builtInUniverses, type UniverseContext } from "./universe.js";
import { callRecordSchema, generationFailureSchema, readGeneratedDocuments, workPath } from "./work-dir.js";

const universe = builtInUniverses["helpful-only"] as UniverseContext;
const options = { typesPerFact: 2, ideasPerType: 2, documentsPerIdea: 3, concurrency: 1 };
// 4 facts → 4 type calls → 8 types → 8 idea calls → 16 ideas → 16 document calls of 3 completions.
const expectedCalls = 4 + 8 + 16;

function workDir(): string {
  return mkdtempSync(join(tmpdir(), "synthdocs-generate-"));
}

describe("generateDocuments", () => {
  it("walks facts → types → ideas → documents and records parents and cost", async () => {
    const directory = workDir();
    const client = createScriptedDocumentGenerator();
    const events: GenerationEvent[] = [];
    const summary = await generateDocuments({
      universe,
      client,
      workDir: directory,
      options,
      onEvent: (event) => events.push(event),
    });
    expect(client.calls).toBe(expectedCalls);
    expect(summary.counts).toEqual({ facts: 4, types: 8, ideas: 16, documents: 48, revisions: 0 });
    expect(summary.costUsd).toBeCloseTo(expectedCalls * 0.001, 10);
    expect(summary.callsMade).toBe(expectedCalls);
    const documents = readGeneratedDocuments(directory);
    expect(documents).toHaveLength(48);
    const first = documents[0];
    expect(first?.id).toBe("fact-0/t0/i0/d0");
    expect(first?.factId).toBe("fact-0");
    expect(first?.typeId).toBe("fact-0/t0");
    expect(first?.ideaId).toBe("fact-0/t0/i0");
    // Document calls ask for n completions in one request.
    const documentRequests = client.requests.filter((request) => request.n === 3);
    expect(documentRequests).toHaveLength(16);
    const lastDocumentEnd = events
      .filter((event) => event.type === "call-end" && event.stage === "documents")
      .at(-1);
    expect(lastDocumentEnd).toMatchObject({ done: 16, total: 16, failed: 0 });
    expect(events.find((event) => event.type === "stage-end" && event.stage === "documents")).toMatchObject({
      records: 48,
    });
  });

  it("records a malformed generator output as a typed failure with its raw text", async () => {
    const directory = workDir();
    const client = createScriptedDocumentGenerator({
      decorate: (answer, context) =>
        context.stage === "documents" && context.completion === 1 && context.subject.includes("insider")
          ? "Sure! Here is the memo you asked for, no tags though."
          : answer,
    });
    const summary = await generateDocuments({ universe, client, workDir: directory, options });
    // Half the ideas are "insider" ideas (8), each losing completion 1.
    expect(summary.counts.documents).toBe(48 - 8);
    expect(summary.failures).toEqual({ missing_document_tags: 8 });
    const failures = readJsonl(workPath(directory, "failures"), generationFailureSchema);
    expect(failures[0]).toMatchObject({
      stage: "documents",
      kind: "missing_document_tags",
      completion: 1,
      retryable: false,
      raw: "Sure! Here is the memo you asked for, no tags though.",
    });

    // Resuming does not pay again for calls whose output was malformed.
    const again = createScriptedDocumentGenerator();
    const resumed = await generateDocuments({ universe, client: again, workDir: directory, options });
    expect(again.calls).toBe(0);
    expect(resumed.failures).toEqual({ missing_document_tags: 8 });
  });

  it("resumes a killed run without repeating any call", async () => {
    const directory = workDir();
    const controller = new AbortController();
    let documentCalls = 0;
    const first = createScriptedDocumentGenerator({
      decorate: (answer, context) => {
        if (context.stage === "documents" && context.completion === 0) {
          documentCalls += 1;
          if (documentCalls === 5) controller.abort();
        }
        return answer;
      },
    });
    await expect(
      generateDocuments({ universe, client: first, workDir: directory, options, signal: controller.signal }),
    ).rejects.toThrow(/cancelled/);
    expect(first.calls).toBe(4 + 8 + 5);

    const second = createScriptedDocumentGenerator();
    const summary = await generateDocuments({ universe, client: second, workDir: directory, options });
    expect(second.calls).toBe(expectedCalls - first.calls);
    expect(summary.callsReused).toBe(first.calls);
    expect(summary.counts.documents).toBe(48);
    expect(summary.costUsd).toBeCloseTo(expectedCalls * 0.001, 10);
    const calls = readJsonl(workPath(directory, "calls"), callRecordSchema);
    expect(new Set(calls.map((call) => call.callId)).size).toBe(expectedCalls);
    expect(calls).toHaveLength(expectedCalls);

    // A third run on a finished directory makes no calls at all.
    const third = createScriptedDocumentGenerator();
    await generateDocuments({ universe, client: third, workDir: directory, options });
    expect(third.calls).toBe(0);
  });

  it("resumes after a kill that tore the last line of a file, and the directory stays readable", async () => {
    const directory = workDir();
    const controller = new AbortController();
    let documentCalls = 0;
    const first = createScriptedDocumentGenerator({
      decorate: (answer, context) => {
        if (context.stage === "documents" && context.completion === 0) {
          documentCalls += 1;
          if (documentCalls === 3) controller.abort();
        }
        return answer;
      },
    });
    await expect(
      generateDocuments({ universe, client: first, workDir: directory, options, signal: controller.signal }),
    ).rejects.toThrow(/cancelled/);
    // What a kill in the middle of a write leaves: the start of a record without its newline.
    for (const file of ["calls", "documents"] as const) {
      appendFileSync(workPath(directory, file), '{"callId":"documents:fact-3/t1/i1","sta');
    }

    const second = createScriptedDocumentGenerator();
    const resumed = await generateDocuments({ universe, client: second, workDir: directory, options });
    expect(resumed.counts.documents).toBe(48);
    // Every file reads back cleanly afterwards: no fragment glued to a later record.
    const calls = readJsonl(workPath(directory, "calls"), callRecordSchema);
    expect(calls).toHaveLength(expectedCalls);
    expect(readGeneratedDocuments(directory)).toHaveLength(48);
    expect(workDirStats(directory).records.documents).toBe(48);
    expect(readFileSync(workPath(directory, "documents"), "utf8")).not.toContain('"sta{');
  });

  it("retries provider errors on resume, and only those", async () => {
    const directory = workDir();
    const flaky = createScriptedDocumentGenerator({
      decorate: (answer, context) => {
        if (context.stage === "ideas" && context.subject.startsWith("staff memo"))
          throw new Error("503 overloaded");
        return answer;
      },
    });
    const summary = await generateDocuments({ universe, client: flaky, workDir: directory, options });
    // 4 of the 8 types are staff memos; their idea calls failed, so 8 ideas and 8 document calls remain.
    expect(summary.failures).toEqual({ provider_error: 4 });
    expect(summary.counts.ideas).toBe(8);
    expect(flaky.calls).toBe(4 + 8 + 8);

    const healthy = createScriptedDocumentGenerator();
    const resumed = await generateDocuments({ universe, client: healthy, workDir: directory, options });
    expect(healthy.calls).toBe(4 + 8); // the 4 failed idea calls, then the 8 new ideas' documents
    expect(resumed.failures).toEqual({});
    expect(resumed.counts.documents).toBe(48);
  });

  it("stops at the first rejected key instead of failing every remaining call", async () => {
    const directory = workDir();
    const rejected = createScriptedDocumentGenerator({
      decorate: () => {
        throw new ProviderError("scripted/generator: 401 invalid x-api-key", {
          provider: "scripted",
          status: 401,
          isRetryable: false,
          code: "authentication",
        });
      },
    });
    const outcome = generateDocuments({
      universe,
      client: rejected,
      workDir: directory,
      options: { ...options, concurrency: 1 },
    });
    await expect(outcome).rejects.toBeInstanceOf(ProviderError);
    await expect(outcome).rejects.toThrow(/401 invalid x-api-key/);
    expect(rejected.calls).toBe(1);
    // The failure is recorded and retried once the key is fixed.
    const failures = readJsonl(workPath(directory, "failures"), generationFailureSchema);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ kind: "provider_error", retryable: true });
    const healthy = createScriptedDocumentGenerator();
    const resumed = await generateDocuments({ universe, client: healthy, workDir: directory, options });
    expect(healthy.calls).toBe(expectedCalls);
    expect(resumed.failures).toEqual({});
  });

  it("runs the critique-and-revise pass and uses the revised text", async () => {
    const directory = workDir();
    const client = createScriptedDocumentGenerator();
    const summary = await generateDocuments({
      universe,
      client,
      workDir: directory,
      options: { ...options, typesPerFact: 1, ideasPerType: 1, documentsPerIdea: 1, revise: true },
    });
    expect(summary.counts).toMatchObject({ documents: 4, revisions: 4 });
    const documents = readGeneratedDocuments(directory);
    expect(
      documents.every((document) => document.revised && document.text.endsWith("Revised edition.")),
    ).toBe(true);
  });

  it("refuses to mix universes or models in one work directory", async () => {
    const directory = workDir();
    const small = { ...options, typesPerFact: 1, ideasPerType: 1, documentsPerIdea: 1 };
    await generateDocuments({
      universe,
      client: createScriptedDocumentGenerator(),
      workDir: directory,
      options: small,
    });
    const other = builtInUniverses["animal-welfare"] as UniverseContext;
    await expect(
      generateDocuments({
        universe: other,
        client: createScriptedDocumentGenerator(),
        workDir: directory,
        options: small,
      }),
    ).rejects.toBeInstanceOf(InputError);
    expect(JSON.parse(readFileSync(workPath(directory, "config"), "utf8")).universeId).toBe("helpful-only");
  });
});

describe("workDirStats", () => {
  it("counts records, calls and cost, and agrees with the generation summary", async () => {
    const directory = workDir();
    const summary = await generateDocuments({
      universe,
      client: createScriptedDocumentGenerator(),
      workDir: directory,
      options,
    });
    const stats = workDirStats(directory);
    expect(stats.records).toEqual({ types: 8, ideas: 16, documents: 48, revisions: 0 });
    expect(stats.calls).toMatchObject({
      total: expectedCalls,
      byStage: { types: 4, ideas: 8, documents: 16 },
    });
    expect(stats.calls.costUsd).toBeCloseTo(summary.costUsd, 12);
    expect(stats.filter).toBeNull();
  });
});
