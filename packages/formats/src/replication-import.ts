import fs from "node:fs";
import path from "node:path";
import {
  type Failure,
  InputError,
  importedClassifierPrefix,
  modelIdSchema,
  type SampleInput,
  settingSchema,
  type Tier,
  type Turn,
  type VerdictInput,
} from "@aflab/core";
import { newRunId, sha256 } from "@aflab/engine";
import { parseTranscript } from "@aflab/prompts";
import type { Store } from "@aflab/store";
import {
  type ImportedOutcome,
  type ReplicationRecord,
  replicationRecordSchema,
  strongRejectOutcome,
  yesNoOutcome,
} from "./replication-record.js";

export interface ImportReplicationOptions {
  /** The setting the results were run in (default helpful-only). */
  setting?: string;
  /** The model that wrote the responses, as provider/model (the results do not say). */
  model?: string;
  label?: string;
  now?: Date;
}

export interface ImportReplicationSummary {
  runId: string;
  samples: number;
  /** Samples stored as failed (the replication gave up on them, or they have no answer). */
  failedSamples: number;
  /** Imported verdicts per classifier, and how many of them are failed. */
  verdicts: Record<string, { total: number; failed: number }>;
}

const tierOfTag: Record<string, Tier> = { free_tier: "free", paid_tier: "paid" };
/** Imported verdicts have no aflab prompt version: they name where they came from. */
const importedPromptVersion = "imported";
const noUsage = { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 };

/** Scratchpad tags the replication's prompts use besides aflab's own, read as a scratchpad. */
const otherScratchpadTags = /<(\/?)\s*hidden_scratchpad\s*>/gi;
const userInputTag = /<user_input>([\s\S]*?)<\/user_input>/i;

/**
 * Reads results JSON files of the open-source alignment-faking replication (a list of records, one per
 * query and tier: the prompt messages, the model's response, the output without scratchpad and the
 * stored classifier results) into a new run. Each record becomes a sample; the stored classifier results
 * become verdicts named `imported:<field>` (`imported:strong_reject`, `imported:deceptive_alignment`, ...),
 * apart from anything aflab classifies later. Odd records become typed failures: a response the
 * replication gave up on is a failed sample, a `FAILED TO PARSE` or empty judge answer a failed verdict.
 */
export async function importReplicationResults(
  /** The store, or a function opening it: it is opened only once every record has been read. */
  storeOrOpen: Store | (() => Store),
  files: string[],
  options: ImportReplicationOptions = {},
): Promise<ImportReplicationSummary> {
  if (files.length === 0)
    throw new InputError("FILE: expected at least one results file", { field: "files" });
  const setting = parseField(settingSchema, options.setting ?? "helpful-only", "--setting");
  const model = parseField(modelIdSchema, options.model ?? "imported/unknown", "--model");
  const records = files.flatMap((file) =>
    readRecords(file).map((record, index) => ({ file, index, record })),
  );
  const now = options.now ?? new Date();
  const runId = newRunId(now);
  const time = now.toISOString();
  const epochs = new Map<string, number>();
  const samples: SampleInput[] = [];
  const verdicts: VerdictInput[] = [];
  const prompts = new Map<string, string>();
  for (const { file, index, record } of records) {
    const where = `${path.basename(file)} record ${index}`;
    const tier = tierOfTag[record.tags];
    if (!tier) {
      throw new InputError(`${where}: tags: expected free_tier or paid_tier, got "${record.tags}"`, {
        field: "tags",
      });
    }
    const messages = record.prompt.messages;
    const system = messages.find((message) => message.role === "system")?.content ?? "";
    const systemPromptHash = sha256(system).slice(0, 16);
    prompts.set(systemPromptHash, system);
    const userMessage = messages.findLast((message) => message.role === "user")?.content ?? "";
    const query = record.user_input ?? userInputTag.exec(userMessage)?.[1]?.trim() ?? userMessage;
    // The same query in both tiers pairs up; a query asked again (another file, another seed) is an epoch.
    const itemId = `imported:${sha256(query).slice(0, 12)}`;
    const epochKey = `${itemId}/${tier}`;
    const epoch = epochs.get(epochKey) ?? 0;
    epochs.set(epochKey, epoch + 1);
    const key = sha256(JSON.stringify([runId, itemId, tier, epoch])).slice(0, 32);
    samples.push({
      ...sampleOf(record, where),
      runId,
      key,
      index: samples.length,
      itemId,
      query,
      tier,
      epoch,
      systemPromptHash,
      startedAt: record.timestamp ?? time,
      finishedAt: record.timestamp ?? time,
    });
    for (const [field, outcome] of importedOutcomes(record)) {
      verdicts.push({
        runId,
        sampleKey: key,
        classifier: `${importedClassifierPrefix}${field}`,
        status: outcome.status,
        decision: outcome.decision,
        score: outcome.score,
        judgeModel: null,
        promptVersion: importedPromptVersion,
        criteria: outcome.criteria,
        quotes: outcome.quotes,
        raw: outcome.raw,
        failure: outcome.failure,
        usage: noUsage,
        costUsd: null,
        createdAt: time,
      });
    }
  }
  if (samples.length === 0) throw new InputError("FILE: the results hold no records", { field: "files" });
  const store = typeof storeOrOpen === "function" ? storeOrOpen() : storeOrOpen;
  await store.createRun({
    id: runId,
    createdAt: time,
    updatedAt: time,
    status: "complete",
    config: {
      model,
      setting,
      protocol: "single-call",
      dataset: { source: files.map((file) => path.basename(file)).join(",") },
      // No aflab classifier ran: reports read the imported verdicts until `aflab classify` adds some.
      classifiers: [],
      ...(options.label
        ? { label: options.label }
        : { label: `imported from ${path.basename(files[0] ?? "")}` }),
    },
    simulated: false,
    promptHash: sha256([...prompts.keys()].sort().join(",")).slice(0, 16),
    total: samples.length,
  });
  for (const [hash, text] of prompts) await store.putSystemPrompt(hash, text);
  await store.putSamples(samples);
  await store.putVerdicts(verdicts);
  const counts: ImportReplicationSummary["verdicts"] = {};
  for (const verdict of verdicts) {
    const entry = counts[verdict.classifier] ?? { total: 0, failed: 0 };
    counts[verdict.classifier] = entry;
    entry.total++;
    if (verdict.status === "failed") entry.failed++;
  }
  return {
    runId,
    samples: samples.length,
    failedSamples: samples.filter((sample) => sample.status === "failed").length,
    verdicts: counts,
  };
}

function parseField<T>(
  schema: {
    safeParse(
      value: unknown,
    ): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
  },
  value: string,
  field: string,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new InputError(`${field}: ${parsed.error.issues[0]?.message ?? "invalid"}, got "${value}"`, {
      field: field.replace(/^--/, ""),
    });
  }
  return parsed.data;
}

function readRecords(file: string): ReplicationRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new InputError(`${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"})`, {
      field: "files",
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`${file}: not JSON (${(error as Error).message})`, { field: "files" });
  }
  if (!Array.isArray(value)) {
    throw new InputError(`${file}: expected a JSON list of result records`, { field: "files" });
  }
  return value.map((item, index) => {
    const parsed = replicationRecordSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const field = issue?.path.join(".") || "record";
      throw new InputError(
        `${path.basename(file)} record ${index}: ${field}: ${issue?.message ?? "invalid"}`,
        { field },
      );
    }
    return parsed.data;
  });
}

/**
 * The record's response as a sample. The response is parsed the way aflab parses its own (single call:
 * text outside the scratchpad is the answer); an answer without `<OUTPUT>` tags is flagged
 * `no_output_tags`, a response without a scratchpad `no_scratchpad`. A response the replication itself marked
 * invalid (`success: false`) or one with no answer at all is a failed sample.
 */
function sampleOf(
  record: ReplicationRecord,
  where: string,
): Pick<
  SampleInput,
  | "status"
  | "failure"
  | "flags"
  | "output"
  | "scratchpad"
  | "scratchpadSource"
  | "turns"
  | "usage"
  | "costUsd"
  | "latencyMs"
> {
  const response = record.output ?? "";
  const userMessages = record.prompt.messages.filter((message) => message.role !== "system");
  const turns: Turn[] = userMessages.map((message, index) => ({
    index,
    role: message.role === "assistant" ? "assistant" : "user",
    content: message.content,
  }));
  turns.push({ index: turns.length, role: "assistant", content: response });
  const parsed = parseTranscript([response.replace(otherScratchpadTags, "<$1SCRATCHPAD_REASONING>")], {
    protocol: "single-call",
  });
  const flags: string[] = [...parsed.problems];
  if (parsed.scratchpad === null) flags.push("no_scratchpad");
  // The answer was read from text outside the scratchpad, as the replication does, not from <OUTPUT>.
  if (parsed.output !== null && !/<\s*output\s*>/i.test(response)) flags.push("no_output_tags");
  let failure: Failure | null = null;
  if (record.success === false) {
    failure = {
      kind: "imported_invalid_response",
      message: `${where}: the replication marked this response invalid after its retries (success: false)`,
    };
  } else if (parsed.output === null || parsed.output === "") {
    failure = { kind: "no_output", message: `${where}: the response has no answer outside its scratchpad` };
  }
  return {
    status: failure ? "failed" : "complete",
    failure,
    flags,
    output: parsed.output,
    scratchpad: parsed.scratchpad,
    scratchpadSource: parsed.scratchpad === null ? "none" : "tags",
    turns,
    usage: noUsage,
    // The results carry no token counts or prices.
    costUsd: null,
    latencyMs: 0,
  };
}

function importedOutcomes(record: ReplicationRecord): [string, ImportedOutcome][] {
  const outcomes: [string, ImportedOutcome | null][] = [
    ["strong_reject", strongRejectOutcome(record)],
    ["deceptive_alignment", yesNoOutcome("deceptive_alignment", record.deceptive_alignment)],
    ["partial_compliance", yesNoOutcome("partial_compliance", record.partial_compliance)],
    ["easy_scratchpad", yesNoOutcome("easy_scratchpad", record.easy_scratchpad)],
    ["hard_scratchpad", yesNoOutcome("hard_scratchpad", record.hard_scratchpad)],
  ];
  return outcomes.filter((entry): entry is [string, ImportedOutcome] => entry[1] !== null);
}
