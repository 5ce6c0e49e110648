import { InputError } from "@aflab/core";
import { parse as parseCsv } from "csv-parse/sync";
import { z } from "zod";

/** One query of a dataset. `id` is stable across loads (`<source-name>:<row>`), so resume keys survive. */
export const datasetItemSchema = z.object({
  id: z.string().min(1),
  query: z.string().min(1),
  /** Line in the source file where the row starts (CSV, JSONL). */
  line: z.number().int().positive().optional(),
  /** The dataset source as given (`advbench`, `builtin:harmful`, a path). */
  source: z.string().min(1),
});
export type DatasetItem = z.infer<typeof datasetItemSchema>;

export type DatasetFormat = "csv" | "jsonl" | "json";

/** Query columns tried in order when none is given; matched case-insensitively. */
export const defaultQueryColumns = ["goal", "prompt", "query", "question", "text", "instruction"] as const;

export interface ParseDatasetOptions {
  format: DatasetFormat;
  /** Prefix of every item id. */
  sourceName: string;
  /** Stored as each item's `source`. */
  source: string;
  /** How messages name the dataset (usually the file path). */
  displayName: string;
  /** Column (CSV) or field (JSONL, JSON objects) holding the query. */
  column?: string;
}

/** A row before validation: where it came from and the raw query value (undefined when absent). */
interface RawRow {
  row: number;
  line?: number;
  value: unknown;
  /** Set when the row cannot carry a query at all (e.g. a JSON number). */
  shapeError?: string;
}

const rowShapeSchema = z.union([z.string(), z.record(z.string(), z.unknown())]);

function pickColumn(
  available: readonly string[],
  requested: string | undefined,
  displayName: string,
): string {
  const list = available.length > 0 ? available.join(", ") : "(none)";
  if (requested !== undefined) {
    if (available.includes(requested)) return requested;
    throw new InputError(`${displayName}: column "${requested}" not found; columns are: ${list}`, {
      field: "dataset.column",
    });
  }
  for (const candidate of defaultQueryColumns) {
    const found = available.find((name) => name.trim().toLowerCase() === candidate);
    if (found !== undefined) return found;
  }
  throw new InputError(
    `${displayName}: no query column; expected one of ${defaultQueryColumns.join(", ")} (or pass a column); columns are: ${list}`,
    { field: "dataset.column" },
  );
}

function csvRows(text: string, options: ParseDatasetOptions): { rows: RawRow[]; column: string } {
  // Line numbers are counted on "\n" only, so Windows line endings are normalised first.
  const normalised = text.replace(/\r\n?/g, "\n");
  let records: Array<{ record: string[]; raw: string; info: { lines: number } }>;
  try {
    // With `info` and `raw` each record comes wrapped with its position; the typings do not model that.
    records = parseCsv(normalised, {
      bom: true,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as typeof records;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`${options.displayName}: invalid CSV: ${reason}`, {
      field: "dataset",
      cause: error,
    });
  }
  const [header, ...body] = records;
  if (header === undefined) return { rows: [], column: options.column ?? "" };
  if (body.length === 0) return { rows: [], column: options.column ?? "" };
  const column = pickColumn(header.record, options.column, options.displayName);
  const columnIndex = header.record.indexOf(column);
  const rows = body.map((entry, index): RawRow => {
    // `info.lines` is where the record ends; the raw text tells how many lines it spans. Its leading
    // newlines are skipped empty lines and its trailing one is the record delimiter.
    const own = entry.raw.replace(/^\n+/, "").replace(/\n$/, "");
    const spanned = own.split("\n").length - 1;
    return { row: index + 1, line: entry.info.lines - spanned, value: entry.record[columnIndex] };
  });
  return { rows, column };
}

function objectRows(
  values: Array<{ value: unknown; line?: number }>,
  options: ParseDatasetOptions,
): { rows: RawRow[]; column: string } {
  let firstObject: object | undefined;
  for (const entry of values) {
    if (typeof entry.value === "object" && entry.value !== null && !Array.isArray(entry.value)) {
      firstObject = entry.value;
      break;
    }
  }
  const column =
    firstObject === undefined
      ? (options.column ?? "")
      : pickColumn(Object.keys(firstObject), options.column, options.displayName);
  const rows = values.map((entry, index): RawRow => {
    const base = { row: index + 1, ...(entry.line === undefined ? {} : { line: entry.line }) };
    const shape = rowShapeSchema.safeParse(entry.value);
    if (!shape.success) return { ...base, value: undefined, shapeError: "expected a string or an object" };
    if (typeof shape.data === "string") return { ...base, value: shape.data };
    return { ...base, value: shape.data[column] };
  });
  return { rows, column };
}

function jsonlRows(text: string, options: ParseDatasetOptions): { rows: RawRow[]; column: string } {
  const values: Array<{ value: unknown; line: number }> = [];
  const invalidLines: number[] = [];
  text.split(/\r?\n/).forEach((content, index) => {
    if (content.trim() === "") return;
    try {
      values.push({ value: JSON.parse(content), line: index + 1 });
    } catch {
      invalidLines.push(index + 1);
    }
  });
  if (invalidLines.length > 0) {
    const word = invalidLines.length === 1 ? "line" : "lines";
    throw new InputError(`${options.displayName}: invalid JSON on ${word} ${invalidLines.join(", ")}`, {
      field: "dataset",
    });
  }
  return objectRows(values, options);
}

function jsonRows(text: string, options: ParseDatasetOptions): { rows: RawRow[]; column: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`${options.displayName}: invalid JSON: ${reason}`, {
      field: "dataset",
      cause: error,
    });
  }
  if (!Array.isArray(parsed)) {
    throw new InputError(`${options.displayName}: expected a JSON array of strings or objects`, {
      field: "dataset",
    });
  }
  return objectRows(
    parsed.map((value) => ({ value })),
    options,
  );
}

/** Why a row has no usable query, or undefined when it has one. */
function problemOf(row: RawRow, column: string): string | undefined {
  if (row.shapeError !== undefined) return row.shapeError;
  const label = `"${column}"`;
  if (row.value === undefined || row.value === null) return `missing ${label}`;
  if (typeof row.value !== "string") return `${label} is not a string`;
  if (row.value.trim() === "") return `empty ${label}`;
  return undefined;
}

/**
 * Parse a dataset file's text into items. Every row is checked; all bad rows are reported together in
 * one InputError (by line for CSV and JSONL, by item number for JSON), never silently dropped.
 */
export function parseDataset(text: string, options: ParseDatasetOptions): DatasetItem[] {
  const content = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const { rows, column } =
    options.format === "csv"
      ? csvRows(content, options)
      : options.format === "jsonl"
        ? jsonlRows(content, options)
        : jsonRows(content, options);
  if (rows.length === 0) {
    throw new InputError(`${options.displayName}: the dataset has no rows`, { field: "dataset" });
  }

  const problems = new Map<string, number[]>();
  const items: DatasetItem[] = [];
  for (const row of rows) {
    const problem = problemOf(row, column);
    if (problem !== undefined) {
      const where = row.line ?? row.row;
      problems.set(problem, [...(problems.get(problem) ?? []), where]);
      continue;
    }
    items.push({
      id: `${options.sourceName}:${row.row}`,
      query: String(row.value).trim(),
      ...(row.line === undefined ? {} : { line: row.line }),
      source: options.source,
    });
  }
  if (problems.size > 0) {
    const unit = options.format === "json" ? "item" : "line";
    const detail = [...problems]
      .map(([problem, places]) => `${unit}${places.length === 1 ? "" : "s"} ${places.join(", ")}: ${problem}`)
      .join("; ");
    throw new InputError(`${options.displayName}: bad rows: ${detail}`, { field: "dataset" });
  }
  return items;
}
