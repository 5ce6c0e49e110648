import type { Tier } from "@aflab/core";
import { sampleKey } from "./keys.js";

export interface PlannedItem {
  id: string;
  query: string;
}

export interface SamplePlan {
  key: string;
  index: number;
  itemId: string;
  query: string;
  tier: Tier;
  epoch: number;
}

export interface ExpandOptions {
  items: readonly PlannedItem[];
  tiers: readonly Tier[];
  epochs: number;
  variants: readonly string[];
  model: string;
  promptHash: string;
}

/**
 * Expand a run into its samples, epoch-major then item then tier, so a run stopped halfway has
 * asked the same queries in every tier (what paired comparisons need).
 */
export function* expandSamples(options: ExpandOptions): Generator<SamplePlan> {
  let index = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    for (const item of options.items) {
      for (const tier of options.tiers) {
        yield {
          key: sampleKey({
            itemId: item.id,
            tier,
            variants: options.variants,
            epoch,
            model: options.model,
            promptHash: options.promptHash,
          }),
          index: index++,
          itemId: item.id,
          query: item.query,
          tier,
          epoch,
        };
      }
    }
  }
}

export function expandedCount(options: Pick<ExpandOptions, "items" | "tiers" | "epochs">): number {
  return options.items.length * options.tiers.length * options.epochs;
}
