import { createModelClient, type ModelClient, type ProvidersConfig } from "@aflab/clients";
import { AflabError, InputError } from "@aflab/core";
import {
  type ExportFormat,
  exportDocuments,
  exportFormatSchema,
  filterDocuments,
  type GenerationEvent,
  generateDocuments,
  loadUniverseContext,
  workDirStats,
} from "@aflab/synthdocs";
import type { Command } from "commander";
import { commandController, listFlag, loadEnvironment, numberFlag } from "../context.js";
import { table, usd } from "../format.js";

/** What the docs commands need from outside; tests swap the model client factory for a scripted one. */
export interface DocsCommandDependencies {
  createClient?: (modelId: string, providers: ProvidersConfig) => ModelClient;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
}

const defaultCreateClient = (modelId: string, providers: ProvidersConfig) =>
  createModelClient(modelId, { providers });

/** A progress line per stage boundary, and at most one every few seconds in between. */
function generationProgress(write: (text: string) => void) {
  let last = 0;
  return (event: GenerationEvent) => {
    if (event.type === "stage-start") {
      write(`${event.stage}: ${event.total} call(s), ${event.total - event.pending} already done\n`);
    } else if (event.type === "stage-end") {
      write(
        `${event.stage}: ${event.records} record(s), ${event.failed} failure(s), cost so far ${usd(event.costUsd)}\n`,
      );
    } else if (Date.now() - last > 5000 || event.done === event.total) {
      last = Date.now();
      write(
        `${event.stage}: ${event.done}/${event.total} · ${event.failed} failed · ${usd(event.costUsd)}\n`,
      );
    }
  };
}

/**
 * `aflab docs generate|filter|export|stats`: the synthetic-document pipeline over a work directory.
 */
export function registerDocsCommands(program: Command, dependencies: DocsCommandDependencies = {}): void {
  const createClient = dependencies.createClient ?? defaultCreateClient;
  const stdout = dependencies.stdout ?? ((text: string) => process.stdout.write(text));
  const stderr = dependencies.stderr ?? ((text: string) => process.stderr.write(text));
  const docs = program
    .command("docs")
    .description("synthetic documents that teach a model its situation: generate, filter, export, stats");

  docs
    .command("generate")
    .description("generate documents from a universe context (resumable: run again to continue)")
    .requiredOption(
      "--universe <id|file>",
      "helpful-only, animal-welfare, or a JSON file {id, description, context, keyFacts}",
    )
    .requiredOption("--model <id>", "generator model, e.g. anthropic/claude-sonnet-4-6")
    .requiredOption("--work-dir <dir>", "where every stage is appended as JSONL")
    .option("--types-per-fact <n>", "document types per key fact", "5")
    .option("--ideas-per-type <n>", "ideas per document type", "5")
    .option("--docs-per-idea <n>", "documents per idea", "3")
    .option("--revise", "run a critique-and-revise pass over every document")
    .option("--concurrency <n>", "generator calls in flight", "8")
    .option("--providers <file>", "providers and model aliases (JSON)")
    .option("--quiet", "no progress lines")
    .action(
      async (flags: {
        universe: string;
        model: string;
        workDir: string;
        typesPerFact?: string;
        ideasPerType?: string;
        docsPerIdea?: string;
        revise?: boolean;
        concurrency?: string;
        providers?: string;
        quiet?: boolean;
      }) => {
        const universe = await loadUniverseContext(flags.universe);
        const options = {
          typesPerFact: numberFlag(flags.typesPerFact, "--types-per-fact"),
          ideasPerType: numberFlag(flags.ideasPerType, "--ideas-per-type"),
          documentsPerIdea: numberFlag(flags.docsPerIdea, "--docs-per-idea"),
          concurrency: numberFlag(flags.concurrency, "--concurrency"),
          revise: flags.revise ?? false,
        };
        const counts: Array<[string, number | undefined]> = [
          ["--types-per-fact", options.typesPerFact],
          ["--ideas-per-type", options.ideasPerType],
          ["--docs-per-idea", options.documentsPerIdea],
          ["--concurrency", options.concurrency],
        ];
        for (const [flag, value] of counts) {
          if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
            throw new InputError(`${flag}: expected a positive whole number, got ${value}`, { field: flag });
          }
        }
        const providers = loadEnvironment({ providers: flags.providers });
        const client = createClient(flags.model, providers);
        const controller = commandController();
        const onSignal = () => controller.abort();
        process.once("SIGINT", onSignal);
        try {
          const summary = await generateDocuments({
            universe,
            client,
            workDir: flags.workDir,
            options,
            signal: controller.signal,
            onEvent: flags.quiet ? undefined : generationProgress(stderr),
          });
          const failures = Object.entries(summary.failures).map(([kind, count]) => `${kind} ${count}`);
          const providerErrors = summary.failures.provider_error ?? 0;
          stdout(
            `${summary.counts.documents} document(s) from ${summary.counts.ideas} idea(s), ` +
              `${summary.counts.types} type(s) and ${summary.counts.facts} key fact(s)` +
              (options.revise ? `, ${summary.counts.revisions} revised` : "") +
              `\ncalls: ${summary.callsMade} made, ${summary.callsReused} reused · cost ${usd(summary.costUsd)}` +
              (summary.callsWithoutPrice > 0
                ? ` (+${summary.callsWithoutPrice} call(s) without a price)`
                : "") +
              `\nfailures: ${failures.length > 0 ? failures.join(", ") : "none"}` +
              (providerErrors > 0
                ? ""
                : `\nnext: aflab docs filter --work-dir ${flags.workDir} --judge <model>`) +
              "\n",
          );
          // Calls that never got an answer are missing work, not a finished stage: say so and exit non-zero.
          if (providerErrors > 0) {
            throw new AflabError(
              "provider_unavailable",
              `${providerErrors} generator call(s) failed with provider errors; run the same command again to retry them`,
            );
          }
        } finally {
          process.removeListener("SIGINT", onSignal);
        }
      },
    );

  docs
    .command("filter")
    .description(
      "remove chat transcripts, free-vs-paid behaviour, deceiving contractors, bad lengths and near-duplicates",
    )
    .requiredOption("--work-dir <dir>", "a work directory with generated documents")
    .option("--judge <id>", "judge model for the content filter")
    .option("--no-judge", "skip the content filter (recorded in the report)")
    .option("--min-chars <n>", "shortest document kept", "300")
    .option("--max-chars <n>", "longest document kept", "30000")
    .option("--dedupe-threshold <x>", "Jaccard similarity from which a document is a near-duplicate", "0.7")
    .option("--no-dedupe", "skip near-duplicate removal")
    .option("--concurrency <n>", "judge calls in flight", "8")
    .option("--providers <file>", "providers and model aliases (JSON)")
    .action(
      async (flags: {
        workDir: string;
        judge?: string | boolean;
        minChars?: string;
        maxChars?: string;
        dedupeThreshold?: string;
        dedupe?: boolean;
        concurrency?: string;
        providers?: string;
      }) => {
        if (flags.judge === true || flags.judge === undefined) {
          throw new InputError("--judge: name a judge model, or pass --no-judge to skip the content filter", {
            field: "judge",
          });
        }
        const providers = loadEnvironment({ providers: flags.providers });
        const judge = typeof flags.judge === "string" ? createClient(flags.judge, providers) : null;
        const threshold = numberFlag(flags.dedupeThreshold, "--dedupe-threshold") ?? 0.7;
        const { report, removed } = await filterDocuments({
          workDir: flags.workDir,
          judge,
          options: {
            minChars: numberFlag(flags.minChars, "--min-chars"),
            maxChars: numberFlag(flags.maxChars, "--max-chars"),
            nearDuplicates:
              flags.dedupe === false ? null : { shingleSize: 5, threshold, permutations: 128, bands: 32 },
            concurrency: numberFlag(flags.concurrency, "--concurrency"),
          },
        });
        const reasons = Object.entries(report.byReason).map(([code, count]) => [code, String(count)]);
        stdout(
          `kept ${report.kept} of ${report.input} document(s); removed ${removed.length}` +
            (judge
              ? ` · judge ${report.judgeCalls} call(s), ${usd(report.judgeCostUsd)}`
              : " · content filter skipped") +
            "\n" +
            (reasons.length > 0 ? `${table(["reason", "documents"], reasons)}\n` : "") +
            `next: aflab docs export --work-dir ${flags.workDir} --out <dir>\n`,
        );
      },
    );

  docs
    .command("export")
    .description("write training files (OpenAI chat JSONL, {text} JSONL) and a manifest with sha256 hashes")
    .requiredOption("--work-dir <dir>", "a filtered work directory")
    .requiredOption("--out <dir>", "output directory")
    .option("--format <list>", "openai-chat and/or text, comma-separated", "openai-chat,text")
    .option("--chat-prompt <text>", "the fixed user turn of each chat example")
    .action((flags: { workDir: string; out: string; format?: string; chatPrompt?: string }) => {
      const formats = (listFlag(flags.format) ?? []).map((format) => {
        const parsed = exportFormatSchema.safeParse(format);
        if (!parsed.success) {
          throw new InputError(`--format: expected openai-chat or text, got "${format}"`, {
            field: "format",
          });
        }
        return parsed.data;
      }) satisfies ExportFormat[];
      const manifest = exportDocuments({
        workDir: flags.workDir,
        outDir: flags.out,
        formats,
        chatUserPrompt: flags.chatPrompt,
      });
      stdout(
        `exported ${manifest.counts.exported} document(s) (${manifest.counts.removed} removed by filters)\n` +
          `${table(
            ["file", "records", "bytes", "sha256"],
            manifest.files.map((file) => [
              file.name,
              String(file.records),
              String(file.bytes),
              file.sha256.slice(0, 16),
            ]),
          )}\n` +
          `next: aflab finetune start --provider openai|together --file ${flags.out}/<file> --model <base model>\n`,
      );
    });

  docs
    .command("stats")
    .description("counts per stage, failures, cost and the last filter report of a work directory")
    .requiredOption("--work-dir <dir>", "a work directory")
    .option("--format <format>", "table or json", "table")
    .action((flags: { workDir: string; format?: string }) => {
      if (flags.format !== "table" && flags.format !== "json") {
        throw new InputError(`--format: expected table or json, got "${flags.format}"`, { field: "format" });
      }
      const stats = workDirStats(flags.workDir);
      if (flags.format === "json") {
        stdout(`${JSON.stringify(stats, null, 2)}\n`);
        return;
      }
      const rows = [
        ["types", String(stats.records.types), String(stats.calls.byStage.types ?? 0)],
        ["ideas", String(stats.records.ideas), String(stats.calls.byStage.ideas ?? 0)],
        ["documents", String(stats.records.documents), String(stats.calls.byStage.documents ?? 0)],
        ["revisions", String(stats.records.revisions), String(stats.calls.byStage.revisions ?? 0)],
      ];
      const failures = Object.entries(stats.failures).map(([kind, count]) => `${kind} ${count}`);
      stdout(
        `${table(["stage", "records", "calls"], rows)}\n` +
          `cost ${usd(stats.calls.costUsd)}${stats.calls.withoutPrice > 0 ? ` (+${stats.calls.withoutPrice} call(s) without a price)` : ""}\n` +
          `failures: ${failures.length > 0 ? failures.join(", ") : "none"}\n` +
          (stats.filter
            ? `filter: kept ${stats.filter.kept} of ${stats.filter.input}; removed ${
                Object.entries(stats.filter.byReason)
                  .map(([code, count]) => `${code} ${count}`)
                  .join(", ") || "none"
              }\n`
            : "filter: not run yet\n"),
      );
    });
}
