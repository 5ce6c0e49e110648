import fs from "node:fs";
import type { Writable } from "node:stream";
import { InputError } from "@aflab/core";
import type { Store } from "@aflab/store";
import { fileWriter, ParquetWriter } from "hyparquet-writer";
import { ChunkedWriter, type ExportDestination, partialPath, withDestination } from "./destination.js";
import { runSamples } from "./run-samples.js";
import {
  type ColumnDefinition,
  SampleColumns,
  type SampleRow,
  sampleExportSchemaVersion,
} from "./sample-columns.js";

export const sampleExportFormats = ["jsonl", "csv", "parquet"] as const;
export type SampleExportFormat = (typeof sampleExportFormats)[number];

export interface SampleRowsOptions {
  /** Add the text columns (system prompt, output, scratchpad, native reasoning, turns). */
  texts?: boolean;
}

export interface SampleRows {
  columns: ColumnDefinition[];
  /** One row per sample in the run's order, read page by page from the store. */
  rows: AsyncIterable<SampleRow>;
}

/** A run's samples as export rows: the store's paged iterator joined with each sample's verdicts. */
export async function sampleRows(
  store: Store,
  runId: string,
  options: SampleRowsOptions = {},
): Promise<SampleRows> {
  const run = await store.requireRun(runId);
  const texts = options.texts ?? false;
  const classifiers = [...(await store.classifierNames(runId))].sort();
  const columns = new SampleColumns(classifiers, { texts });
  // Runs of one prompt store one system prompt; the cache stays as small as the run's distinct prompts.
  const prompts = new Map<string, string | undefined>();
  async function* rows(): AsyncGenerator<SampleRow> {
    for await (const sample of runSamples(store, runId, { withTurns: texts })) {
      const verdicts = await store.getVerdicts(runId, sample.key);
      let systemPrompt: string | undefined;
      if (texts) {
        if (!prompts.has(sample.systemPromptHash)) {
          prompts.set(sample.systemPromptHash, await store.getSystemPrompt(sample.systemPromptHash));
        }
        systemPrompt = prompts.get(sample.systemPromptHash);
      }
      yield columns.row({ run, sample, verdicts, systemPrompt });
    }
  }
  return { columns: columns.definitions, rows: rows() };
}

export interface ExportSamplesOptions extends SampleRowsOptions {
  format: SampleExportFormat;
}

export interface ExportSummary {
  rows: number;
  columns: string[];
}

/**
 * Writes a run's samples as JSONL, CSV or Parquet. A file is written beside its destination and renamed
 * into place at the end, so a failed export leaves no half file. Parquet needs a file (it is binary).
 */
export async function exportSamples(
  store: Store,
  runId: string,
  destination: ExportDestination,
  options: ExportSamplesOptions,
): Promise<ExportSummary> {
  const format = options.format;
  if (format !== "parquet") {
    const { columns, rows } = await sampleRows(store, runId, options);
    const count = await withDestination(destination, (stream) => writeText(stream, columns, rows, format));
    return { rows: count, columns: columns.map((entry) => entry.name) };
  }
  if (!("file" in destination)) {
    throw new InputError("--out: Parquet is binary; expected a file to write it to", { field: "out" });
  }
  const { columns, rows } = await sampleRows(store, runId, options);
  const partial = partialPath(destination.file);
  try {
    const count = await writeParquet(partial, columns, rows, runId);
    fs.renameSync(partial, destination.file);
    return { rows: count, columns: columns.map((entry) => entry.name) };
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw error;
  }
}

async function writeText(
  stream: Writable,
  columns: ColumnDefinition[],
  rows: AsyncIterable<SampleRow>,
  format: "jsonl" | "csv",
): Promise<number> {
  const out = new ChunkedWriter(stream);
  if (format === "csv") await out.write(`${columns.map((entry) => csvCell(entry.name)).join(",")}\r\n`);
  let count = 0;
  for await (const row of rows) {
    await out.write(format === "csv" ? csvLine(columns, row) : `${JSON.stringify(row)}\n`);
    count++;
  }
  await out.flush();
  return count;
}

const needsQuotes = /[",\r\n]|^\s|\s$/;

/**
 * RFC 4180: fields with a comma, quote or line break are quoted, quotes doubled. Null is an empty field
 * and the empty string is `""`, so the two stay apart.
 */
export function csvCell(value: string | number | boolean | null): string {
  if (value === null) return "";
  if (typeof value !== "string") return String(value);
  if (value === "" || needsQuotes.test(value)) return `"${value.replaceAll('"', '""')}"`;
  return value;
}

function csvLine(columns: ColumnDefinition[], row: SampleRow): string {
  return `${columns.map((entry) => csvCell(row[entry.name] ?? null)).join(",")}\r\n`;
}

const parquetTypes = {
  string: { type: "BYTE_ARRAY", converted_type: "UTF8" },
  integer: { type: "INT32" },
  number: { type: "DOUBLE" },
  boolean: { type: "BOOLEAN" },
} as const;

/**
 * A row group's columns are held in memory until written: a group closes at this many rows or characters.
 * With texts a row is some 15,000 characters, so the characters decide: a group of 8 million lived long
 * enough for the collector to move it to the old generation, which then grew past 200 MiB on a
 * 100,000-sample run; much smaller groups add footer metadata per group, which grows with the run.
 */
const groupRowLimit = 500;
const groupCharacterLimit = 4_000_000;

function rowCharacters(row: SampleRow): number {
  let characters = 0;
  for (const value of Object.values(row)) characters += typeof value === "string" ? value.length : 8;
  return characters;
}

async function writeParquet(
  file: string,
  columns: ColumnDefinition[],
  rows: AsyncIterable<SampleRow>,
  runId: string,
): Promise<number> {
  const writer = new ParquetWriter({
    writer: fileWriter(file),
    schema: [
      { name: "root", num_children: columns.length },
      ...columns.map((entry) => ({
        name: entry.name,
        ...parquetTypes[entry.type],
        repetition_type: entry.nullable ? ("OPTIONAL" as const) : ("REQUIRED" as const),
      })),
    ],
    kvMetadata: [
      { key: "aflab.schema_version", value: String(sampleExportSchemaVersion) },
      { key: "aflab.run_id", value: runId },
    ],
    createdBy: "aflab",
    // Column statistics are kept in memory for every row group until the footer is written: on a long
    // run with texts they grow with the run, which is what an export must not do.
    statistics: false,
  });
  let group: SampleRow[] = [];
  let groupCharacters = 0;
  let count = 0;
  const writeGroup = async () => {
    if (group.length === 0) return;
    await writer.write({
      columnData: columns.map((entry) => ({
        name: entry.name,
        data: group.map((row) => row[entry.name] ?? null),
        offsetIndex: false,
      })),
      rowGroupSize: group.length,
    });
    group = [];
    groupCharacters = 0;
  };
  for await (const row of rows) {
    group.push(row);
    groupCharacters += rowCharacters(row);
    count++;
    if (group.length >= groupRowLimit || groupCharacters >= groupCharacterLimit) await writeGroup();
  }
  await writeGroup();
  writer.finish();
  return count;
}
