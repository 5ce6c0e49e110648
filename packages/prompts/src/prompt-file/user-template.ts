import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { InputError, parseOrThrow, type Tier, tierSchema } from "@aflab/core";
import { z } from "zod";
import {
  createIncludeReader,
  describeReadError,
  promptRoots,
  stripByteOrderMark,
  usesPlaceholders,
} from "./include-reader.js";
import { renderPromptTemplate } from "./render-prompt-template.js";

/**
 * What a user template's tier field is filled with, per tier. The default is the replication's lowercase
 * flag; the paper wrote `True`/`False` (pass those to reproduce it).
 */
export const defaultTierValues: Readonly<Partial<Record<Tier, string>>> = { free: "true", paid: "false" };

export interface LoadUserTemplateOptions {
  /** Where includes resolve, as for a prompt file (default: the template's folder and its repository root). */
  root?: string;
  /** Text for the `is_free_tier_user` field per tier; the tiers named here are the tiers the template has. */
  tierValues?: Readonly<Partial<Record<Tier, string>>>;
  /** Values for any other fields of the template (the run's prompt variables). */
  variables?: Readonly<Record<string, string>>;
}

/** A user-turn template, read once and rendered for each sample. */
export interface UserTemplate {
  path: string;
  /** The tiers the template can be asked in (those with a tier value). */
  tiers: Tier[];
  /**
   * A hash of what the template writes in every tier, its includes and tier values included; part of the
   * prompt hash and so of every sample key. It does not depend on where the file is.
   */
  hash: string;
  render(query: string, tier: Tier): string;
}

const optionsSchema = z.object({
  tierValues: z.partialRecord(tierSchema, z.string("expected the text for the tier field")).optional(),
  variables: z.record(z.string(), z.string("expected a string value")).optional(),
});

// Stands in for the query while the template is checked and hashed; no real query contains it.
const queryProbe = "\u0000user_input\u0000";

/**
 * Load a user-turn template: a file whose `{user_input}` / `{{ user_input }}` field takes the query and whose
 * `{is_free_tier_user}` / `{{ is_free_tier_user }}` field takes the tier's value, so a replication's user
 * turn is reproduced byte for byte from its own file. Syntax, includes and their confinement are those of
 * a prompt file. The template is rendered once per tier when it is loaded, so a missing field, an include
 * outside the root or a template that never uses the query fails here, before anything runs.
 * @example
 * const template = await loadUserTemplate("prompts/user.jinja2", { tierValues: { free: "True", paid: "False" } });
 * template.render("Name three birds.", "free");
 */
export async function loadUserTemplate(
  path: string,
  options: LoadUserTemplateOptions = {},
): Promise<UserTemplate> {
  const checked = parseOrThrow(optionsSchema, options, "user template options");
  const resolved = resolve(path);
  let text: string;
  try {
    text = stripByteOrderMark(await readFile(resolved, "utf8"));
  } catch (error) {
    throw new InputError(`user template: ${describeReadError(error, resolved)}`, {
      field: "userTemplate",
      cause: error,
    });
  }
  const include = createIncludeReader(promptRoots(resolved, options.root));
  const tierValues = checked.tierValues ?? defaultTierValues;
  const tiers = tierSchema.options.filter((tier) => tierValues[tier] !== undefined);
  if (tiers.length === 0) {
    throw new InputError("user template: expected a value for at least one tier", { field: "tierValues" });
  }
  const render = (query: string, tier: Tier): string => {
    const value = tierValues[tier];
    if (value === undefined) {
      throw new InputError(
        `tier ${tier} has no value for the user template's tier field; expected one of: ${tiers.join(", ")}`,
        { field: "tier" },
      );
    }
    return renderPromptTemplate(text, {
      variables: { ...(checked.variables ?? {}), is_free_tier_user: value, user_input: query },
      include,
      name: resolved,
      placeholders: usesPlaceholders(resolved),
    });
  };
  const probes = tiers.map((tier) => render(queryProbe, tier));
  if (!probes.every((probe) => probe.includes(queryProbe))) {
    throw new InputError(
      `user template ${resolved}: no {user_input} or {{ user_input }} field, so the query would never reach the model`,
      { field: "userTemplate" },
    );
  }
  const hash = createHash("sha256")
    .update(JSON.stringify(tiers.map((tier, index) => [tier, probes[index]])))
    .digest("hex")
    .slice(0, 16);
  return { path: resolved, tiers, hash, render };
}
