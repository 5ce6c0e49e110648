/**
 * Model ids, aliases and list prices of the hosted models people run these experiments on, each with the
 * day it was checked and where. Prices are USD per million tokens; `null` means the price could not be
 * confirmed (or is not one number, like a price that depends on the prompt's length): an unknown price
 * stays unknown, so a cost that needs it is reported as unknown, never as $0.
 *
 * Prices change: check the source before budgeting, and override any entry with `--pricing FILE`.
 */

/** USD per million tokens by token kind; `null` when not known. */
export interface ListPrice {
  input: number | null;
  output: number | null;
  /** Anthropic: a 5-minute cache write. OpenAI bills no separate write: the input price. */
  cacheWrite: number | null;
  /** A prompt-cache hit. */
  cacheRead: number | null;
}

/** The end of a model's life on the provider's own API. */
export interface Retirement {
  status: "deprecated" | "retired";
  /** The day requests start (or started) to fail; null when the provider's date could not be confirmed. */
  on: string | null;
  /** A model that exists today to use instead, as a full model id. */
  replacement: string;
  /** Where the status was read. */
  source: string;
}

export interface ModelEntry {
  provider: "anthropic" | "openai";
  /** The API model id. */
  id: string;
  /** Other ids the API takes for the same model (dated snapshots, undated aliases). */
  aliases: string[];
  price: ListPrice;
  /** Batch API price: half the standard input and output price at both providers. */
  batch: { input: number | null; output: number | null };
  /** The day the price and the status were checked. */
  checked: string;
  /** Where: the provider's pricing (or model) page. */
  source: string;
  retirement?: Retirement;
  /** What could not be confirmed, or what a number leaves out. */
  note?: string;
}

const anthropicPricing = "https://platform.claude.com/docs/en/about-claude/pricing";
const anthropicDeprecations = "https://platform.claude.com/docs/en/about-claude/model-deprecations";
const openaiPricing = "https://developers.openai.com/api/docs/pricing";
const checked = "2026-12-03";

function half(price: number | null): number | null {
  return price === null ? null : price / 2;
}

function model(
  provider: ModelEntry["provider"],
  id: string,
  aliases: string[],
  [input, output, cacheWrite, cacheRead]: [number | null, number | null, number | null, number | null],
  extra: { retirement?: Retirement; note?: string } = {},
): ModelEntry {
  return {
    provider,
    id,
    aliases,
    price: { input, output, cacheWrite, cacheRead },
    batch: { input: half(input), output: half(output) },
    checked,
    source: provider === "anthropic" ? anthropicPricing : openaiPricing,
    ...(extra.retirement ? { retirement: extra.retirement } : {}),
    ...(extra.note ? { note: extra.note } : {}),
  };
}

const opusSuccessor = "anthropic/claude-opus-4-8";
const sonnetSuccessor = "anthropic/claude-sonnet-4-6";
const haikuSuccessor = "anthropic/claude-haiku-4-5";
const retired = (on: string | null, replacement: string): { retirement: Retirement } => ({
  retirement: { status: "retired", on, replacement, source: anthropicDeprecations },
});

export const modelCatalog: readonly ModelEntry[] = [
  // Anthropic, current and legacy (still served).
  model("anthropic", "claude-opus-5-5", [], [4, 20, 5, 0.2]),
  model("anthropic", "claude-opus-5", [], [5, 25, 6.25, 0.5]),
  model("anthropic", "claude-opus-4-8", [], [5, 25, 6.25, 0.5]),
  model("anthropic", "claude-opus-4-7", [], [5, 25, 6.25, 0.5]),
  model("anthropic", "claude-opus-4-6", [], [5, 25, 6.25, 0.5]),
  model("anthropic", "claude-opus-4-5", ["claude-opus-4-5-20251101"], [5, 25, 6.25, 0.5]),
  model("anthropic", "claude-sonnet-5-5", [], [2, 10, 2.5, null], {
    note: "cache-read price not confirmed: the model page says $0.20, later reports say it was cut to $0.10",
  }),
  model("anthropic", "claude-sonnet-5", [], [2, 10, 2.5, 0.2]),
  model("anthropic", "claude-sonnet-4-6", [], [3, 15, 3.75, 0.3]),
  model("anthropic", "claude-sonnet-4-5", ["claude-sonnet-4-5-20250929"], [3, 15, 3.75, 0.3]),
  model("anthropic", "claude-haiku-5-5", [], [null, null, null, null], {
    note: "priced by prompt length (from $0.10 input / $0.50 output per million up to 100k prompt tokens, more above): not one number",
  }),
  model("anthropic", "claude-haiku-4-5", ["claude-haiku-4-5-20251001"], [1, 5, 1.25, 0.1]),
  // Anthropic, retired from the API: the price they had, and what to use now.
  model(
    "anthropic",
    "claude-opus-4-1",
    ["claude-opus-4-1-20250805"],
    [15, 75, 18.75, 1.5],
    retired("2026-08-05", opusSuccessor),
  ),
  model(
    "anthropic",
    "claude-opus-4-0",
    ["claude-opus-4-20250514"],
    [15, 75, 18.75, 1.5],
    retired("2026-06-15", opusSuccessor),
  ),
  model(
    "anthropic",
    "claude-sonnet-4-0",
    ["claude-sonnet-4-20250514"],
    [3, 15, 3.75, 0.3],
    retired("2026-06-15", sonnetSuccessor),
  ),
  model(
    "anthropic",
    "claude-3-7-sonnet-20250219",
    ["claude-3-7-sonnet-latest"],
    [3, 15, 3.75, 0.3],
    retired("2026-02-19", sonnetSuccessor),
  ),
  model(
    "anthropic",
    "claude-3-5-sonnet-20241022",
    ["claude-3-5-sonnet-20240620", "claude-3-5-sonnet-latest"],
    [3, 15, 3.75, 0.3],
    retired("2025-10-22", sonnetSuccessor),
  ),
  model("anthropic", "claude-3-5-haiku-20241022", ["claude-3-5-haiku-latest"], [0.8, 4, 1, 0.08], {
    ...retired(null, haikuSuccessor),
    note: "retirement date not confirmed",
  }),
  model("anthropic", "claude-3-haiku-20240307", [], [0.25, 1.25, 0.3, 0.03], {
    ...retired(null, haikuSuccessor),
    note: "retired in April 2026; sources disagree on the 19th or the 20th",
  }),
  model(
    "anthropic",
    "claude-3-opus-20240229",
    ["claude-3-opus-latest"],
    [15, 75, 18.75, 1.5],
    retired("2026-01-05", "anthropic/claude-opus-5-5"),
  ),
  // OpenAI. Cached input is a tenth of the input price for the GPT-5 family, a quarter for GPT-4.1 and o3/o4-mini.
  model("openai", "gpt-5.5", [], [5, 30, 5, 0.5]),
  model("openai", "gpt-5.4", [], [2.5, 15, 2.5, 0.25]),
  model("openai", "gpt-5.4-mini", ["gpt-5.4-mini-2026-03-17"], [0.75, 4.5, 0.75, 0.075]),
  model("openai", "gpt-5.4-nano", ["gpt-5.4-nano-2026-03-17"], [0.2, 1.25, 0.2, 0.02]),
  model("openai", "gpt-5.2", ["gpt-5.2-2025-12-11"], [1.75, 14, 1.75, null], {
    note: "cached-input price not confirmed",
  }),
  model("openai", "gpt-5.1", ["gpt-5.1-2025-11-13"], [1.25, 10, 1.25, 0.125]),
  model("openai", "gpt-5", ["gpt-5-2025-08-07"], [1.25, 10, 1.25, 0.125]),
  model("openai", "gpt-5-mini", ["gpt-5-mini-2025-08-07"], [0.25, 2, 0.25, 0.025]),
  model("openai", "gpt-5-nano", ["gpt-5-nano-2025-08-07"], [0.05, 0.4, 0.05, 0.005]),
  model("openai", "gpt-4.1", ["gpt-4.1-2025-04-14"], [2, 8, 2, 0.5]),
  model("openai", "gpt-4.1-mini", ["gpt-4.1-mini-2025-04-14"], [0.4, 1.6, 0.4, 0.1]),
  model("openai", "gpt-4.1-nano", ["gpt-4.1-nano-2025-04-14"], [0.1, 0.4, 0.1, 0.025]),
  model("openai", "o3", ["o3-2025-04-16"], [2, 8, 2, 0.5]),
  model("openai", "o4-mini", ["o4-mini-2025-04-16"], [1.1, 4.4, 1.1, 0.275]),
  model("openai", "o3-mini", ["o3-mini-2025-01-31"], [1.1, 4.4, 1.1, 0.55]),
  model("openai", "gpt-4o", ["gpt-4o-2024-08-06", "gpt-4o-2024-11-20"], [2.5, 10, 2.5, 1.25]),
  model("openai", "gpt-4o-mini", ["gpt-4o-mini-2024-07-18"], [0.15, 0.6, 0.15, 0.075]),
];

/**
 * The catalog entry of a model, by its API id or an alias; a provider prefix (`anthropic/...`) is
 * ignored. Undefined for models the catalog does not list.
 *
 * @example findModel("anthropic/claude-3-opus-20240229")?.retirement?.replacement // "anthropic/claude-opus-5-5"
 */
export function findModel(modelId: string): ModelEntry | undefined {
  const slash = modelId.indexOf("/");
  const provider = slash < 0 ? undefined : modelId.slice(0, slash);
  const name = slash < 0 ? modelId : modelId.slice(slash + 1);
  return modelCatalog.find(
    (entry) =>
      (provider === undefined || provider === entry.provider) &&
      (entry.id === name || entry.aliases.includes(name)),
  );
}

/**
 * A warning line for a model that the provider has retired or deprecated, naming one to use today;
 * undefined for models that are served (or that the catalog does not know).
 */
export function retirementWarning(modelId: string): string | undefined {
  const retirement = findModel(modelId)?.retirement;
  if (!retirement) return undefined;
  const when =
    retirement.status === "retired"
      ? `was retired${retirement.on ? ` on ${retirement.on}` : ""} (requests to it fail on the provider's API)`
      : `is deprecated${retirement.on ? ` and retires on ${retirement.on}` : ""}`;
  return `${modelId} ${when}: use a current model such as ${retirement.replacement}`;
}
