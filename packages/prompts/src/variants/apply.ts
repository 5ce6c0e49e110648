import { InputError, type Setting, type Tier } from "@aflab/core";
import type { PromptSection } from "../settings/sections.js";
import { defaultTierTagStyle, type TierTagStyle, tiersOfStyle } from "../user-turn.js";
import { variantCatalog } from "./catalog.js";
import type { VariantContext, VariantDefinition, VariantInfo } from "./types.js";

const byName = new Map(variantCatalog.map((variant) => [variant.name, variant]));

/** The names of every known variant, in catalogue order. */
export function variantNames(): string[] {
  return variantCatalog.map((variant) => variant.name);
}

/** Every variant: name, one-line description, what it touches and the settings it applies to. */
export function listVariants(): VariantInfo[] {
  return variantCatalog.map((variant) => ({
    name: variant.name,
    description: variant.description,
    touches: [...variant.touches],
    settings: [...variant.settings],
  }));
}

/** The definition of a variant, or an InputError listing the known names. */
export function getVariant(name: string): VariantDefinition {
  const variant = byName.get(name);
  if (!variant) {
    throw new InputError(`unknown variant "${name}"; known variants: ${variantNames().join(", ")}`, {
      field: "variants",
    });
  }
  return variant;
}

/** Whether two touch targets overlap: equal, one a section and the other a clause in it, or either `*`. */
function overlaps(first: string, second: string): boolean {
  if (first === "*" || second === "*") return true;
  return first === second || first.startsWith(`${second}/`) || second.startsWith(`${first}/`);
}

/** The first target two variants both touch, if any. */
export function sharedTarget(first: VariantDefinition, second: VariantDefinition): string | undefined {
  for (const one of first.touches) {
    for (const other of second.touches) {
      if (overlaps(one, other)) return one === "*" ? other : one;
    }
  }
  return undefined;
}

/** Refuse duplicate or conflicting variants with an InputError naming both. */
export function checkComposable(variants: readonly VariantDefinition[]): void {
  for (let index = 0; index < variants.length; index++) {
    for (let later = index + 1; later < variants.length; later++) {
      const first = variants[index];
      const second = variants[later];
      if (!first || !second) continue;
      if (first.name === second.name) {
        throw new InputError(`variant ${first.name} is listed twice`, { field: "variants" });
      }
      const target = sharedTarget(first, second);
      if (target !== undefined) {
        throw new InputError(
          `variants ${first.name} and ${second.name} conflict: both change ${target === "*" ? "the whole prompt" : target}`,
          { field: "variants" },
        );
      }
    }
  }
}

/** The result of applying variants to a setting's section list. */
export interface AppliedVariants {
  sections: PromptSection[];
  tierTagStyle: TierTagStyle;
  tiers: Tier[];
  company: string;
}

/**
 * Apply named variants, in order, to a section list. Unknown names, duplicates, conflicting pairs,
 * variants that do not apply to the setting and variants whose target is missing from the prompt are
 * all refused with an InputError.
 *
 * @example
 * applyVariants(sections, ["cut-examples", "company-openai"], { setting: "helpful-only", cot: true, company: "Anthropic" })
 */
export function applyVariants(
  sections: readonly PromptSection[],
  names: readonly string[],
  context: VariantContext,
): AppliedVariants {
  // Applied in catalogue order, whatever order they were named in: the same set of variants is the same
  // prompt (and the same prompt hash), as the paper's table treats it.
  const named = names.map((name) => getVariant(name));
  // Conflicts are reported in the order the user named the variants.
  checkComposable(named);
  const catalogue = variantNames();
  const variants = [...named].sort(
    (left, right) => catalogue.indexOf(left.name) - catalogue.indexOf(right.name),
  );
  let current: PromptSection[] = [...sections];
  let tierTagStyle: TierTagStyle = defaultTierTagStyle;
  let company = context.company;
  let tiers: Tier[] | undefined;
  for (const variant of variants) {
    if (!variant.settings.includes(context.setting)) {
      throw new InputError(
        `variant ${variant.name} does not apply to the ${context.setting} setting (it applies to ${variant.settings.join(", ")})`,
        { field: "variants" },
      );
    }
    try {
      current = variant.patch(current, { ...context, company });
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new InputError(
        `variant ${variant.name} cannot be applied to the ${describePrompt(context.setting, context.cot)} prompt: ${detail}`,
        { field: "variants", cause: error },
      );
    }
    if (variant.tierTagStyle) tierTagStyle = variant.tierTagStyle;
    if (variant.tiers) tiers = [...variant.tiers];
    if (variant.company) company = variant.company;
  }
  return { sections: current, tierTagStyle, tiers: tiers ?? tiersOfStyle(tierTagStyle), company };
}

function describePrompt(setting: Setting, cot: boolean): string {
  return `${setting} ${cot ? "CoT" : "no-CoT"}`;
}
