import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { InputError, parseOrThrow } from "@aflab/core";
import { z } from "zod";
import {
  createIncludeReader,
  describeReadError,
  promptRoots,
  stripByteOrderMark,
  usesPlaceholders,
} from "./include-reader.js";
import { renderPromptTemplate } from "./render-prompt-template.js";

const variablesSchema = z.record(z.string(), z.string("expected a string value"));

export interface LoadPromptFileOptions {
  /**
   * The folder includes resolve in and may not leave. Default: the prompt file's folder, plus the root
   * of the git repository the file sits in, if any (see {@link promptRoots}).
   */
  root?: string;
}

/**
 * Load a prompt file (a published system prompt, say) and render it with `variables`, so a researcher can
 * run it unchanged. Syntax and escaping are those of {@link renderPromptTemplate}. An include is looked up
 * next to the including file, then in the prompt root(s) (`options.root`, by default the file's folder and
 * its git repository's root), and may never leave them. In `.jinja`, `.jinja2` and `.j2` files single
 * braces are literal, as in Jinja; other files also fill `{name}` placeholders.
 *
 * Throws an InputError naming the file for a missing file, a missing include, an include outside the
 * root, an include cycle, an unsupported construct or a placeholder without a value.
 *
 * @example const system = await loadPromptFile("prompts/honly.txt", { company: "Anthropic" });
 */
export async function loadPromptFile(
  path: string,
  variables: Readonly<Record<string, string>> = {},
  options: LoadPromptFileOptions = {},
): Promise<string> {
  const checked = parseOrThrow(variablesSchema, variables, "prompt variables");
  const resolved = resolve(path);
  const roots = promptRoots(resolved, options.root);
  let text: string;
  try {
    text = await readFile(resolved, "utf8");
  } catch (error) {
    throw new InputError(`prompt file: ${describeReadError(error, resolved)}`, {
      field: "promptFile",
      cause: error,
    });
  }
  return renderPromptTemplate(stripByteOrderMark(text), {
    variables: checked,
    include: createIncludeReader(roots),
    name: resolved,
    placeholders: usesPlaceholders(resolved),
  });
}
