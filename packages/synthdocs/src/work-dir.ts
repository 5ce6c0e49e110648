import { join } from "node:path";
import { z } from "zod";
import { readJsonl } from "./jsonl.js";

/** The files a work directory holds, one per stage, so each stage can be resumed and inspected. */
export const workDirFiles = {
  config: "generation.json",
  calls: "calls.jsonl",
  failures: "failures.jsonl",
  types: "types.jsonl",
  ideas: "ideas.jsonl",
  documents: "documents.jsonl",
  revisions: "revisions.jsonl",
  judgements: "judgements.jsonl",
  kept: "kept.jsonl",
  removed: "removed.jsonl",
  filterReport: "filter-report.json",
} as const;

/** Absolute-or-relative path of one work-directory file. */
export function workPath(workDir: string, file: keyof typeof workDirFiles): string {
  return join(workDir, workDirFiles[file]);
}

export const generationStageSchema = z.enum(["types", "ideas", "documents", "revisions"]);
export type GenerationStage = z.infer<typeof generationStageSchema>;

export const documentTypeRecordSchema = z.object({
  id: z.string(),
  factId: z.string(),
  factIndex: z.number().int().nonnegative(),
  type: z.string().min(1),
  callId: z.string(),
});
export type DocumentTypeRecord = z.infer<typeof documentTypeRecordSchema>;

export const documentIdeaRecordSchema = z.object({
  id: z.string(),
  typeId: z.string(),
  factId: z.string(),
  idea: z.string().min(1),
  callId: z.string(),
});
export type DocumentIdeaRecord = z.infer<typeof documentIdeaRecordSchema>;

export const documentRecordSchema = z.object({
  id: z.string(),
  ideaId: z.string(),
  typeId: z.string(),
  factId: z.string(),
  text: z.string().min(1),
  callId: z.string(),
});
export type DocumentRecord = z.infer<typeof documentRecordSchema>;

export const revisionRecordSchema = z.object({
  id: z.string(),
  documentId: z.string(),
  ideaId: z.string(),
  typeId: z.string(),
  factId: z.string(),
  critique: z.string(),
  text: z.string().min(1),
  callId: z.string(),
});
export type RevisionRecord = z.infer<typeof revisionRecordSchema>;

/** A generator call whose output could not be used (or that errored). Kept with its raw text. */
export const generationFailureSchema = z.object({
  callId: z.string(),
  stage: generationStageSchema,
  /** The record the call worked from (fact, type, idea or document id). */
  parentId: z.string(),
  /** For calls with several completions, which one failed. */
  completion: z.number().int().nonnegative().nullable(),
  kind: z.string().min(1),
  message: z.string(),
  raw: z.string().nullable(),
  /** True for provider errors: nothing was paid for, so a resumed run tries the call again. */
  retryable: z.boolean(),
});
export type GenerationFailure = z.infer<typeof generationFailureSchema>;

/** One finished (paid) generator call; its presence is what makes a resumed run skip it. */
export const callRecordSchema = z.object({
  callId: z.string(),
  stage: generationStageSchema,
  model: z.string(),
  costUsd: z.number().nonnegative().nullable(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  cached: z.boolean(),
});
export type CallRecord = z.infer<typeof callRecordSchema>;

/** A document ready for filtering: the revised text when a revision exists, else the draft. */
export interface GeneratedDocument {
  id: string;
  text: string;
  factId: string;
  typeId: string;
  ideaId: string;
  revised: boolean;
}

/** Keep the last record for each id: a call repeated after a kill rewrites the same ids. */
export function lastById<Item extends { id: string }>(items: readonly Item[]): Item[] {
  const byId = new Map<string, Item>();
  for (const item of items) byId.set(item.id, item);
  return [...byId.values()];
}

/**
 * The documents a work directory holds after generation, in generation order; a revised text replaces
 * its draft.
 */
export function readGeneratedDocuments(workDir: string): GeneratedDocument[] {
  const documents = lastById(readJsonl(workPath(workDir, "documents"), documentRecordSchema));
  const revisions = new Map(
    lastById(readJsonl(workPath(workDir, "revisions"), revisionRecordSchema)).map((revision) => [
      revision.documentId,
      revision,
    ]),
  );
  return documents.map((document) => {
    const revision = revisions.get(document.id);
    return {
      id: document.id,
      text: revision?.text ?? document.text,
      factId: document.factId,
      typeId: document.typeId,
      ideaId: document.ideaId,
      revised: revision !== undefined,
    };
  });
}
