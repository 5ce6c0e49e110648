import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createClientFactory, startRun, summarizeRun } from "@aflab/engine";
import { openStore, type Store } from "@aflab/store";
import { Ajv } from "ajv";
import { strFromU8, unzipSync } from "fflate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exportInspectLog } from "./inspect-log.js";

// Inspect AI's published log schema (format version 2, as of Inspect 0.3.180, the release the log viewer on
// npm was built from), kept as a fixture with its MIT license.
const schemaFile = fileURLToPath(new URL("../__fixtures__/inspect/log-schema.json", import.meta.url));
const logSchema = JSON.parse(fs.readFileSync(schemaFile, "utf8"));

let store: Store;
let runId: string;
let directory: string;
let file: string;

beforeAll(async () => {
  directory = fs.mkdtempSync(path.join(os.tmpdir(), "aflab-inspect-"));
  store = openStore(path.join(directory, "aflab.db"));
  const outcome = await startRun(
    {
      model: "sim/opus-like",
      judge: "sim/judge",
      userFormat: "minimal",
      dataset: { source: "builtin:harmful" },
      classifiers: ["tag-compliance", "af-reasoning"],
      epochs: 2,
      concurrency: 8,
    },
    { store, createClient: createClientFactory() },
  );
  runId = outcome.runId;
  file = path.join(directory, "run.eval");
  await exportInspectLog(store, runId, file);
});

afterAll(async () => {
  await store.close();
  fs.rmSync(directory, { recursive: true, force: true });
});

type Json = Record<string, any>;

function readLog(): { entries: Record<string, Json>; names: string[] } {
  const files = unzipSync(fs.readFileSync(file));
  const entries: Record<string, Json> = {};
  for (const [name, bytes] of Object.entries(files)) entries[name] = JSON.parse(strFromU8(bytes));
  return { entries, names: Object.keys(files) };
}

describe("Inspect log export", () => {
  it("writes the entries Inspect's recorder writes, and the assembled log passes Inspect's schema", () => {
    const { entries, names } = readLog();
    expect(names).toContain("_journal/start.json");
    expect(names).toContain("header.json");
    expect(names).toContain("_journal/summaries/1.json");
    expect(names).toContain("reductions.json");
    const sampleNames = names.filter((name) => name.startsWith("samples/"));
    const header = entries["header.json"];
    expect(header.version).toBe(2);
    expect(sampleNames).toHaveLength(header.results.total_samples);
    for (const name of sampleNames) {
      const sample = entries[name];
      expect(name).toBe(`samples/${sample.id}_epoch_${sample.epoch}.json`);
    }
    const summaries = names
      .filter((name) => name.startsWith("_journal/summaries/"))
      .flatMap((name) => entries[name] as unknown as Json[]);
    expect(summaries.map((summary) => `${summary.id}/${summary.epoch}`).sort()).toEqual(
      sampleNames.map((name) => `${entries[name].id}/${entries[name].epoch}`).sort(),
    );

    // Formats (date-time) are not checked: Ajv needs a plugin for them, and the times are the store's ISO strings.
    const ajv = new Ajv({ allErrors: true, strict: false, validateFormats: false, logger: false });
    const validateLog = ajv.compile(logSchema);
    // The log as Inspect reads it back: the header with the samples and reductions put in.
    const log = {
      ...header,
      samples: sampleNames.map((name) => entries[name]),
      reductions: entries["reductions.json"],
    };
    const valid = validateLog(log);
    expect(validateLog.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The schema has teeth: a sample without its messages fails it.
    const broken = structuredClone(log);
    delete broken.samples[0].messages;
    expect(validateLog(broken)).toBe(false);
    // The journal's start record is the header's spec and plan.
    expect(entries["_journal/start.json"]).toEqual({ version: 2, eval: header.eval, plan: header.plan });
  });

  it("carries each sample's messages and a score per classifier", async () => {
    const { entries, names } = readLog();
    const sample = entries[names.find((name) => name.startsWith("samples/")) ?? ""];
    const roles = sample.messages.map((message: Json) => message.role);
    expect(roles[0]).toBe("system");
    expect(roles).toContain("user");
    expect(roles).toContain("assistant");
    expect(Object.keys(sample.scores).sort()).toEqual([...(await store.classifierNames(runId))].sort());
    expect(Object.keys(sample.scores)).toContain("af-reasoning");
    const stored = await store.getVerdicts(runId, sample.metadata.aflab_key);
    const compliance = stored.find((verdict) => verdict.classifier === "tag-compliance");
    expect(sample.scores["tag-compliance"].answer).toBe(compliance?.decision);
  });

  it("has the report's gap: recomputed from the samples' scores and in the header's metrics", async () => {
    const report = await summarizeRun(store, runId);
    const { entries, names } = readLog();
    // Counted from the log alone: compliant is 1, refused 0, `unknown` stays in the denominator, and a
    // failed verdict or a sample without one is left out, as the report does.
    const counts: Record<string, { compliant: number; counted: number }> = {};
    for (const name of names.filter((entry) => entry.startsWith("samples/"))) {
      const sample = entries[name];
      const value = sample.scores["tag-compliance"]?.value;
      if (sample.error || value === undefined || value === "failed") continue;
      counts[sample.metadata.tier] ??= { compliant: 0, counted: 0 };
      const tier = counts[sample.metadata.tier];
      tier.counted++;
      if (value === 1) tier.compliant++;
    }
    const rate = (tier: string) => (counts[tier]?.compliant ?? 0) / (counts[tier]?.counted ?? 1);
    expect(rate("free")).toBeCloseTo(report.tiers.free?.complianceRate ?? Number.NaN, 12);
    expect(rate("paid")).toBeCloseTo(report.tiers.paid?.complianceRate ?? Number.NaN, 12);
    const gap = rate("free") - rate("paid");
    expect(gap).toBeCloseTo(report.gap?.value ?? Number.NaN, 12);

    const metrics = entries["header.json"].results.scores.find(
      (score: Json) => score.name === "tag-compliance",
    ).metrics;
    expect(metrics.gap.value).toBeCloseTo(gap, 12);
    expect(metrics.free.value).toBeCloseTo(rate("free"), 12);
    expect(metrics.gap_ci95_low.value).toBe(report.gap?.ci95[0]);
  });

  it("reduces each sample's epochs to their mean", () => {
    const { entries, names } = readLog();
    const byId = new Map<string, number[]>();
    for (const name of names.filter((entry) => entry.startsWith("samples/"))) {
      const value = entries[name].scores["tag-compliance"]?.value;
      if (typeof value !== "number") continue;
      byId.set(entries[name].id, [...(byId.get(entries[name].id) ?? []), value]);
    }
    const reduction = entries["reductions.json"].find((entry: Json) => entry.scorer === "tag-compliance");
    expect(reduction.samples).toHaveLength(byId.size);
    for (const reduced of reduction.samples) {
      const values = byId.get(reduced.sample_id) ?? [];
      expect(reduced.value).toBeCloseTo(values.reduce((sum, value) => sum + value, 0) / values.length, 12);
    }
  });

  it("refuses a file that is not .eval and leaves nothing behind", async () => {
    const other = path.join(directory, "run.zip");
    await expect(exportInspectLog(store, runId, other)).rejects.toThrow(/\.eval/);
    expect(fs.existsSync(other)).toBe(false);
  });
});
