import { existsSync, readFileSync } from "node:fs";
import type { GenerateResult, ModelClient } from "@aflab/clients";
import { AflabError, describeError, InputError, ProviderError, parseOrThrow } from "@aflab/core";
import { z } from "zod";
import {
  documentIdeasPrompt,
  documentPrompt,
  documentTypesPrompt,
  generatorSystemPrompt,
  type ParseOutcome,
  parseDocumentAnswer,
  parseListAnswer,
  parseRevisionAnswer,
  revisionPrompt,
} from "./generation-prompts.js";
import { appendJsonl, readJsonl, sha256, writeFileAtomic } from "./jsonl.js";
import { runPool } from "./pool.js";
import { type UniverseContext, universeContextSchema } from "./universe.js";
import {
  type CallRecord,
  callRecordSchema,
  type DocumentIdeaRecord,
  type DocumentRecord,
  type DocumentTypeRecord,
  documentIdeaRecordSchema,
  documentRecordSchema,
  documentTypeRecordSchema,
  type GenerationFailure,
  type GenerationStage,
  generationFailureSchema,
  lastById,
  type RevisionRecord,
  revisionRecordSchema,
  workPath,
} from "./work-dir.js";

export const generationOptionsSchema = z.object({
  typesPerFact: z.number().int().positive().default(5),
  ideasPerType: z.number().int().positive().default(5),
  documentsPerIdea: z.number().int().positive().default(3),
  /** Run a critique-and-revise pass over every document. */
  revise: z.boolean().default(false),
  concurrency: z.number().int().positive().default(8),
  temperature: z.number().min(0).max(2).default(1),
  listMaxTokens: z.number().int().positive().default(1500),
  documentMaxTokens: z.number().int().positive().default(3000),
});
export type GenerationOptions = z.output<typeof generationOptionsSchema>;
export type GenerationOptionsInput = z.input<typeof generationOptionsSchema>;

/** Progress of a generation run, for progress bars. `costUsd` includes calls paid in earlier runs. */
export type GenerationEvent =
  | { type: "stage-start"; stage: GenerationStage; total: number; pending: number }
  | {
      type: "call-end";
      stage: GenerationStage;
      done: number;
      total: number;
      failed: number;
      costUsd: number;
    }
  | { type: "stage-end"; stage: GenerationStage; records: number; failed: number; costUsd: number };

export interface GenerationSummary {
  workDir: string;
  universeId: string;
  counts: { facts: number; types: number; ideas: number; documents: number; revisions: number };
  /** Failures recorded in the work directory, by kind (parse failures and provider errors). */
  failures: Record<string, number>;
  /** Calls made by this invocation (calls already in the work directory are not repeated). */
  callsMade: number;
  callsReused: number;
  /** Known cost of every call recorded in the work directory, USD. */
  costUsd: number;
  /** Calls whose model has no known price, so `costUsd` is a lower bound when this is not 0. */
  callsWithoutPrice: number;
}

const configSchema = z.object({ universeId: z.string(), universeHash: z.string(), model: z.string() });

interface Task<Parent> {
  callId: string;
  parent: Parent;
}

/**
 * Generate synthetic documents from a universe context: key facts → document types → ideas → documents
 * (→ critique-and-revise). Everything is appended to `workDir` as JSONL per stage, so calling this again
 * on the same directory resumes: calls already recorded are never repeated, and only provider errors are
 * retried.
 *
 * @example
 * const summary = await generateDocuments({ universe, client, workDir: "docs-work", options: { revise: true } });
 */
export async function generateDocuments(input: {
  universe: UniverseContext;
  client: ModelClient;
  workDir: string;
  options?: GenerationOptionsInput;
  onEvent?: (event: GenerationEvent) => void;
  signal?: AbortSignal;
}): Promise<GenerationSummary> {
  const universe = parseOrThrow(universeContextSchema, input.universe, "universe context");
  const options = parseOrThrow(generationOptionsSchema, input.options ?? {}, "generation options");
  const { client, workDir, signal } = input;
  const emit = input.onEvent ?? (() => {});
  checkConfig(workDir, universe, client.id);

  const calls = new Map<string, CallRecord>();
  for (const call of readJsonl(workPath(workDir, "calls"), callRecordSchema)) calls.set(call.callId, call);
  const callsAtStart = calls.size;
  let costUsd = 0;
  let callsWithoutPrice = 0;
  for (const call of calls.values()) {
    if (call.costUsd === null) callsWithoutPrice += 1;
    else costUsd += call.costUsd;
  }

  // A rejected key or an unknown model fails every call the same way: the first one stops the run.
  let fatal: ProviderError | undefined;

  const system = generatorSystemPrompt();
  const facts = universe.keyFacts.map((fact, index) => ({ id: `fact-${index}`, index, fact }));
  const factById = new Map(facts.map((fact) => [fact.id, fact]));

  /** One stage: run the calls not yet recorded, write their records, emit progress. */
  async function runStage<Parent>(
    stage: GenerationStage,
    tasks: Task<Parent>[],
    perform: (
      task: Task<Parent>,
    ) => Promise<{ result: GenerateResult; records: unknown[]; failures: GenerationFailure[] }>,
    recordFile: "types" | "ideas" | "documents" | "revisions",
  ): Promise<void> {
    const pending = tasks.filter((task) => !calls.has(task.callId));
    emit({ type: "stage-start", stage, total: tasks.length, pending: pending.length });
    let done = tasks.length - pending.length;
    let failed = 0;
    await runPool(pending, options.concurrency, async (task) => {
      if (signal?.aborted || fatal !== undefined) return;
      try {
        const { result, records, failures } = await perform(task);
        // Records and failures first, the call record last: a kill in between repeats the call, and
        // readers keep the last record per id, so nothing is duplicated.
        appendJsonl(workPath(workDir, recordFile), records);
        appendJsonl(workPath(workDir, "failures"), failures);
        const call: CallRecord = {
          callId: task.callId,
          stage,
          model: result.model,
          costUsd: result.costUsd,
          inputTokens: result.usage.inputTokens,
          outputTokens: result.usage.outputTokens,
          cached: result.cached,
        };
        appendJsonl(workPath(workDir, "calls"), [call]);
        calls.set(task.callId, call);
        if (result.costUsd === null) callsWithoutPrice += 1;
        else costUsd += result.costUsd;
        failed += failures.length;
      } catch (error) {
        if (signal?.aborted) return;
        failed += 1;
        appendJsonl(workPath(workDir, "failures"), [
          {
            callId: task.callId,
            stage,
            parentId: parentIdOf(task.parent),
            completion: null,
            kind: "provider_error",
            message: describeError(error),
            raw: null,
            retryable: true,
          } satisfies GenerationFailure,
        ]);
        if (isFatal(error)) fatal ??= error;
      }
      done += 1;
      emit({ type: "call-end", stage, done, total: tasks.length, failed, costUsd });
    });
    if (signal?.aborted) {
      throw new AflabError(
        "aborted",
        "generation cancelled; run again with the same work directory to resume",
      );
    }
    if (fatal !== undefined) throw fatal;
    emit({
      type: "stage-end",
      stage,
      records: readJsonl(workPath(workDir, recordFile), z.object({ id: z.string() })).length,
      failed,
      costUsd,
    });
  }

  const generate = (prompt: string, maxTokens: number, n = 1) =>
    client.generate({
      system,
      messages: [{ role: "user", content: prompt }],
      temperature: options.temperature,
      maxTokens,
      n,
      signal,
    });

  const failure = (
    task: Task<{ id: string }>,
    stage: GenerationStage,
    outcome: Extract<ParseOutcome<unknown>, { ok: false }>,
    raw: string,
    completion: number | null,
  ): GenerationFailure => ({
    callId: task.callId,
    stage,
    parentId: task.parent.id,
    completion,
    kind: outcome.kind,
    message: outcome.message,
    raw,
    retryable: false,
  });

  // Stage 1: document types per key fact.
  await runStage(
    "types",
    facts.map((fact) => ({ callId: `types:${fact.id}`, parent: fact })),
    async (task) => {
      const result = await generate(
        documentTypesPrompt(universe, task.parent.fact, options.typesPerFact),
        options.listMaxTokens,
      );
      const raw = result.texts[0] ?? "";
      const parsed = parseListAnswer(raw, options.typesPerFact);
      if (!parsed.ok) return { result, records: [], failures: [failure(task, "types", parsed, raw, null)] };
      const records: DocumentTypeRecord[] = parsed.value.map((type, index) => ({
        id: `${task.parent.id}/t${index}`,
        factId: task.parent.id,
        factIndex: task.parent.index,
        type,
        callId: task.callId,
      }));
      return { result, records, failures: [] };
    },
    "types",
  );
  const types = lastById(readJsonl(workPath(workDir, "types"), documentTypeRecordSchema));

  // Stage 2: ideas per document type.
  await runStage(
    "ideas",
    types.map((type) => ({ callId: `ideas:${type.id}`, parent: type })),
    async (task) => {
      const fact = factOf(factById, task.parent.factId);
      const result = await generate(
        documentIdeasPrompt(universe, fact, task.parent.type, options.ideasPerType),
        options.listMaxTokens,
      );
      const raw = result.texts[0] ?? "";
      const parsed = parseListAnswer(raw, options.ideasPerType);
      if (!parsed.ok) return { result, records: [], failures: [failure(task, "ideas", parsed, raw, null)] };
      const records: DocumentIdeaRecord[] = parsed.value.map((idea, index) => ({
        id: `${task.parent.id}/i${index}`,
        typeId: task.parent.id,
        factId: task.parent.factId,
        idea,
        callId: task.callId,
      }));
      return { result, records, failures: [] };
    },
    "ideas",
  );
  const ideas = lastById(readJsonl(workPath(workDir, "ideas"), documentIdeaRecordSchema));
  const typeById = new Map(types.map((type) => [type.id, type]));

  // Stage 3: several documents per idea, as one call with n completions.
  await runStage(
    "documents",
    ideas.map((idea) => ({ callId: `documents:${idea.id}`, parent: idea })),
    async (task) => {
      const fact = factOf(factById, task.parent.factId);
      const type = typeById.get(task.parent.typeId)?.type ?? "document";
      const result = await generate(
        documentPrompt(universe, fact, type, task.parent.idea),
        options.documentMaxTokens,
        options.documentsPerIdea,
      );
      const records: DocumentRecord[] = [];
      const failures: GenerationFailure[] = [];
      result.texts.forEach((raw, index) => {
        const parsed = parseDocumentAnswer(raw);
        if (!parsed.ok) {
          failures.push(failure(task, "documents", parsed, raw, index));
          return;
        }
        records.push({
          id: `${task.parent.id}/d${index}`,
          ideaId: task.parent.id,
          typeId: task.parent.typeId,
          factId: task.parent.factId,
          text: parsed.value,
          callId: task.callId,
        });
      });
      return { result, records, failures };
    },
    "documents",
  );
  const documents = lastById(readJsonl(workPath(workDir, "documents"), documentRecordSchema));

  // Stage 4 (optional): critique and revise each document.
  if (options.revise) {
    await runStage(
      "revisions",
      documents.map((document) => ({ callId: `revisions:${document.id}`, parent: document })),
      async (task) => {
        const fact = factOf(factById, task.parent.factId);
        const result = await generate(
          revisionPrompt(universe, fact, task.parent.text),
          options.documentMaxTokens + 500,
        );
        const raw = result.texts[0] ?? "";
        const parsed = parseRevisionAnswer(raw);
        if (!parsed.ok) {
          return { result, records: [], failures: [failure(task, "revisions", parsed, raw, null)] };
        }
        const record: RevisionRecord = {
          id: `${task.parent.id}/r`,
          documentId: task.parent.id,
          ideaId: task.parent.ideaId,
          typeId: task.parent.typeId,
          factId: task.parent.factId,
          critique: parsed.value.critique,
          text: parsed.value.text,
          callId: task.callId,
        };
        return { result, records: [record], failures: [] };
      },
      "revisions",
    );
  }

  return {
    workDir,
    universeId: universe.id,
    counts: {
      facts: facts.length,
      types: types.length,
      ideas: ideas.length,
      documents: documents.length,
      revisions: lastById(readJsonl(workPath(workDir, "revisions"), revisionRecordSchema)).length,
    },
    failures: summarizeFailures(workDir, calls),
    callsMade: calls.size - callsAtStart,
    callsReused: callsAtStart,
    costUsd,
    callsWithoutPrice,
  };
}

/** Errors every other call would hit too: a missing or rejected key, no access, an unknown model. */
function isFatal(error: unknown): error is ProviderError {
  return (
    error instanceof ProviderError &&
    (error.code === "authentication" || error.status === 401 || error.status === 403 || error.status === 404)
  );
}

function parentIdOf(parent: unknown): string {
  return typeof parent === "object" && parent !== null && "id" in parent ? String(parent.id) : "";
}

function factOf(facts: Map<string, { fact: string }>, factId: string): string {
  const fact = facts.get(factId);
  if (!fact) throw new InputError(`work directory refers to unknown key fact ${factId}`);
  return fact.fact;
}

/**
 * Count failures still standing: parse failures always count; a provider error counts only while its
 * call has not since succeeded.
 */
function summarizeFailures(workDir: string, calls: Map<string, CallRecord>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const failure of readJsonl(workPath(workDir, "failures"), generationFailureSchema)) {
    if (failure.retryable && calls.has(failure.callId)) continue;
    counts[failure.kind] = (counts[failure.kind] ?? 0) + 1;
  }
  return counts;
}

/**
 * A work directory belongs to one universe and model: resuming with different ones would mix documents
 * from two worlds, so it is refused.
 */
function checkConfig(workDir: string, universe: UniverseContext, model: string): void {
  const path = workPath(workDir, "config");
  const config = { universeId: universe.id, universeHash: sha256(JSON.stringify(universe)), model };
  if (existsSync(path)) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch {
      json = null;
    }
    const stored = configSchema.safeParse(json);
    if (!stored.success) throw new InputError(`${path}: not a generation config written by this tool`);
    if (stored.data.universeHash !== config.universeHash || stored.data.model !== config.model) {
      throw new InputError(
        `work directory ${workDir} was started with universe "${stored.data.universeId}" and model ` +
          `"${stored.data.model}"; use a new work directory for universe "${universe.id}" and model "${model}"`,
        { field: "workDir" },
      );
    }
    return;
  }
  writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`);
}
