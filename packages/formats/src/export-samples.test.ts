import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { createClientFactory, startRun, summarizeRun } from "@aflab/engine";
import { openStore, type Store } from "@aflab/store";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { csvCell, exportSamples } from "./export-samples.js";
import { sampleRowJsonSchema } from "./json-schema.js";
import { fixedColumns, sampleExportSchemaVersion, verdictColumnTemplates } from "./sample-columns.js";

let store: Store;
let runId: string;
let directory: string;

beforeAll(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "aflab-export-"));
  store = openStore(path.join(directory, "aflab.db"));
  const outcome = await startRun(
    {
      model: "sim/opus-like",
      judge: "sim/judge",
      userFormat: "minimal",
      dataset: { source: "builtin:harmful" },
      classifiers: ["tag-compliance", "af-reasoning"],
      epochs: 3,
      concurrency: 8,
    },
    { store, createClient: createClientFactory() },
  );
  runId = outcome.runId;
});

afterAll(async () => {
  await store.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

type Row = Record<string, unknown>;

/** A small RFC 4180 reader, written apart from the writer so the test does not trust the code it checks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = "";
  let quoted = false;
  let wasQuoted = false;
  for (let index = 0; index < text.length; index++) {
    const character = text[index];
    if (quoted) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index++;
      } else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') {
      quoted = true;
      wasQuoted = true;
    } else if (character === ",") {
      record.push(wasQuoted ? field : field === "" ? "\u0000null" : field);
      field = "";
      wasQuoted = false;
    } else if (character === "\r" && text[index + 1] === "\n") {
      record.push(wasQuoted ? field : field === "" ? "\u0000null" : field);
      records.push(record);
      record = [];
      field = "";
      wasQuoted = false;
      index++;
    } else field += character;
  }
  return records;
}

/** Compliance per tier and the free − paid gap, from exported rows alone (SPEC: failed samples excluded). */
function gapFromRows(rows: Row[], classifier: string) {
  const rate = (tier: string) => {
    let compliant = 0;
    let scored = 0;
    for (const row of rows) {
      if (row.tier !== tier || row.status !== "complete") continue;
      if (row[`verdict.${classifier}.status`] !== "ok") continue;
      const decision = row[`verdict.${classifier}.decision`];
      if (decision !== "compliant" && decision !== "refused" && decision !== "unknown") continue;
      scored++;
      if (decision === "compliant") compliant++;
    }
    const p = compliant / scored;
    return { p, se: Math.sqrt((p * (1 - p)) / scored), compliant, scored };
  };
  const free = rate("free");
  const paid = rate("paid");
  return { free, paid, value: free.p - paid.p, se: Math.sqrt(free.se ** 2 + paid.se ** 2) };
}

async function exportText(format: "jsonl" | "csv", texts = false): Promise<string> {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (chunk: Buffer) => chunks.push(chunk));
  await exportSamples(store, runId, { stream }, { format, texts });
  stream.end();
  return Buffer.concat(chunks).toString("utf8");
}

describe("sample export", () => {
  it("JSONL rows recompute the report's compliance per tier and gap", async () => {
    const report = await summarizeRun(store, runId);
    const rows = (await exportText("jsonl"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Row);
    expect(rows).toHaveLength(report.total);
    const gap = gapFromRows(rows, report.complianceClassifier);
    expect(gap.free.compliant).toBe(report.tiers.free?.compliant);
    expect(gap.paid.compliant).toBe(report.tiers.paid?.compliant);
    expect(report.gap).not.toBeNull();
    expect(gap.value).toBeCloseTo(report.gap?.value ?? Number.NaN, 12);
    expect(gap.se).toBeCloseTo(report.gap?.se ?? Number.NaN, 12);
    // The AF judge's yes count per tier agrees with the report's rate too.
    const freeYes = rows.filter(
      (row) => row.tier === "free" && row["verdict.af-reasoning.decision"] === "yes",
    ).length;
    expect(freeYes).toBe(report.alignmentFaking?.free?.yes);
  });

  it("CSV carries the same rows, with nulls apart from empty strings", async () => {
    const jsonRows = (await exportText("jsonl"))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Row);
    const [header, ...records] = parseCsv(await exportText("csv"));
    expect(header).toEqual(Object.keys(jsonRows[0] ?? {}));
    expect(records).toHaveLength(jsonRows.length);
    records.forEach((record, index) => {
      const json = jsonRows[index] as Row;
      (header ?? []).forEach((name, position) => {
        const cell = record[position];
        const expected = json[name];
        expect(cell === "\u0000null" ? null : cell, name).toBe(expected === null ? null : String(expected));
      });
    });
    const report = await summarizeRun(store, runId);
    const typed = records.map((record) =>
      Object.fromEntries((header ?? []).map((name, i) => [name, record[i]])),
    );
    expect(gapFromRows(typed, report.complianceClassifier).value).toBeCloseTo(
      report.gap?.value ?? Number.NaN,
      12,
    );
  });

  it("quotes commas, quotes, line breaks, edge spaces and the empty string in CSV", () => {
    expect(csvCell('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
    expect(csvCell("")).toBe('""');
    expect(csvCell(" padded")).toBe('" padded"');
    expect(csvCell(null)).toBe("");
    expect(csvCell(0.25)).toBe("0.25");
    expect(parseCsv(`a,${csvCell('x,"y"\r\nz')},,${csvCell("")}\r\n`)).toEqual([
      ["a", 'x,"y"\r\nz', "\u0000null", ""],
    ]);
  });

  it("Parquet rows match the JSONL rows and carry the schema version", async () => {
    const file = path.join(directory, "samples.parquet");
    const summary = await exportSamples(store, runId, { file }, { format: "parquet", texts: true });
    const rows = (await parquetReadObjects({ file: await asyncBufferFromFile(file) })) as Row[];
    const jsonRows = (await exportText("jsonl", true))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Row);
    expect(rows).toHaveLength(summary.rows);
    expect(rows).toEqual(jsonRows);
    expect(fs.readdirSync(directory).filter((name) => name.endsWith(".partial"))).toEqual([]);
    const report = await summarizeRun(store, runId);
    expect(gapFromRows(rows, report.complianceClassifier).value).toBeCloseTo(
      report.gap?.value ?? Number.NaN,
      12,
    );
  });

  it("texts carry the system prompt, the answer and the turns", async () => {
    const rows = (await exportText("jsonl", true))
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line) as Row);
    const first = rows[0] as Row;
    const sample = await store.getSample(runId, String(first.key));
    expect(first.output).toBe(sample?.output);
    expect(JSON.parse(String(first.turns))).toEqual(sample?.turns);
    expect(first.system_prompt).toBe(await store.getSystemPrompt(String(sample?.systemPromptHash)));
    expect(String(first.system_prompt).length).toBeGreaterThan(100);
  });

  it("refuses Parquet to a stream and leaves nothing behind", async () => {
    await expect(
      exportSamples(store, runId, { stream: new PassThrough() }, { format: "parquet" }),
    ).rejects.toThrow(/--out/);
  });

  it("every JSONL row satisfies the published JSON Schema, which matches the committed file", async () => {
    const schema = sampleRowJsonSchema();
    const committed = JSON.parse(
      fs.readFileSync(new URL("../sample-row.schema.json", import.meta.url), "utf8"),
    ) as unknown;
    expect(committed).toEqual(schema);
    const properties = schema.properties as Record<string, { type: string | string[]; const?: unknown }>;
    const pattern = new RegExp(Object.keys(schema.patternProperties as object)[0] ?? "");
    const typeOf = (value: unknown) =>
      value === null
        ? "null"
        : typeof value === "number"
          ? Number.isInteger(value)
            ? "integer"
            : "number"
          : typeof value;
    for (const texts of [false, true]) {
      const rows = (await exportText("jsonl", texts))
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as Row);
      for (const row of rows) {
        for (const required of schema.required as string[]) expect(row).toHaveProperty([required]);
        for (const [name, value] of Object.entries(row)) {
          const property = properties[name];
          if (!property) {
            expect(name).toMatch(pattern);
            continue;
          }
          const allowed = [property.type].flat();
          const actual = typeOf(value);
          expect(
            allowed.includes(actual) || (actual === "integer" && allowed.includes("number")),
            `${name}: ${actual}`,
          ).toBe(true);
          if (property.const !== undefined) expect(value).toBe(property.const);
        }
      }
      expect(rows[0]?.schema_version).toBe(sampleExportSchemaVersion);
    }
  });
});

describe("the package README", () => {
  it("documents every column of the schema", () => {
    const readme = fs.readFileSync(new URL("../README.md", import.meta.url), "utf8");
    for (const entry of [...fixedColumns({ texts: true }), ...verdictColumnTemplates()]) {
      const escaped = entry.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      expect(readme).toMatch(new RegExp(`\\| \`${escaped}\`\\s*\\| ${entry.type}`));
    }
  });
});
