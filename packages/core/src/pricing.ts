import { z } from "zod";
import { modelCatalog } from "./models.js";
import type { Usage } from "./usage.js";

/** USD per million tokens, by token kind; `null` when the price is not known (never guessed as 0). */
export const modelPriceSchema = z.strictObject({
  input: z.number().nonnegative().nullable(),
  output: z.number().nonnegative().nullable(),
  cacheWrite: z.number().nonnegative().nullable(),
  cacheRead: z.number().nonnegative().nullable(),
});
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** Keys are model names without the provider (`claude-opus-4-5`) or a prefix ending in `*`. */
export const pricingTableSchema = z.record(z.string().min(1), modelPriceSchema);
export type PricingTable = z.infer<typeof pricingTableSchema>;

/**
 * List prices in USD per million tokens from the model catalog (`models.ts`: every entry with the day it
 * was checked and its source), keyed by model id and alias. Prices change: override any entry with a
 * pricing file (`aflab run --pricing prices.json`). Anthropic bills a 5-minute cache write at 1.25× input
 * and a cache read at 0.1× input (less for some newer models); OpenAI bills no separate cache write.
 */
export const defaultPricing: PricingTable = Object.fromEntries(
  modelCatalog.flatMap((entry) => [entry.id, ...entry.aliases].map((name) => [name, { ...entry.price }])),
);

/** The price of a model: an exact key first, then the longest matching `prefix*` key. */
export function priceFor(modelName: string, table: PricingTable = defaultPricing): ModelPrice | undefined {
  const exact = table[modelName];
  if (exact) return exact;
  let best: { length: number; price: ModelPrice } | undefined;
  for (const [key, price] of Object.entries(table)) {
    if (!key.endsWith("*")) continue;
    const prefix = key.slice(0, -1);
    if (modelName.startsWith(prefix) && (!best || prefix.length > best.length))
      best = { length: prefix.length, price };
  }
  return best?.price;
}

/**
 * Cost in USD of `usage` at `price`; `inputTokens` excludes cached tokens (the providers report them
 * apart). Null when tokens of a kind whose price is unknown were used: a partial sum would understate it.
 */
export function costOf(usage: Usage, price: ModelPrice): number | null {
  const parts: [number, number | null][] = [
    [usage.inputTokens, price.input],
    [usage.outputTokens, price.output],
    [usage.cacheWriteTokens, price.cacheWrite],
    [usage.cacheReadTokens, price.cacheRead],
  ];
  if (parts.some(([tokens, rate]) => tokens > 0 && rate === null)) return null;
  return parts.reduce((sum, [tokens, rate]) => sum + tokens * (rate ?? 0), 0) / 1_000_000;
}
