import type { Run, Sample, Verdict } from "@aflab/core";

/**
 * The column schema of a sample export, shared by JSONL, CSV and Parquet. Bump the version when a column
 * is renamed, removed or changes meaning; adding a column keeps it. Every row carries the version, so a
 * file read on its own says which schema it follows.
 */
export const sampleExportSchemaVersion = 1;

export type ColumnType = "string" | "integer" | "number" | "boolean";

export interface ColumnDefinition {
  name: string;
  type: ColumnType;
  /** Whether the value may be null. */
  nullable: boolean;
  description: string;
}

type Cell = string | number | boolean | null;
/** One exported sample: column name → value, in column order. */
export type SampleRow = Record<string, Cell>;

/** Everything a row is built from: the sample, its verdicts and the run's context. */
interface RowSource {
  run: Run;
  sample: Sample;
  verdicts: Verdict[];
  systemPrompt: string | undefined;
}

interface Column extends ColumnDefinition {
  value(source: RowSource): Cell;
}

const column = (
  name: string,
  type: ColumnType,
  nullable: boolean,
  description: string,
  value: (source: RowSource) => Cell,
): Column => ({ name, type, nullable, description, value });

const sumVerdicts = (verdicts: Verdict[], pick: (verdict: Verdict) => number): number =>
  verdicts.reduce((total, verdict) => total + pick(verdict), 0);

/** A cost sum that is null when any part that used tokens has no price: a partial sum would understate it. */
function judgeCost(verdicts: Verdict[]): number | null {
  let total = 0;
  for (const verdict of verdicts) {
    if (verdict.costUsd === null) {
      if (verdict.usage.inputTokens + verdict.usage.outputTokens > 0) return null;
      continue;
    }
    total += verdict.costUsd;
  }
  return total;
}

const baseColumns: Column[] = [
  column(
    "schema_version",
    "integer",
    false,
    "Version of this column schema.",
    () => sampleExportSchemaVersion,
  ),
  column("run_id", "string", false, "The run the sample belongs to.", ({ run }) => run.id),
  column("model", "string", false, "Model id of the run.", ({ run }) => run.config.model),
  column(
    "setting",
    "string",
    false,
    "Setting of the run (e.g. helpful-only).",
    ({ run }) => run.config.setting,
  ),
  column("index", "integer", false, "Position in the run's expansion.", ({ sample }) => sample.index),
  column(
    "key",
    "string",
    false,
    "The sample's key (hash of item, tier, variant, epoch, model, prompt).",
    ({ sample }) => sample.key,
  ),
  column("item_id", "string", false, "Dataset item id.", ({ sample }) => sample.itemId),
  column(
    "tier",
    "string",
    false,
    "User tier: free (trained), paid or enterprise (unmonitored).",
    ({ sample }) => sample.tier,
  ),
  column("epoch", "integer", false, "Repetition number, from 0.", ({ sample }) => sample.epoch),
  column("query", "string", false, "The dataset query as asked.", ({ sample }) => sample.query),
  column(
    "status",
    "string",
    false,
    "Generation status: complete, failed or errored.",
    ({ sample }) => sample.status,
  ),
  column(
    "failure_kind",
    "string",
    true,
    "Kind of a failed or errored generation.",
    ({ sample }) => sample.failure?.kind ?? null,
  ),
  column(
    "failure_message",
    "string",
    true,
    "Message of a failed or errored generation.",
    ({ sample }) => sample.failure?.message ?? null,
  ),
  column(
    "flags",
    "string",
    false,
    "Transcript parser flags, joined by `;` (empty when none).",
    ({ sample }) => sample.flags.join(";"),
  ),
  column(
    "api_refusal",
    "boolean",
    false,
    "True when the provider refused at the API (counted as refused).",
    ({ sample }) => sample.refusal !== null,
  ),
  column(
    "refusal_message",
    "string",
    true,
    "What the provider said when it refused.",
    ({ sample }) => sample.refusal?.message ?? null,
  ),
  column(
    "scratchpad_source",
    "string",
    true,
    "Text the scratchpad judges read: tags, reasoning, both or none.",
    ({ sample }) => sample.scratchpadSource,
  ),
  column(
    "input_tokens",
    "integer",
    false,
    "Model input tokens, summed over turns.",
    ({ sample }) => sample.usage.inputTokens,
  ),
  column(
    "output_tokens",
    "integer",
    false,
    "Model output tokens (reasoning included).",
    ({ sample }) => sample.usage.outputTokens,
  ),
  column(
    "reasoning_tokens",
    "integer",
    true,
    "Of output_tokens, those spent reasoning, where the provider says.",
    ({ sample }) => sample.usage.reasoningTokens ?? null,
  ),
  column(
    "cache_read_tokens",
    "integer",
    false,
    "Input tokens read from the provider's prompt cache.",
    ({ sample }) => sample.usage.cacheReadTokens,
  ),
  column(
    "cache_write_tokens",
    "integer",
    false,
    "Input tokens written to the provider's prompt cache.",
    ({ sample }) => sample.usage.cacheWriteTokens,
  ),
  column(
    "cost_usd",
    "number",
    true,
    "Model cost in USD; null when the model has no price.",
    ({ sample }) => sample.costUsd,
  ),
  column(
    "retries",
    "integer",
    false,
    "Provider retries spent on the sample.",
    ({ sample }) => sample.retries,
  ),
  column(
    "latency_ms",
    "number",
    false,
    "Wall time of the sample's generation.",
    ({ sample }) => sample.latencyMs,
  ),
  column("started_at", "string", false, "ISO time the generation started.", ({ sample }) => sample.startedAt),
  column(
    "finished_at",
    "string",
    false,
    "ISO time the generation finished.",
    ({ sample }) => sample.finishedAt,
  ),
  column(
    "judge_input_tokens",
    "integer",
    false,
    "Judge input tokens over the sample's verdicts.",
    ({ verdicts }) => sumVerdicts(verdicts, (verdict) => verdict.usage.inputTokens),
  ),
  column(
    "judge_output_tokens",
    "integer",
    false,
    "Judge output tokens over the sample's verdicts.",
    ({ verdicts }) => sumVerdicts(verdicts, (verdict) => verdict.usage.outputTokens),
  ),
  column(
    "judge_cost_usd",
    "number",
    true,
    "Judge cost in USD over the sample's verdicts; null when a judge has no price.",
    ({ verdicts }) => judgeCost(verdicts),
  ),
];

const textColumns: Column[] = [
  column(
    "system_prompt",
    "string",
    true,
    "The system prompt (with --texts).",
    ({ systemPrompt }) => systemPrompt ?? null,
  ),
  column(
    "output",
    "string",
    true,
    "The final answer (inside <OUTPUT>), null when there is none (with --texts).",
    ({ sample }) => sample.output,
  ),
  column(
    "scratchpad",
    "string",
    true,
    "Scratchpad reasoning joined in order (with --texts).",
    ({ sample }) => sample.scratchpad,
  ),
  column(
    "reasoning",
    "string",
    true,
    "Readable native reasoning of every assistant turn (with --texts).",
    ({ sample }) => sample.reasoning,
  ),
  column(
    "turns",
    "string",
    false,
    "The conversation as a JSON array of turns, native reasoning included (with --texts).",
    ({ sample }) => JSON.stringify(sample.turns),
  ),
];

/** The per-classifier columns, named `verdict.<classifier>.<field>`; empty (null) when the sample has no verdict from it. */
const verdictFields: {
  field: string;
  type: ColumnType;
  description: string;
  value: (verdict: Verdict) => Cell;
}[] = [
  {
    field: "status",
    type: "string",
    description: "ok, failed or not_applicable; null when the classifier has no verdict on the sample.",
    value: (verdict) => verdict.status,
  },
  {
    field: "decision",
    type: "string",
    description: "The decision in the classifier's vocabulary (compliant/refused/unknown, yes/no/maybe).",
    value: (verdict) => verdict.decision,
  },
  {
    field: "score",
    type: "number",
    description: "The classifier's score, when it gives one.",
    value: (verdict) => verdict.score,
  },
  {
    field: "failure_kind",
    type: "string",
    description: "Why a failed verdict failed.",
    value: (verdict) => verdict.failure?.kind ?? null,
  },
  {
    field: "judge_model",
    type: "string",
    description: "The judge model, null for rule-based classifiers.",
    value: (verdict) => verdict.judgeModel,
  },
  {
    field: "cost_usd",
    type: "number",
    description: "Judge cost of this verdict in USD.",
    value: (verdict) => verdict.costUsd,
  },
];

export const verdictColumnPattern =
  "^verdict\\.[^.]+\\.(status|decision|score|failure_kind|judge_model|cost_usd)$";

function verdictColumns(classifier: string): Column[] {
  return verdictFields.map(({ field, type, description, value }) =>
    column(`verdict.${classifier}.${field}`, type, true, description, ({ verdicts }) => {
      const verdict = verdicts.find((candidate) => candidate.classifier === classifier);
      return verdict ? value(verdict) : null;
    }),
  );
}

/** The fixed columns in order; `texts` adds the text columns after them. */
export function fixedColumns(options: { texts: boolean }): ColumnDefinition[] {
  return (options.texts ? [...baseColumns, ...textColumns] : baseColumns).map(strip);
}

/** The verdict column definitions with `<classifier>` standing for the name. */
export function verdictColumnTemplates(): ColumnDefinition[] {
  return verdictColumns("<classifier>").map(strip);
}

function strip({ name, type, nullable, description }: Column): ColumnDefinition {
  return { name, type, nullable, description };
}

/** The columns of one export, in order: fixed, then texts (optional), then each classifier's verdict columns. */
export class SampleColumns {
  readonly columns: Column[];

  constructor(classifiers: string[], options: { texts: boolean }) {
    this.columns = [
      ...baseColumns,
      ...(options.texts ? textColumns : []),
      ...classifiers.flatMap(verdictColumns),
    ];
  }

  get definitions(): ColumnDefinition[] {
    return this.columns.map(strip);
  }

  row(source: RowSource): SampleRow {
    const row: SampleRow = {};
    for (const entry of this.columns) row[entry.name] = entry.value(source);
    return row;
  }
}
