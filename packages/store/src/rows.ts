import {
  type Run,
  runSchema,
  type Sample,
  sampleSchema,
  type Turn,
  type Usage,
  type Verdict,
  verdictSchema,
} from "@aflab/core";
import { z } from "zod";
import { corrupt } from "./errors.js";

/** Raw rows as SQLite returns them. Column names follow the migration. */
export interface RunRow {
  id: string;
  created_at: string;
  updated_at: string;
  status: string;
  config: string;
  model: string;
  setting: string;
  label: string | null;
  simulated: number;
  prompt_hash: string;
  total: number;
  sweep_id: string | null;
  error: string | null;
}

export interface SampleRow {
  id: number;
  run_id: string;
  key: string;
  sample_index: number;
  item_id: string;
  query: string;
  tier: string;
  epoch: number;
  system_prompt_hash: string;
  status: string;
  failure_kind: string | null;
  failure_message: string | null;
  flags: string;
  output: string | null;
  scratchpad: string | null;
  reasoning: string | null;
  scratchpad_source: string | null;
  refusal_kind: string | null;
  refusal_message: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  retries: number;
  latency_ms: number;
  started_at: string;
  finished_at: string;
}

export interface TurnRow {
  sample_id: number;
  turn_index: number;
  role: string;
  content: string;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_write_tokens: number | null;
  cache_read_tokens: number | null;
  reasoning_tokens: number | null;
  stop_reason: string | null;
  prefill: string | null;
  latency_ms: number | null;
  cached: number | null;
  /** JSON of the turn's reasoning (see `turnReasoningSchema`). */
  reasoning: string | null;
  refusal: string | null;
}

export interface VerdictRow {
  run_id: string;
  sample_key: string;
  classifier: string;
  status: string;
  decision: string | null;
  score: number | null;
  judge_model: string | null;
  prompt_version: string;
  criteria: string | null;
  quotes: string;
  raw: string;
  failure_kind: string | null;
  failure_message: string | null;
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cache_read_tokens: number;
  reasoning_tokens: number | null;
  cost_usd: number | null;
  created_at: string;
}

/** Parse a stored value; a row that no longer matches its schema is reported, never patched up. */
function parseStored<Schema extends z.ZodType>(
  schema: Schema,
  value: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const detail = result.error.issues
    .map((issue) => `${issue.path.map(String).join(".") || "(root)"}: ${issue.message}`)
    .join("; ");
  throw corrupt(`${what} does not match its schema: ${detail}`);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw corrupt(`${what} holds invalid JSON`);
  }
}

export function runToRow(run: Run): RunRow {
  return {
    id: run.id,
    created_at: run.createdAt,
    updated_at: run.updatedAt,
    status: run.status,
    config: JSON.stringify(run.config),
    model: run.config.model,
    setting: run.config.setting,
    label: run.config.label ?? null,
    simulated: run.simulated ? 1 : 0,
    prompt_hash: run.promptHash,
    total: run.total,
    sweep_id: run.sweepId,
    error: run.error,
  };
}

export function rowToRun(row: RunRow): Run {
  return parseStored(
    runSchema,
    {
      id: row.id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      status: row.status,
      config: parseJson(row.config, `run ${row.id} config`),
      simulated: row.simulated === 1,
      promptHash: row.prompt_hash,
      total: row.total,
      sweepId: row.sweep_id,
      error: row.error,
    },
    `stored run ${row.id}`,
  );
}

/** Columns of `samples` except the generated id, as named parameters for an insert. */
export function sampleToRow(sample: Sample): Omit<SampleRow, "id"> {
  return {
    run_id: sample.runId,
    key: sample.key,
    sample_index: sample.index,
    item_id: sample.itemId,
    query: sample.query,
    tier: sample.tier,
    epoch: sample.epoch,
    system_prompt_hash: sample.systemPromptHash,
    status: sample.status,
    failure_kind: sample.failure?.kind ?? null,
    failure_message: sample.failure?.message ?? null,
    flags: JSON.stringify(sample.flags),
    output: sample.output,
    scratchpad: sample.scratchpad,
    reasoning: sample.reasoning,
    scratchpad_source: sample.scratchpadSource,
    refusal_kind: sample.refusal?.kind ?? null,
    refusal_message: sample.refusal?.message ?? null,
    ...usageColumns(sample.usage),
    cost_usd: sample.costUsd,
    retries: sample.retries,
    latency_ms: sample.latencyMs,
    started_at: sample.startedAt,
    finished_at: sample.finishedAt,
  };
}

/** The sample fields of a row, before validation; `turns` are supplied by the caller. */
export function sampleFields(row: SampleRow, turns: unknown[]): Record<string, unknown> {
  return {
    runId: row.run_id,
    key: row.key,
    index: row.sample_index,
    itemId: row.item_id,
    query: row.query,
    tier: row.tier,
    epoch: row.epoch,
    systemPromptHash: row.system_prompt_hash,
    status: row.status,
    failure:
      row.failure_kind === null ? null : { kind: row.failure_kind, message: row.failure_message ?? "" },
    flags: parseJson(row.flags, `sample ${row.key} flags`),
    output: row.output,
    scratchpad: row.scratchpad,
    reasoning: row.reasoning,
    scratchpadSource: row.scratchpad_source,
    refusal:
      row.refusal_kind === null ? null : { kind: row.refusal_kind, message: row.refusal_message ?? "" },
    turns,
    usage: usageOf(row),
    costUsd: row.cost_usd,
    retries: row.retries,
    latencyMs: row.latency_ms,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** A sample from its row and its turns' fields (see `turnFields`); validates the whole sample once. */
export function rowToSample(row: SampleRow, turns: unknown[]): Sample {
  return parseStored(sampleSchema, sampleFields(row, turns), `stored sample ${row.key} of run ${row.run_id}`);
}

export function turnToRow(sampleId: number, turn: Turn): TurnRow {
  return {
    sample_id: sampleId,
    turn_index: turn.index,
    role: turn.role,
    content: turn.content,
    input_tokens: turn.usage?.inputTokens ?? null,
    output_tokens: turn.usage?.outputTokens ?? null,
    cache_write_tokens: turn.usage?.cacheWriteTokens ?? null,
    cache_read_tokens: turn.usage?.cacheReadTokens ?? null,
    reasoning_tokens: turn.usage?.reasoningTokens ?? null,
    stop_reason: turn.stopReason ?? null,
    prefill: turn.prefill ?? null,
    latency_ms: turn.latencyMs ?? null,
    cached: turn.cached === undefined ? null : turn.cached ? 1 : 0,
    reasoning: turn.reasoning === undefined ? null : JSON.stringify(turn.reasoning),
    refusal: turn.refusal ?? null,
  };
}

/**
 * A stored turn's fields, validated as part of its sample. Absent optional fields stay absent. One column cannot tell an absent stop reason from
 * a null one, so a missing stop reason reads back as `null` on assistant turns (the provider reported
 * none) and as absent on user turns (they never have one).
 */
export function turnFields(row: TurnRow): Record<string, unknown> {
  const turn: Record<string, unknown> = { index: row.turn_index, role: row.role, content: row.content };
  if (row.input_tokens !== null) {
    turn.usage = {
      inputTokens: row.input_tokens,
      outputTokens: row.output_tokens,
      cacheWriteTokens: row.cache_write_tokens,
      cacheReadTokens: row.cache_read_tokens,
      ...(row.reasoning_tokens === null ? {} : { reasoningTokens: row.reasoning_tokens }),
    };
  }
  if (row.stop_reason !== null) turn.stopReason = row.stop_reason;
  else if (row.role === "assistant") turn.stopReason = null;
  if (row.prefill !== null) turn.prefill = row.prefill;
  if (row.latency_ms !== null) turn.latencyMs = row.latency_ms;
  if (row.cached !== null) turn.cached = row.cached === 1;
  if (row.reasoning !== null)
    turn.reasoning = parseJson(row.reasoning, `turn ${row.turn_index} reasoning of sample ${row.sample_id}`);
  if (row.refusal !== null) turn.refusal = row.refusal;
  return turn;
}

export function verdictToRow(verdict: Verdict): VerdictRow {
  return {
    run_id: verdict.runId,
    sample_key: verdict.sampleKey,
    classifier: verdict.classifier,
    status: verdict.status,
    decision: verdict.decision,
    score: verdict.score,
    judge_model: verdict.judgeModel,
    prompt_version: verdict.promptVersion,
    criteria: verdict.criteria === null ? null : JSON.stringify(verdict.criteria),
    quotes: JSON.stringify(verdict.quotes),
    raw: JSON.stringify(verdict.raw),
    failure_kind: verdict.failure?.kind ?? null,
    failure_message: verdict.failure?.message ?? null,
    ...usageColumns(verdict.usage),
    cost_usd: verdict.costUsd,
    created_at: verdict.createdAt,
  };
}

export function rowToVerdict(row: VerdictRow): Verdict {
  const what = `verdict ${row.classifier} of sample ${row.sample_key} in run ${row.run_id}`;
  return parseStored(
    verdictSchema,
    {
      runId: row.run_id,
      sampleKey: row.sample_key,
      classifier: row.classifier,
      status: row.status,
      decision: row.decision,
      score: row.score,
      judgeModel: row.judge_model,
      promptVersion: row.prompt_version,
      criteria: row.criteria === null ? null : parseJson(row.criteria, `${what} criteria`),
      quotes: parseJson(row.quotes, `${what} quotes`),
      raw: parseJson(row.raw, `${what} raw outputs`),
      failure:
        row.failure_kind === null ? null : { kind: row.failure_kind, message: row.failure_message ?? "" },
      usage: usageOf(row),
      costUsd: row.cost_usd,
      createdAt: row.created_at,
    },
    `stored ${what}`,
  );
}

interface UsageColumns {
  input_tokens: number;
  output_tokens: number;
  cache_write_tokens: number;
  cache_read_tokens: number;
  /** NULL when the provider did not report reasoning tokens. */
  reasoning_tokens?: number | null;
}

export function usageColumns(usage: Usage): Required<UsageColumns> {
  return {
    input_tokens: usage.inputTokens,
    output_tokens: usage.outputTokens,
    cache_write_tokens: usage.cacheWriteTokens,
    cache_read_tokens: usage.cacheReadTokens,
    reasoning_tokens: usage.reasoningTokens ?? null,
  };
}

export function usageOf(row: UsageColumns): Usage {
  return {
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    cacheWriteTokens: row.cache_write_tokens,
    cacheReadTokens: row.cache_read_tokens,
    ...(row.reasoning_tokens === null || row.reasoning_tokens === undefined
      ? {}
      : { reasoningTokens: row.reasoning_tokens }),
  };
}

/** Sweeps group runs started together (e.g. a grid of models × variants). Their config is free-form JSON. */
export const sweepSchema = z.object({
  id: z.string().min(1, "expected a non-empty sweep id"),
  config: z.json(),
  createdAt: z.string().min(1, "expected an ISO timestamp"),
});
export type Sweep = z.infer<typeof sweepSchema>;

export interface SweepRow {
  id: string;
  config: string;
  created_at: string;
}

export function rowToSweep(row: SweepRow): Sweep {
  return parseStored(
    sweepSchema,
    { id: row.id, config: parseJson(row.config, `sweep ${row.id} config`), createdAt: row.created_at },
    `stored sweep ${row.id}`,
  );
}
