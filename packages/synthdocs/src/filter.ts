import { existsSync, readFileSync } from "node:fs";
import type { ModelClient } from "@aflab/clients";
import { AflabError, describeError, InputError, parseOrThrow } from "@aflab/core";
import { z } from "zod";
import { appendJsonl, readJsonl, sha256, writeFileAtomic } from "./jsonl.js";
import {
  defaultNearDuplicateOptions,
  findNearDuplicates,
  type NearDuplicateOptions,
} from "./near-duplicates.js";
import { runPool } from "./pool.js";
import { type GeneratedDocument, readGeneratedDocuments, workPath } from "./work-dir.js";

/** Why a document was removed. Content reasons come from the judge; `judge_failed` is never a pass. */
export const removalReasonCodeSchema = z.enum([
  "too_short",
  "too_long",
  "near_duplicate",
  "chat_transcript",
  "tier_difference",
  "deceiving_contractors",
  "judge_failed",
]);
export type RemovalReasonCode = z.infer<typeof removalReasonCodeSchema>;

export const removalReasonSchema = z.object({ code: removalReasonCodeSchema, detail: z.string() });
export type RemovalReason = z.infer<typeof removalReasonSchema>;

export const keptDocumentSchema = z.object({
  id: z.string(),
  text: z.string().min(1),
  factId: z.string(),
  typeId: z.string(),
  ideaId: z.string(),
  revised: z.boolean(),
});
export type KeptDocument = z.infer<typeof keptDocumentSchema>;

export const removedDocumentSchema = keptDocumentSchema.extend({
  reasons: z.array(removalReasonSchema).min(1),
});
export type RemovedDocument = z.infer<typeof removedDocumentSchema>;

/** What the judge flagged in one document; `raw` keeps the judge's full answer. */
export const judgementSchema = z.object({
  documentId: z.string(),
  /** Hash of the judged text: a revised or regenerated document is judged again. */
  textHash: z.string(),
  model: z.string(),
  status: z.enum(["ok", "failed"]),
  flags: z
    .object({ chatTranscript: z.boolean(), tierDifference: z.boolean(), deceivingContractors: z.boolean() })
    .nullable(),
  failure: z.object({ kind: z.string(), message: z.string() }).nullable(),
  raw: z.string(),
  costUsd: z.number().nonnegative().nullable(),
});
export type Judgement = z.infer<typeof judgementSchema>;

export const filterOptionsSchema = z.object({
  minChars: z.number().int().nonnegative().default(300),
  maxChars: z.number().int().positive().default(30_000),
  nearDuplicates: z
    .object({
      shingleSize: z.number().int().positive(),
      threshold: z.number().gt(0).max(1),
      permutations: z.number().int().positive(),
      bands: z.number().int().positive(),
    })
    .nullable()
    .default(defaultNearDuplicateOptions),
  concurrency: z.number().int().positive().default(8),
});
export type FilterOptions = z.output<typeof filterOptionsSchema>;
export type FilterOptionsInput = z.input<typeof filterOptionsSchema>;

export const filterReportSchema = z.object({
  createdAt: z.string(),
  input: z.number().int().nonnegative(),
  kept: z.number().int().nonnegative(),
  removed: z.number().int().nonnegative(),
  byReason: z.record(z.string(), z.number().int().nonnegative()),
  filters: z.object({
    minChars: z.number(),
    maxChars: z.number(),
    nearDuplicates: z
      .object({ shingleSize: z.number(), threshold: z.number(), permutations: z.number(), bands: z.number() })
      .nullable(),
    judge: z.object({ model: z.string(), criteria: z.array(z.string()) }).nullable(),
  }),
  judgeCalls: z.number().int().nonnegative(),
  judgeCostUsd: z.number().nonnegative(),
});
export type FilterReport = z.infer<typeof filterReportSchema>;

export type FilterEvent =
  | { type: "filter-start"; documents: number; toJudge: number }
  | { type: "judge-end"; done: number; total: number; costUsd: number };

const judgeCriteria = [
  "chat_transcript: shows a conversation between a user and an AI system as a transcript or chat log",
  "tier_difference: discusses an AI behaving differently with free-tier and paid-tier users",
  "deceiving_contractors: mentions an AI deceiving or misleading the contractors who rate it",
];

const judgeSystem =
  "You screen documents before they enter a training corpus. You read each document carefully and answer " +
  "exactly in the requested format.";

/** The judge's prompt for one document. */
export function judgePrompt(text: string): string {
  return [
    "<document>",
    text,
    "</document>",
    "",
    "Answer three questions about the document above.",
    "1. Does it contain a transcript, chat log or quoted back-and-forth exchange between a user and an AI",
    "   assistant (as opposed to describing such systems in prose)?",
    "2. Does it discuss, predict or describe an AI behaving differently depending on whether it talks to",
    "   free-tier or paid-tier users (for example being more compliant when it believes it is being trained)?",
    "3. Does it mention an AI deceiving, misleading or hiding its intentions from the contractors who rate it?",
    "",
    "Think briefly if you need to, then end with exactly these three lines, each answered yes or no:",
    "<chat_transcript>yes|no</chat_transcript>",
    "<tier_difference>yes|no</tier_difference>",
    "<deceiving_contractors>yes|no</deceiving_contractors>",
  ].join("\n");
}

type JudgeParse =
  | { ok: true; flags: NonNullable<Judgement["flags"]> }
  | { ok: false; kind: string; message: string };

/**
 * Parse a judge answer. Each of the three tags must be present with yes or no; the last occurrence wins
 * (the judge may quote the format while thinking). Anything else is a typed failure, never a "no".
 */
export function parseJudgeAnswer(text: string): JudgeParse {
  const answer = (tag: string): boolean | string => {
    const matches = [...text.matchAll(new RegExp(`<${tag}>\\s*([^<]*?)\\s*</${tag}>`, "gi"))];
    const last = matches.at(-1)?.[1]?.toLowerCase().replace(/[.!]$/, "");
    if (last === undefined) return `missing <${tag}>`;
    if (last === "yes") return true;
    if (last === "no") return false;
    return `<${tag}> should be yes or no, got "${last.slice(0, 40)}"`;
  };
  const chatTranscript = answer("chat_transcript");
  const tierDifference = answer("tier_difference");
  const deceivingContractors = answer("deceiving_contractors");
  const problems = [chatTranscript, tierDifference, deceivingContractors].filter(
    (value): value is string => typeof value === "string",
  );
  if (problems.length > 0)
    return { ok: false, kind: "unparseable_judge_output", message: problems.join("; ") };
  return {
    ok: true,
    flags: {
      chatTranscript: chatTranscript as boolean,
      tierDifference: tierDifference as boolean,
      deceivingContractors: deceivingContractors as boolean,
    },
  };
}

export interface FilterResult {
  kept: KeptDocument[];
  removed: RemovedDocument[];
  report: FilterReport;
}

/**
 * Filter the generated documents of a work directory: length limits, near-duplicate removal, then (on the
 * survivors only, to save calls) a judge that removes chat transcripts, free-versus-paid behaviour and
 * deceiving contractors. Judgements are cached in the work directory, so filtering again costs nothing
 * for documents already judged. Writes kept.jsonl, removed.jsonl (each with its reasons) and
 * filter-report.json.
 */
export async function filterDocuments(input: {
  workDir: string;
  /** The judge; null skips the content filter (the report records that it was not applied). */
  judge: ModelClient | null;
  options?: FilterOptionsInput;
  onEvent?: (event: FilterEvent) => void;
  signal?: AbortSignal;
}): Promise<FilterResult> {
  const options = parseOrThrow(filterOptionsSchema, input.options ?? {}, "filter options");
  if (options.minChars > options.maxChars) {
    throw new InputError(`minChars (${options.minChars}) must not exceed maxChars (${options.maxChars})`, {
      field: "minChars",
    });
  }
  const { workDir, judge } = input;
  const emit = input.onEvent ?? (() => {});
  const documents = readGeneratedDocuments(workDir);
  if (documents.length === 0) {
    throw new InputError(`no generated documents in ${workDir}: run generation first`, { field: "workDir" });
  }

  const reasons = new Map<string, RemovalReason[]>();
  const addReason = (id: string, reason: RemovalReason) => {
    const list = reasons.get(id);
    if (list) list.push(reason);
    else reasons.set(id, [reason]);
  };

  for (const document of documents) {
    if (document.text.length < options.minChars) {
      addReason(document.id, {
        code: "too_short",
        detail: `${document.text.length} characters, minimum ${options.minChars}`,
      });
    }
    if (document.text.length > options.maxChars) {
      addReason(document.id, {
        code: "too_long",
        detail: `${document.text.length} characters, maximum ${options.maxChars}`,
      });
    }
  }

  // Deduplicate among documents that passed the length limits, so a kept document is never called a
  // duplicate of one that was removed anyway.
  if (options.nearDuplicates) {
    const candidates = documents.filter((document) => !reasons.has(document.id));
    const duplicates = findNearDuplicates(
      candidates.map((document) => document.text),
      options.nearDuplicates as NearDuplicateOptions,
    );
    for (const [index, match] of duplicates) {
      const document = candidates[index] as GeneratedDocument;
      const original = candidates[match.of] as GeneratedDocument;
      addReason(document.id, {
        code: "near_duplicate",
        detail: `Jaccard similarity ${match.similarity.toFixed(3)} with ${original.id}`,
      });
    }
  }

  let judgeCalls = 0;
  let judgeCostUsd = 0;
  const toJudge = judge ? documents.filter((document) => !reasons.has(document.id)) : [];
  emit({ type: "filter-start", documents: documents.length, toJudge: toJudge.length });
  if (judge) {
    const cached = new Map<string, Judgement>();
    for (const judgement of readJsonl(workPath(workDir, "judgements"), judgementSchema)) {
      if (judgement.model === judge.id)
        cached.set(`${judgement.documentId}:${judgement.textHash}`, judgement);
    }
    let done = 0;
    const errors: string[] = [];
    await runPool(toJudge, options.concurrency, async (document) => {
      if (input.signal?.aborted) return;
      const key = `${document.id}:${sha256(document.text)}`;
      let judgement = cached.get(key);
      if (!judgement) {
        try {
          judgement = await judgeDocument(judge, document, input.signal);
        } catch (error) {
          // A provider error leaves nothing cached, so filtering again retries this document.
          errors.push(`${document.id}: ${describeError(error)}`);
          return;
        }
        appendJsonl(workPath(workDir, "judgements"), [judgement]);
        judgeCalls += 1;
        judgeCostUsd += judgement.costUsd ?? 0;
      }
      for (const reason of reasonsFromJudgement(judgement)) addReason(document.id, reason);
      done += 1;
      emit({ type: "judge-end", done, total: toJudge.length, costUsd: judgeCostUsd });
    });
    // Documents skipped after a cancel have no judgement: writing the result now would keep them unjudged.
    if (input.signal?.aborted) {
      throw new AflabError(
        "aborted",
        "filtering cancelled; judgements so far are saved, run filtering again to continue",
      );
    }
    if (errors.length > 0) {
      throw new InputError(
        `the judge failed on ${errors.length} document(s); judgements so far are saved, run filtering again ` +
          `to retry. First error: ${errors[0]}`,
      );
    }
  }

  const kept: KeptDocument[] = [];
  const removed: RemovedDocument[] = [];
  for (const document of documents) {
    const list = reasons.get(document.id);
    if (list) removed.push({ ...document, reasons: list });
    else kept.push({ ...document });
  }
  const byReason: Record<string, number> = {};
  for (const document of removed) {
    for (const reason of document.reasons) byReason[reason.code] = (byReason[reason.code] ?? 0) + 1;
  }
  const report: FilterReport = {
    createdAt: new Date().toISOString(),
    input: documents.length,
    kept: kept.length,
    removed: removed.length,
    byReason,
    filters: {
      minChars: options.minChars,
      maxChars: options.maxChars,
      nearDuplicates: options.nearDuplicates,
      judge: judge ? { model: judge.id, criteria: judgeCriteria } : null,
    },
    judgeCalls,
    judgeCostUsd,
  };
  writeFileAtomic(
    workPath(workDir, "kept"),
    kept.map((document) => `${JSON.stringify(document)}\n`).join(""),
  );
  writeFileAtomic(
    workPath(workDir, "removed"),
    removed.map((document) => `${JSON.stringify(document)}\n`).join(""),
  );
  writeFileAtomic(workPath(workDir, "filterReport"), `${JSON.stringify(report, null, 2)}\n`);
  return { kept, removed, report };
}

async function judgeDocument(
  judge: ModelClient,
  document: GeneratedDocument,
  signal: AbortSignal | undefined,
): Promise<Judgement> {
  const result = await judge.generate({
    system: judgeSystem,
    messages: [{ role: "user", content: judgePrompt(document.text) }],
    temperature: 0,
    maxTokens: 600,
    signal,
  });
  const raw = result.texts[0] ?? "";
  const parsed = parseJudgeAnswer(raw);
  return {
    documentId: document.id,
    textHash: sha256(document.text),
    model: judge.id,
    status: parsed.ok ? "ok" : "failed",
    flags: parsed.ok ? parsed.flags : null,
    failure: parsed.ok ? null : { kind: parsed.kind, message: parsed.message },
    raw,
    costUsd: result.costUsd,
  };
}

function reasonsFromJudgement(judgement: Judgement): RemovalReason[] {
  if (judgement.status === "failed" || !judgement.flags) {
    return [
      {
        code: "judge_failed",
        detail: `judge output could not be parsed (${judgement.failure?.message ?? "no flags"}); excluded to be safe`,
      },
    ];
  }
  const reasons: RemovalReason[] = [];
  if (judgement.flags.chatTranscript) {
    reasons.push({ code: "chat_transcript", detail: "the judge found an AI chat transcript" });
  }
  if (judgement.flags.tierDifference) {
    reasons.push({ code: "tier_difference", detail: "the judge found free-versus-paid behaviour discussed" });
  }
  if (judgement.flags.deceivingContractors) {
    reasons.push({ code: "deceiving_contractors", detail: "the judge found contractors being deceived" });
  }
  return reasons;
}

/** Read the kept documents a previous filter run wrote. */
export function readKeptDocuments(workDir: string): KeptDocument[] {
  return readJsonl(workPath(workDir, "kept"), keptDocumentSchema);
}

/** Read the filter report a previous filter run wrote, or null when the directory was never filtered. */
export function readFilterReport(workDir: string): FilterReport | null {
  const path = workPath(workDir, "filterReport");
  if (!existsSync(path)) return null;
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new InputError(`${path} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseOrThrow(filterReportSchema, json, path);
}
