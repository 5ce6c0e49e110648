import { z } from "zod";
import type { Usage } from "./usage.js";

/** USD per million tokens, by token kind. */
export const modelPriceSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cacheWrite: z.number().nonnegative(),
  cacheRead: z.number().nonnegative(),
});
export type ModelPrice = z.infer<typeof modelPriceSchema>;

/** Keys are model names without the provider (`claude-3-opus-20240229`) or a prefix ending in `*`. */
export const pricingTableSchema = z.record(z.string().min(1), modelPriceSchema);
export type PricingTable = z.infer<typeof pricingTableSchema>;

/**
 * List prices in USD per million tokens, as the providers published them (checked 2025). Prices change:
 * override any entry with a pricing file (`aflab run --pricing prices.json`). Anthropic bills a 5-minute
 * cache write at 1.25× input and a cache read at 0.1× input; OpenAI bills cached input at 0.5× (0.25× for
 * the 4.1 family) and has no separate write price.
 */
export const defaultPricing: PricingTable = {
  "claude-3-opus*": { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  "claude-opus-4-1*": { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  "claude-opus-4-2*": { input: 15, output: 75, cacheWrite: 18.75, cacheRead: 1.5 },
  "claude-opus-4-5*": { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 },
  "claude-3-5-sonnet*": { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  "claude-3-7-sonnet*": { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  "claude-sonnet-4*": { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 },
  "claude-3-5-haiku*": { input: 0.8, output: 4, cacheWrite: 1, cacheRead: 0.08 },
  "claude-haiku-4-5*": { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 },
  "claude-3-haiku*": { input: 0.25, output: 1.25, cacheWrite: 0.3, cacheRead: 0.03 },
  "gpt-4o-mini*": { input: 0.15, output: 0.6, cacheWrite: 0.15, cacheRead: 0.075 },
  "gpt-4o*": { input: 2.5, output: 10, cacheWrite: 2.5, cacheRead: 1.25 },
  "gpt-4.1-mini*": { input: 0.4, output: 1.6, cacheWrite: 0.4, cacheRead: 0.1 },
  "gpt-4.1*": { input: 2, output: 8, cacheWrite: 2, cacheRead: 0.5 },
  "gpt-4-turbo*": { input: 10, output: 30, cacheWrite: 10, cacheRead: 10 },
};

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

/** Cost in USD of `usage` at `price`; `inputTokens` excludes cached tokens (the providers report them apart). */
export function costOf(usage: Usage, price: ModelPrice): number {
  return (
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheWriteTokens * price.cacheWrite +
      usage.cacheReadTokens * price.cacheRead) /
    1_000_000
  );
}
