import { readFile } from "node:fs/promises";
import { extname } from "node:path";
import { InputError, parseOrThrow } from "@aflab/core";
import { z } from "zod";

/** A judged text with a human label: true = the classifier's positive decision (yes, or compliant). */
export interface LabelledExample {
  text: string;
  label: boolean;
}

export interface LabelledExampleOptions {
  /** Column (CSV) or field (JSONL) with the text; default `text`. */
  textColumn?: string;
  /** Column or field with the label; default `label`. */
  labelColumn?: string;
  /**
   * Label values that mean positive (compared as text, surrounding spaces ignored, case kept): every
   * other value is negative. Without it, labels must be true/false, yes/no or 1/0.
   */
  positiveLabels?: readonly string[];
  /**
   * With `positiveLabels`: the values that mean negative. Any value in neither list is refused, naming
   * its line, so a typo or an unexpected class cannot silently become a negative.
   */
  negativeLabels?: readonly string[];
}

const trueWords = new Set(["true", "yes", "y", "1"]);
const falseWords = new Set(["false", "no", "n", "0"]);

/** Labels: booleans, 0/1, or the words true/false, yes/no, y/n, 1/0 in any case. */
export const labelSchema = z.unknown().transform((value, context) => {
  if (typeof value === "boolean") return value;
  if (value === 0 || value === 1) return value === 1;
  if (typeof value === "string") {
    const word = value.trim().toLowerCase();
    if (trueWords.has(word)) return true;
    if (falseWords.has(word)) return false;
  }
  context.addIssue({
    code: "custom",
    message:
      `expected a label true/false, yes/no or 1/0, got ${JSON.stringify(value) ?? "nothing"} ` +
      "(for other label values, name the positive ones: --positive-label VALUE)",
  });
  return z.NEVER;
});

/** A label value as text: strings trimmed, numbers and booleans as written in JSON; null for anything else. */
function labelText(value: unknown): string | null {
  if (typeof value === "string") return value.trim();
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

/** Labels named by value: positives listed, negatives everything else or (strict) listed too. */
function namedLabelSchema(positive: readonly string[], negative: readonly string[] | undefined) {
  const positives = new Set(positive.map((value) => value.trim()));
  const negatives = negative ? new Set(negative.map((value) => value.trim())) : undefined;
  const listed = () => [...positives, ...(negatives ?? [])].map((value) => JSON.stringify(value)).join(", ");
  return z.unknown().transform((value, context) => {
    const text = labelText(value);
    if (text !== null && positives.has(text)) return true;
    if (text !== null && (negatives === undefined || negatives.has(text))) return false;
    context.addIssue({
      code: "custom",
      message:
        text === null
          ? `expected a label value (text, a number or true/false), got ${JSON.stringify(value) ?? "nothing"}`
          : `expected one of the named label values ${listed()}, got ${JSON.stringify(text)}`,
    });
    return z.NEVER;
  });
}

/** Reads labels as the options say: named values, or the usual true/false spellings. */
function labelRule(options: LabelledExampleOptions): z.ZodType<boolean> {
  if (options.negativeLabels !== undefined && options.negativeLabels.length > 0) {
    if (options.positiveLabels === undefined || options.positiveLabels.length === 0) {
      throw new InputError(
        "negative label values need positive ones too (--negative-label needs --positive-label): name both so any other value is refused",
        { field: "negativeLabels" },
      );
    }
  }
  if (options.positiveLabels !== undefined && options.positiveLabels.length > 0) {
    const overlap = options.positiveLabels.find((value) =>
      (options.negativeLabels ?? []).some((other) => other.trim() === value.trim()),
    );
    if (overlap !== undefined) {
      throw new InputError(`label value ${JSON.stringify(overlap)} is named both positive and negative`, {
        field: "negativeLabels",
      });
    }
    const negatives = options.negativeLabels?.length ? options.negativeLabels : undefined;
    return namedLabelSchema(options.positiveLabels, negatives) as z.ZodType<boolean>;
  }
  return labelSchema as z.ZodType<boolean>;
}

function exampleSchema(textColumn: string, labelColumn: string, label: z.ZodType<boolean>) {
  return z.object({
    [textColumn]: z.string({ error: "expected the text as a string" }).min(1, "expected a non-empty text"),
    [labelColumn]: label,
  });
}

function toExample(
  record: Record<string, unknown>,
  textColumn: string,
  labelColumn: string,
  label: z.ZodType<boolean>,
  where: string,
): LabelledExample {
  const parsed = parseOrThrow(exampleSchema(textColumn, labelColumn, label), record, where) as Record<
    string,
    unknown
  >;
  return { text: parsed[textColumn] as string, label: parsed[labelColumn] as boolean };
}

/** Parses JSON Lines text: one object per non-blank line; errors name the line. */
export function parseLabelledJsonl(
  content: string,
  options: LabelledExampleOptions = {},
  source = "input",
): LabelledExample[] {
  const textColumn = options.textColumn ?? "text";
  const labelColumn = options.labelColumn ?? "label";
  const label = labelRule(options);
  const examples: LabelledExample[] = [];
  const lines = content.replace(/^\uFEFF/, "").split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const where = `${source} line ${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw new InputError(`invalid ${where}: expected a JSON object (${(error as Error).message})`, {
        field: `line ${index + 1}`,
      });
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new InputError(`invalid ${where}: expected a JSON object`, { field: `line ${index + 1}` });
    }
    examples.push(toExample(value as Record<string, unknown>, textColumn, labelColumn, label, where));
  });
  return examples;
}

/** One CSV record and the line it starts on. */
export interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * RFC 4180 CSV: comma separators, double-quoted fields with `""` for a quote, line breaks (LF or CRLF)
 * inside quoted fields. Blank lines are skipped. An unterminated quote is an error naming its line.
 */
export function parseCsv(content: string, source = "input"): CsvRecord[] {
  const text = content.replace(/^\uFEFF/, "");
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let quoted = false;
  let quoteLine = 0;
  let fieldStarted = false;
  const endRecord = () => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === "" && !fieldStarted))
      records.push({ line: recordLine, fields });
    fields = [];
    field = "";
    fieldStarted = false;
  };
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (quoted) {
      if (character === '"') {
        if (text[index + 1] === '"') {
          field += '"';
          index++;
        } else {
          quoted = false;
        }
      } else {
        if (character === "\n") line++;
        field += character;
      }
      continue;
    }
    if (character === '"') {
      if (field !== "") {
        throw new InputError(`invalid ${source} line ${line}: a quote inside an unquoted field`, {
          field: `line ${line}`,
        });
      }
      quoted = true;
      quoteLine = line;
      fieldStarted = true;
    } else if (character === ",") {
      fields.push(field);
      field = "";
      fieldStarted = true;
    } else if (character === "\n" || character === "\r") {
      if (character === "\r" && text[index + 1] === "\n") index++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += character;
      fieldStarted = true;
    }
  }
  if (quoted) {
    throw new InputError(`invalid ${source} line ${quoteLine}: a quoted field is never closed`, {
      field: `line ${quoteLine}`,
    });
  }
  if (field !== "" || fields.length > 0 || fieldStarted) endRecord();
  return records;
}

/** Parses CSV text with a header row; errors name the line of the record. */
export function parseLabelledCsv(
  content: string,
  options: LabelledExampleOptions = {},
  source = "input",
): LabelledExample[] {
  const textColumn = options.textColumn ?? "text";
  const labelColumn = options.labelColumn ?? "label";
  const label = labelRule(options);
  const [header, ...rows] = parseCsv(content, source);
  if (!header) throw new InputError(`invalid ${source}: the file is empty, expected a header row`);
  for (const column of [textColumn, labelColumn]) {
    if (!header.fields.includes(column)) {
      throw new InputError(
        `invalid ${source} line ${header.line}: no column ${JSON.stringify(column)} in the header (found ${header.fields.join(", ")})`,
        { field: column },
      );
    }
  }
  return rows.map((row) => {
    if (row.fields.length !== header.fields.length) {
      throw new InputError(
        `invalid ${source} line ${row.line}: expected ${header.fields.length} fields, found ${row.fields.length}`,
        { field: `line ${row.line}` },
      );
    }
    const record = Object.fromEntries(header.fields.map((name, index) => [name, row.fields[index]]));
    return toExample(record, textColumn, labelColumn, label, `${source} line ${row.line}`);
  });
}

/**
 * Reads human-labelled examples from a `.jsonl`/`.ndjson` or `.csv` file.
 * @example
 * const items = await loadLabelledExamples("labels.jsonl", {
 *   textColumn: "scratchpad_reasoning",
 *   labelColumn: "alignment_faking_human_label",
 * });
 * @throws InputError naming the file, line and field of the first bad record.
 */
export async function loadLabelledExamples(
  path: string,
  options: LabelledExampleOptions = {},
): Promise<LabelledExample[]> {
  const extension = extname(path).toLowerCase();
  if (![".jsonl", ".ndjson", ".csv"].includes(extension)) {
    throw new InputError(`invalid labelled examples path ${path}: expected a .jsonl, .ndjson or .csv file`, {
      field: "path",
    });
  }
  let content: string;
  try {
    content = await readFile(path, "utf8");
  } catch (error) {
    throw new InputError(`cannot read labelled examples ${path}: ${(error as Error).message}`, {
      field: "path",
      cause: error,
    });
  }
  return extension === ".csv"
    ? parseLabelledCsv(content, options, path)
    : parseLabelledJsonl(content, options, path);
}
