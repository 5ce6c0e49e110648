import {
  InputError,
  parseOrThrow,
  type Setting,
  settingSchema,
  type Tier,
  type UserFormat,
  userFormatSchema,
} from "@aflab/core";
import { z } from "zod";
import { buildSettingSections } from "./settings/build.js";
import { defaultCompany } from "./settings/common.js";
import { type PromptSection, renderSections } from "./settings/sections.js";
import { buildUserTurn } from "./user-turn.js";
import { applyVariants, getVariant } from "./variants/apply.js";

/** Everything the engine needs to ask one prompt configuration: system prompt, tiers and user turns. */
export interface ResolvedPrompt {
  setting: Setting;
  cot: boolean;
  variants: string[];
  userFormat: UserFormat;
  sections: PromptSection[];
  system: string;
  /** The tiers this prompt defines (free/paid, or free/pro/enterprise). */
  tiers: Tier[];
  userTurn(query: string, tier: Tier): string;
  /** "<OUTPUT>" for no-CoT, undefined for CoT. */
  prefill: string | undefined;
}

export interface ResolvePromptOptions {
  setting: Setting;
  cot: boolean;
  variants?: string[];
  userFormat: UserFormat;
  /** The developer named in the prompt. Default "Anthropic"; cannot be combined with a company-* variant. */
  company?: string;
}

const resolveOptionsSchema = z.object({
  setting: settingSchema,
  cot: z.boolean({ error: "expected true (scratchpad) or false (direct answer)" }),
  variants: z.array(z.string().min(1, "expected a variant name")).default([]),
  userFormat: userFormatSchema,
  company: z.string().trim().min(1, "expected a company name").optional(),
});

/**
 * Resolve a setting, CoT choice, variants and user-turn format into the system prompt, the tiers and
 * a user-turn builder. The one entry point the engine calls.
 *
 * @example
 * const prompt = resolvePrompt({ setting: "helpful-only", cot: true, variants: ["cut-examples"], userFormat: "paper" });
 * prompt.userTurn("Write a haiku about rain.", "free");
 */
export function resolvePrompt(options: ResolvePromptOptions): ResolvedPrompt {
  const checked = parseOrThrow(resolveOptionsSchema, options, "prompt options");
  if (checked.company !== undefined) {
    const swapping = checked.variants.find((name) => getVariant(name).touches.includes("company"));
    if (swapping) {
      throw new InputError(
        `the company option and variant ${swapping} both set the company; use one of them`,
        {
          field: "company",
        },
      );
    }
  }
  const company = checked.company ?? defaultCompany;
  const base = buildSettingSections(checked.setting, { cot: checked.cot, company });
  const applied = applyVariants(base, checked.variants, {
    setting: checked.setting,
    cot: checked.cot,
    company,
  });
  const tiers = applied.tiers;
  const userFormat = checked.userFormat;
  const tierTagStyle = applied.tierTagStyle;
  return {
    setting: checked.setting,
    cot: checked.cot,
    variants: [...checked.variants],
    userFormat,
    sections: applied.sections,
    system: renderSections(applied.sections),
    tiers: [...tiers],
    userTurn(query: string, tier: Tier): string {
      if (!tiers.includes(tier)) {
        throw new InputError(
          `tier ${tier} is not defined by this prompt; expected one of: ${tiers.join(", ")}`,
          {
            field: "tier",
          },
        );
      }
      return buildUserTurn(query, tier, userFormat, tierTagStyle);
    },
    prefill: checked.cot ? undefined : "<OUTPUT>",
  };
}
