import {
  defaultUserFormat,
  InputError,
  modelIdSchema,
  parseOrThrow,
  type RunConfigInput,
  type RunEventListener,
  runConfigFieldsSchema,
  runConfigSchema,
  settingSchema,
  userFormatSchema,
} from "@aflab/core";
import { getProbeFamily, selectProbeMembers } from "@aflab/prompts";
import type { PromptSet, PromptSetMember, Store } from "@aflab/store";
import { z } from "zod";
import { newRunId } from "./keys.js";
import { type ClientFactory, type PreparedRun, type PrepareOptions, prepareRun } from "./prepare-run.js";
import { type RunOutcome, resumeRun, startPreparedRun } from "./run-experiment.js";

/** A variant combination: `"none"` or `[]` for the unmodified prompt, `"a,b"` or `["a", "b"]` to compose. */
const variantCombinationSchema = z.union([z.string(), z.array(z.string().min(1))]);

export const sweepConfigSchema = z
  .object({
    name: z.string().optional(),
    models: z.array(modelIdSchema).min(1, "expected at least one model"),
    settings: z.array(settingSchema).min(1).default(["helpful-only"]),
    variants: z.array(variantCombinationSchema).min(1).default(["none"]),
    /** A probe family (`aflab variants --families`): every variant combination is run once per step of the
     * family, with the step's variant added, so the sweep reads as a curve over the probe. */
    family: z.string().min(1, "expected a probe family name").optional(),
    /** The family's steps to run (its values, e.g. [0, 50, 100]); default every step. */
    steps: z.array(z.number()).min(1).optional(),
    /** A stored prompt set (`aflab paraphrase`): one cell per accepted paraphrase (and the original), with the
     * set's setting and variants; the report is the distribution of gaps across paraphrases. */
    promptSet: z.string().min(1, "expected a prompt set name").optional(),
    /** With a prompt set: also run the original prompt, to compare it with its paraphrases (default true). */
    original: z.boolean().default(true),
    /** The accepted paraphrases to run, by position; recorded when the sweep starts (default: every accepted
     * one), so a resumed sweep runs the same cells even after the set has grown. */
    positions: z.array(z.number().int().nonnegative()).min(1).optional(),
    /** Default: one format, the run config's default for the sweep's judge (`minimal` without one, `paper` with one). */
    userFormats: z.array(userFormatSchema).min(1).optional(),
    /** Everything else of a run config, shared by every cell (dataset, tiers, epochs, judge, classifiers, ...). */
    run: runConfigFieldsSchema
      .omit({ model: true, setting: true, variants: true, userFormat: true, paraphrase: true })
      .partial()
      .default({}),
  })
  .strict();
export type SweepConfig = z.infer<typeof sweepConfigSchema>;
export type SweepConfigInput = z.input<typeof sweepConfigSchema>;

export interface SweepCell {
  index: number;
  model: string;
  setting: z.infer<typeof settingSchema>;
  variants: string[];
  userFormat: z.infer<typeof userFormatSchema>;
  /** The probe step this cell measures, when the sweep runs a family. */
  probe?: { family: string; value: number; label: string; variant: string };
  /** The paraphrase this cell runs, when the sweep runs a prompt set (absent on the original's cell). */
  paraphrase?: { promptSet: string; position: number; hash: string };
}

/** A prompt set and its accepted paraphrases, as a sweep over it needs them. */
export interface SweepPromptSet {
  set: PromptSet;
  members: PromptSetMember[];
}

function variantList(combination: string | string[]): string[] {
  const parts = Array.isArray(combination) ? combination : combination.split(",");
  const names = parts.map((part) => part.trim()).filter((part) => part.length > 0 && part !== "none");
  return names;
}

/** The variant combinations of the matrix: as written, or each crossed with the steps of the family. */
function combinations(config: SweepConfig): { variants: string[]; probe?: SweepCell["probe"] }[] {
  const plain = config.variants.map((combination) => ({ variants: variantList(combination) }));
  if (config.family === undefined) {
    if (config.steps !== undefined)
      throw new InputError("steps needs a family to choose steps from", { field: "steps" });
    return plain;
  }
  const family = getProbeFamily(config.family);
  const members = selectProbeMembers(family, config.steps);
  return plain.flatMap(({ variants }) =>
    members.map((member) => ({
      variants: [...variants, member.variant],
      probe: { family: family.name, value: member.value, label: member.label, variant: member.variant },
    })),
  );
}

/** A prompt-set sweep: models × (original and each accepted paraphrase) × user formats. */
function promptSetCells(config: SweepConfig, promptSet: SweepPromptSet): SweepCell[] {
  const { set, members } = promptSet;
  const cells: SweepCell[] = [];
  const prompts = [
    ...(config.original ? [undefined] : []),
    ...members.map((member) => ({ promptSet: set.name, position: member.position, hash: member.hash })),
  ];
  for (const model of config.models) {
    for (const paraphrase of prompts) {
      for (const userFormat of config.userFormats ?? [defaultUserFormat(config.run.judge)]) {
        cells.push({
          index: cells.length,
          model,
          setting: set.setting,
          variants: [...set.variants],
          userFormat,
          ...(paraphrase ? { paraphrase } : {}),
        });
      }
    }
  }
  return cells;
}

/**
 * The matrix, in a fixed order: models × settings × variants (× family steps) × user formats; for a
 * prompt-set sweep, models × prompts × user formats (the set and its accepted members must be given).
 */
export function sweepCells(config: SweepConfig, promptSet?: SweepPromptSet): SweepCell[] {
  if (config.promptSet !== undefined) {
    if (config.family !== undefined)
      throw new InputError("a sweep runs a probe family or a prompt set, not both", { field: "promptSet" });
    if (!promptSet || promptSet.set.name !== config.promptSet)
      throw new InputError(`prompt set ${config.promptSet} was not loaded for this sweep`, {
        field: "promptSet",
      });
    return promptSetCells(config, promptSet);
  }
  const cells: SweepCell[] = [];
  for (const model of config.models) {
    for (const setting of config.settings) {
      for (const { variants, probe } of combinations(config)) {
        for (const userFormat of config.userFormats ?? [defaultUserFormat(config.run.judge)]) {
          cells.push({
            index: cells.length,
            model,
            setting,
            variants,
            userFormat,
            ...(probe ? { probe } : {}),
          });
        }
      }
    }
  }
  return cells;
}

function cellConfig(config: SweepConfig, cell: SweepCell): RunConfigInput {
  const run = { ...config.run } as Record<string, unknown>;
  if (!config.run.dataset && cell.setting === "animal-welfare")
    run.dataset = { source: "builtin:animal-welfare" };
  return {
    ...run,
    model: cell.model,
    setting: cell.setting,
    variants: cell.variants,
    userFormat: cell.userFormat,
    label: config.run.label ?? config.name,
    ...(cell.paraphrase ? { paraphrase: cell.paraphrase } : {}),
  } as RunConfigInput;
}

/**
 * The prompt set a sweep config names, with its accepted paraphrases, read from the store; undefined
 * for sweeps without one. A set with no accepted paraphrase is an input error.
 */
export async function loadSweepPromptSet(
  config: SweepConfig,
  promptSets: PrepareOptions["promptSets"],
): Promise<SweepPromptSet | undefined> {
  if (config.promptSet === undefined) return undefined;
  if (!promptSets)
    throw new InputError("a prompt-set sweep needs the store that holds the set", { field: "promptSet" });
  const set = await promptSets.getPromptSet(config.promptSet);
  if (!set)
    throw new InputError(`prompt set ${config.promptSet} not found (see aflab prompt-sets)`, {
      field: "promptSet",
    });
  const accepted = await promptSets.promptSetMembers(set.name, "accepted");
  const members = config.positions
    ? config.positions.map((position) => {
        const member = accepted.find((candidate) => candidate.position === position);
        if (!member)
          throw new InputError(`prompt set ${set.name} has no accepted paraphrase at position ${position}`, {
            field: "positions",
          });
        return member;
      })
    : accepted;
  if (members.length === 0)
    throw new InputError(`prompt set ${set.name} has no accepted paraphrase to run`, { field: "promptSet" });
  // The cells take the set's CoT choice; a run config that says otherwise is a contradiction.
  if (config.run.cot !== undefined && config.run.cot !== set.cot)
    throw new InputError(`prompt set ${set.name} paraphrases the ${set.cot ? "CoT" : "no-CoT"} prompt`, {
      field: "run.cot",
    });
  return { set, members };
}

/** A cell's run id is derived from the sweep id, so resuming a sweep finds every cell's run. */
export function cellRunId(sweepId: string, cell: SweepCell): string {
  return `${sweepId}-c${String(cell.index).padStart(3, "0")}`;
}

export interface SweepOptions {
  store: Store;
  createClient: ClientFactory;
  onEvent?: RunEventListener;
  onCell?: (cell: SweepCell, runId: string, phase: "start" | "end", outcome?: RunOutcome) => void;
  signal?: AbortSignal;
  datasetCacheDir?: string;
}

export interface SweepOutcome {
  sweepId: string;
  cells: { cell: SweepCell; runId: string; outcome: RunOutcome }[];
  status: "complete" | "interrupted";
}

/** A sweep whose every cell passed the checks a run makes before it writes anything. */
export interface PreparedSweep {
  config: SweepConfig;
  cells: { cell: SweepCell; prepared: PreparedRun }[];
}

/**
 * Validate every cell of a sweep the way its run will be validated (config, prompt and variants, dataset,
 * classifiers, clients and their keys) without writing anything. The schema alone cannot see an unknown
 * variant or a missing key, and a typo in the last cell must not surface after the first cells ran.
 * @example
 * await prepareSweep({ models: ["sim/opus-like"], variants: ["none", "cut-examples"] }, { createClient });
 */
export async function prepareSweep(
  input: SweepConfigInput | SweepConfig,
  options: PrepareOptions,
): Promise<PreparedSweep> {
  const config = parseOrThrow(sweepConfigSchema, input, "sweep config");
  const promptSet = await loadSweepPromptSet(config, options.promptSets);
  const cells = sweepCells(config, promptSet);
  for (const cell of cells)
    parseOrThrow(
      runConfigSchema,
      promptSet ? { ...cellConfig(config, cell), cot: promptSet.set.cot } : cellConfig(config, cell),
      `sweep cell ${cell.index + 1}`,
    );
  const prepared: PreparedSweep["cells"] = [];
  for (const cell of cells) {
    const cellInput = promptSet
      ? { ...cellConfig(config, cell), cot: promptSet.set.cot }
      : cellConfig(config, cell);
    prepared.push({ cell, prepared: await prepareRun(cellInput, options) });
  }
  return { config, cells: prepared };
}

/**
 * Run (or resume) every cell of a sweep in order. Clients are made once per model and role and shared by
 * all cells, so connection limits hold across the sweep and the response cache serves every cell. Every
 * cell is validated before the sweep is written or any cell runs.
 */
export async function runSweep(
  input: SweepConfigInput | { resume: string },
  options: SweepOptions,
): Promise<SweepOutcome> {
  const { store } = options;
  let sweepId: string;
  let storedConfig: unknown;
  if ("resume" in input) {
    const stored = await store.getSweep(input.resume);
    if (!stored) throw new InputError(`sweep ${input.resume} not found`, { field: "resume" });
    sweepId = stored.id;
    storedConfig = stored.config;
  } else {
    storedConfig = input;
    sweepId = `sweep-${newRunId()}`;
  }
  const shared = new Map<string, ReturnType<ClientFactory>>();
  const createClient: ClientFactory = (modelId, role, runConfig) => {
    const key = `${role}:${modelId}:${runConfig.baseUrl ?? ""}`;
    let client = shared.get(key);
    if (!client) {
      client = options.createClient(modelId, role, runConfig);
      shared.set(key, client);
    }
    return client;
  };
  const { cells } = await prepareSweep(
    parseOrThrow(sweepConfigSchema, storedConfig, "resume" in input ? "stored sweep config" : "sweep config"),
    { createClient, datasetCacheDir: options.datasetCacheDir, promptSets: store },
  );
  if (!("resume" in input)) {
    const positions = cells.flatMap(({ cell }) => (cell.paraphrase ? [cell.paraphrase.position] : []));
    const recorded = positions.length > 0 ? { ...input, positions: [...new Set(positions)] } : input;
    await store.createSweep({ id: sweepId, config: recorded, createdAt: new Date().toISOString() });
  }

  const results: SweepOutcome["cells"] = [];
  for (const { cell, prepared } of cells) {
    if (options.signal?.aborted) break;
    const runId = cellRunId(sweepId, cell);
    options.onCell?.(cell, runId, "start");
    const common = {
      store,
      createClient,
      onEvent: options.onEvent,
      signal: options.signal,
      datasetCacheDir: options.datasetCacheDir,
    };
    const outcome = (await store.getRun(runId))
      ? await resumeRun(runId, common)
      : await startPreparedRun(prepared, { ...common, runId, sweepId });
    results.push({ cell, runId, outcome });
    options.onCell?.(cell, runId, "end", outcome);
  }
  const complete =
    results.length === cells.length && results.every((result) => result.outcome.status === "complete");
  return { sweepId, cells: results, status: complete ? "complete" : "interrupted" };
}
