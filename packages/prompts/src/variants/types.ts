import type { Setting, Tier } from "@aflab/core";
import type { PromptSection } from "../settings/sections.js";
import type { TierTagStyle } from "../user-turn.js";

/** What a patch may depend on besides the section list. */
export interface VariantContext {
  setting: Setting;
  cot: boolean;
  /** The company named in the prompt before this variant is applied. */
  company: string;
}

/**
 * A named prompt variant. `touches` lists what it changes: a section id (`examples`), a clause
 * (`training-facts/values-clause`), the user turn's tier tag (`user-turn/tier-tag`), the company name
 * wherever it appears (`company`), or the whole prompt (`*`). Two variants that touch the same thing,
 * or a section and one of its clauses, conflict.
 */
export interface VariantDefinition {
  name: string;
  description: string;
  touches: readonly string[];
  settings: readonly Setting[];
  /** Pure: returns a new section list and leaves its input untouched. */
  patch(sections: readonly PromptSection[], context: VariantContext): PromptSection[];
  /** How user turns show the tier under this variant (when it changes that). */
  tierTagStyle?: TierTagStyle;
  /** The company the prompt names after this variant (for variants that swap it). */
  company?: string;
  /** The tiers the prompt defines under this variant (when it changes them). */
  tiers?: readonly Tier[];
}

/** The public description of a variant. */
export interface VariantInfo {
  name: string;
  description: string;
  touches: string[];
  settings: Setting[];
}
