import { setMaxListeners } from "node:events";
import fs from "node:fs";
import path from "node:path";
import { loadDotEnv, loadProvidersConfig, type ProvidersConfig } from "@aflab/clients";
import {
  InputError,
  type PricingTable,
  parseOrThrow,
  pricingTableSchema,
  type ResponseCache,
} from "@aflab/core";
import { defaultDbPath, isPostgresUrl, openStore, parsePostgresUrl, type Store, storeAt } from "@aflab/store";
import YAML from "yaml";

/** Options every command that touches the store shares. */
export interface StoreOptions {
  db?: string;
}

export function resolveDbPath(options: StoreOptions): string {
  return options.db ?? defaultDbPath();
}

/** The store as the terminal may show it: a PostgreSQL URL without its password. */
export function displayDb(dbPath: string): string {
  return isPostgresUrl(dbPath) ? parsePostgresUrl(dbPath).display : dbPath;
}

/** Resuming reads a stored run or sweep: a store that does not exist yet is an input error, and is not created. */
export function requireExistingStore(dbPath: string): void {
  if (dbPath !== ":memory:" && !isPostgresUrl(dbPath) && !fs.existsSync(dbPath)) {
    throw new InputError(`no store at ${dbPath}: nothing to resume there (pass the --db the run used)`, {
      field: "db",
    });
  }
}

/**
 * Opens a store that the command only reads. A file that cannot be written (no write permission on it or
 * on its directory: an archive, a colleague's results) is opened read-only, so nothing tries to write
 * to it; otherwise the store opens as usual (an older schema is upgraded).
 */
export function openStoreForReading(dbPath: string): Store {
  // A server decides what its user may do; the permission bits below are a file's.
  if (isPostgresUrl(dbPath)) return storeAt(dbPath);
  return openStore(dbPath, { readOnly: dbPath !== ":memory:" && !writable(dbPath) });
}

function writable(file: string): boolean {
  for (const target of [file, path.dirname(path.resolve(file))]) {
    // The permission bits say what the owner meant even where the process could write anyway (as root).
    if (fs.existsSync(target) && (fs.statSync(target).mode & 0o222) === 0) return false;
    try {
      if (fs.existsSync(target)) fs.accessSync(target, fs.constants.W_OK);
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Opens the store on first use, so commands that fail validation never create or write it. A PostgreSQL
 * URL connects in the background; a server that cannot be reached rejects the first call.
 */
export function lazyStore(dbPath: string) {
  let store: Store | undefined;
  const get = () => {
    store ??= storeAt(dbPath);
    return store;
  };
  const responseCache: ResponseCache = {
    get: (key) => get().responseCache().get(key),
    set: (key, value) => get().responseCache().set(key, value),
  };
  return { get, responseCache, close: () => store?.close() };
}

/** Reads `.env` (without overriding the environment) and the providers/model registry files. */
export function loadEnvironment(options: { providers?: string }): ProvidersConfig {
  loadDotEnv();
  const files = [
    ".aflab/models.json",
    "aflab.providers.json",
    ...(options.providers ? [options.providers] : []),
  ];
  if (options.providers && !fs.existsSync(options.providers)) {
    throw new InputError(`--providers: file ${options.providers} does not exist`, { field: "providers" });
  }
  return loadProvidersConfig(files.filter((file) => fs.existsSync(file)));
}

/** A JSON or YAML file, parsed; errors name the file. */
export function readStructuredFile(file: string, flag: string): unknown {
  if (!fs.existsSync(file)) throw new InputError(`${flag}: file ${file} does not exist`, { field: flag });
  const text = fs.readFileSync(file, "utf8");
  // .json is read as JSON; anything else as YAML, which also accepts JSON, so the message names the
  // parser that actually ran.
  const asJson = path.extname(file).toLowerCase() === ".json";
  try {
    return asJson ? JSON.parse(text) : YAML.parse(text);
  } catch (error) {
    throw new InputError(
      // YAML's message continues with a code frame on further lines; the first line says where.
      `${flag}: ${file} is not valid ${asJson ? "JSON" : "YAML"}: ${(error as Error).message.split("\n")[0]}`,
      {
        field: flag,
      },
    );
  }
}

export function loadPricing(file: string | undefined): PricingTable | undefined {
  if (!file) return undefined;
  return parseOrThrow(pricingTableSchema, readStructuredFile(file, "--pricing"), `pricing file ${file}`);
}

/** Parses a numeric flag; zod later says what range is allowed. */
export function numberFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (value.trim() === "" || Number.isNaN(parsed))
    throw new InputError(`${flag}: expected a number, got "${value}"`, { field: flag });
  return parsed;
}

/**
 * Parses a flag that counts something: digits only (an optional sign aside). `1e12` or `2.5` are refused
 * with one line rather than read as numbers that make a run without end; zod later says what range is allowed.
 */
export function integerFlag(value: string | undefined, flag: string): number | undefined {
  const parsed = numberFlag(value, flag);
  if (parsed === undefined || value === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(value.trim()))
    throw new InputError(`${flag}: expected a whole number, got "${value}"`, { field: flag });
  return parsed;
}

export function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part.length > 0);
}

/**
 * The cancellation of a whole command. Every request in flight listens on its signal, so more than ten
 * listeners is normal here, not a leak: lift Node's warning limit for this one signal.
 */
export function commandController(): AbortController {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  return controller;
}
