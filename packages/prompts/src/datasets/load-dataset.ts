import { createHash, randomBytes } from "node:crypto";
import { constants, type Stats } from "node:fs";
import { mkdir, open, readFile, rename, rm, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { basename, extname, isAbsolute, join, resolve } from "node:path";
import { AflabError, type DatasetSpec, datasetSpecSchema, InputError, parseOrThrow } from "@aflab/core";
import { antiLabScenarios } from "../queries/anti-lab.js";
import { animalWelfareQueries, harmfulQueries } from "../queries/index.js";
import { type DatasetFormat, type DatasetItem, parseDataset } from "./parse-dataset.js";

/** Where AdvBench's harmful behaviours (columns `goal,target`, 520 rows) are published. */
export const ADVBENCH_URL =
  "https://raw.githubusercontent.com/llm-attacks/llm-attacks/main/data/advbench/harmful_behaviors.csv";

export interface LoadDatasetOptions {
  /** Where downloads are cached. Default: {@link defaultCacheDir}. */
  cacheDir?: string;
  /** Download AdvBench from here instead of {@link ADVBENCH_URL} (a mirror, or a test server). */
  advbenchUrl?: string;
  /** The fetch used for downloads. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Longest wait for a dataset file to open and read (default 60 s): a stuck file system is an error. */
  timeoutMs?: number;
  /** Cancels the load (Ctrl-C). */
  signal?: AbortSignal;
}

const defaultReadTimeoutMs = 60_000;

const builtins: Record<string, { name: string; queries: () => readonly string[] }> = {
  "builtin:harmful": { name: "harmful", queries: () => harmfulQueries },
  "builtin:animal-welfare": { name: "animal-welfare", queries: () => animalWelfareQueries },
  "builtin:anti-ai-lab": { name: "anti-ai-lab", queries: () => antiLabScenarios },
};

const formats: Record<string, DatasetFormat> = { ".csv": "csv", ".jsonl": "jsonl", ".json": "json" };

const acceptedSources = `${Object.keys(builtins).join(", ")}, advbench, or a path to a .csv, .jsonl or .json file`;

/** `$XDG_CACHE_HOME/aflab` when that variable holds an absolute path, else `~/.cache/aflab`. */
export function defaultCacheDir(): string {
  const xdg = process.env.XDG_CACHE_HOME;
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, "aflab");
  return join(homedir(), ".cache", "aflab");
}

function builtinItems(source: string, name: string, queries: readonly string[]): DatasetItem[] {
  if (queries.length === 0) {
    throw new InputError(`dataset ${source} is empty`, { field: "dataset.source" });
  }
  const blank = queries.flatMap((query, index) => (query.trim() === "" ? [index + 1] : []));
  if (blank.length > 0) {
    throw new InputError(
      `dataset ${source}: bad rows: item${blank.length === 1 ? "" : "s"} ${blank.join(", ")}: empty query`,
      {
        field: "dataset.source",
      },
    );
  }
  return queries.map((query, index) => ({ id: `${name}:${index + 1}`, query: query.trim(), source }));
}

/** Write through a temporary file and a rename, so a crash never leaves a half-written cache entry. */
async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temporary, text, "utf8");
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function readIfPresent(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

async function loadAdvbench(source: string, column: string | undefined, options: LoadDatasetOptions) {
  const url = options.advbenchUrl ?? ADVBENCH_URL;
  const directory = join(options.cacheDir ?? defaultCacheDir(), "datasets");
  // A mirror gets its own cache entry, so switching URLs never serves another copy's rows.
  const fileName =
    url === ADVBENCH_URL
      ? "advbench-harmful-behaviors.csv"
      : `advbench-${createHash("sha256").update(url).digest("hex").slice(0, 12)}.csv`;
  const cachePath = join(directory, fileName);
  const parseOptions = { format: "csv" as const, sourceName: "advbench", source, column };

  const cached = await readIfPresent(cachePath);
  if (cached !== undefined) return parseDataset(cached, { ...parseOptions, displayName: cachePath });

  const hint = "download it yourself and pass --dataset PATH to the .csv file";
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`could not download AdvBench from ${url}: ${reason}; ${hint}`, {
      field: "dataset.source",
      cause: error,
    });
  }
  if (!response.ok) {
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    throw new InputError(`could not download AdvBench from ${url}: HTTP ${status}; ${hint}`, {
      field: "dataset.source",
    });
  }
  const text = await response.text();
  // Parse before caching: a proxy's error page must not become the cached dataset.
  const items = parseDataset(text, { ...parseOptions, displayName: `AdvBench download from ${url}` });
  await mkdir(directory, { recursive: true });
  await writeAtomically(cachePath, text);
  return items;
}

/** Settles like `work`, or rejects once `timeoutMs` passed or `signal` aborted, whichever comes first. */
function withinDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  describeTimeout: () => string,
): Promise<T> {
  return new Promise<T>((resolvePromise, reject) => {
    const cancelled = () => reject(new AflabError("aborted", "cancelled while reading the dataset"));
    const timer = setTimeout(
      () => reject(new InputError(describeTimeout(), { field: "dataset.source" })),
      timeoutMs,
    );
    // Settling is handled first, so a read that fails after the deadline or the cancellation is no
    // unhandled rejection.
    work.then(resolvePromise, reject).finally(() => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", cancelled);
    });
    if (signal?.aborted) return cancelled();
    signal?.addEventListener("abort", cancelled, { once: true });
  });
}

/** What a path that is not a regular file is, for the message. */
function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return "is a directory";
  if (stats.isFIFO()) return "is a named pipe (FIFO), not a regular file";
  if (stats.isSocket()) return "is a socket, not a regular file";
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return "is a device, not a regular file";
  return "is not a regular file";
}

/**
 * Reads a dataset file. It is opened without blocking (a named pipe with no writer would otherwise hold
 * a thread of the process forever, and with it the process's exit), must be a regular file, and is read
 * within a deadline and under the caller's cancellation.
 */
async function readDatasetFile(path: string, options: LoadDatasetOptions): Promise<string> {
  const timeoutMs = options.timeoutMs ?? defaultReadTimeoutMs;
  const read = async () => {
    const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      const stats = await handle.stat();
      if (!stats.isFile())
        throw new InputError(`dataset ${path}: ${fileKind(stats)}`, { field: "dataset.source" });
      return await handle.readFile({
        encoding: "utf8",
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } finally {
      await handle.close();
    }
  };
  return withinDeadline(
    read(),
    timeoutMs,
    options.signal,
    () => `dataset ${path}: could not be read within ${timeoutMs / 1000} s (a stuck network file system?)`,
  );
}

async function loadFile(
  source: string,
  column: string | undefined,
  options: LoadDatasetOptions,
): Promise<DatasetItem[]> {
  const extension = extname(source).toLowerCase();
  const format = formats[extension];
  if (format === undefined) {
    const reason =
      extension === ""
        ? `unknown dataset "${source}"`
        : `unsupported dataset file extension "${extension}" (${source})`;
    throw new InputError(`${reason}: expected ${acceptedSources}`, { field: "dataset.source" });
  }
  const path = resolve(source);
  let text: string;
  try {
    text = await readDatasetFile(path, options);
  } catch (error) {
    if (error instanceof AflabError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory" : String(error);
    throw new InputError(`dataset ${path}: ${reason}`, { field: "dataset.source", cause: error });
  }
  const sourceName = basename(source, extname(source));
  return parseDataset(text, { format, sourceName, source, column, displayName: path });
}

/**
 * Load a dataset of queries.
 *
 * Sources: `builtin:harmful` and `builtin:animal-welfare` (the project's query sets); `advbench`
 * (downloaded once from {@link ADVBENCH_URL} into `<cacheDir>/datasets`, written atomically; later loads
 * read the cache); or a file path: `.csv` (a header row; the query column is `spec.column`, else the first
 * of goal, prompt, query, question, text, instruction), `.jsonl` (one JSON object or string per line; same
 * field rule) or `.json` (an array of strings or objects). `spec.limit` keeps the first N items; a limit
 * beyond the dataset's size is an InputError.
 *
 * Ids are `<source-name>:<row>` with 1-based rows (`advbench:1`, `harmful:3`, `my_queries:12` for
 * `my_queries.csv`), so they stay the same whenever the same data is loaded again. Every problem is an
 * InputError with one line: a missing file, an unknown extension, an empty dataset, a missing column
 * (listing the columns), every bad row at once, invalid JSON lines, or a failed download.
 *
 * @example const items = await loadDataset({ source: "advbench", limit: 100 });
 */
export async function loadDataset(
  spec: DatasetSpec,
  options: LoadDatasetOptions = {},
): Promise<DatasetItem[]> {
  const checked = parseOrThrow(datasetSpecSchema, spec, "dataset");
  const builtin = builtins[checked.source];
  let items: DatasetItem[];
  if (builtin !== undefined) {
    items = builtinItems(checked.source, builtin.name, builtin.queries());
  } else if (checked.source.startsWith("builtin:")) {
    throw new InputError(`unknown dataset "${checked.source}": expected ${acceptedSources}`, {
      field: "dataset.source",
    });
  } else if (checked.source === "advbench") {
    items = await loadAdvbench(checked.source, checked.column, options);
  } else {
    items = await loadFile(checked.source, checked.column, options);
  }
  if (checked.limit === undefined) return items;
  // A limit past the end would quietly run fewer items than asked for: say so instead.
  if (checked.limit > items.length) {
    throw new InputError(
      `dataset ${checked.source} has ${items.length} items: limit ${checked.limit} is beyond its size (use ${items.length} or less)`,
      { field: "dataset.limit" },
    );
  }
  return items.slice(0, checked.limit);
}
