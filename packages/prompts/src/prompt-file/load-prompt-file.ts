import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, extname, resolve } from "node:path";
import { InputError, parseOrThrow } from "@aflab/core";
import { z } from "zod";
import { type IncludedTemplate, renderPromptTemplate } from "./render-prompt-template.js";

const variablesSchema = z.record(z.string(), z.string("expected a string value"));

/** Jinja files follow Jinja's rules: single braces are literal there, only `{{ name }}` is a variable. */
const jinjaExtensions = new Set([".jinja", ".jinja2", ".j2"]);

function usesPlaceholders(path: string): boolean {
  return !jinjaExtensions.has(extname(path).toLowerCase());
}

function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

function describeReadError(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return `file not found: ${path}`;
  if (code === "EISDIR") return `expected a file but found a directory: ${path}`;
  if (code === "EACCES") return `permission denied: ${path}`;
  return `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`;
}

function readIncluded(path: string, from: string): IncludedTemplate {
  const resolved = resolve(dirname(from), path);
  let text: string;
  try {
    text = readFileSync(resolved, "utf8");
  } catch (error) {
    throw new Error(describeReadError(error, resolved));
  }
  return { name: resolved, text: stripByteOrderMark(text), placeholders: usesPlaceholders(resolved) };
}

/**
 * Load a prompt file (a published system prompt, say) and render it with `variables`, so a researcher can
 * run it unchanged. Syntax and escaping are those of {@link renderPromptTemplate}; includes resolve relative
 * to the including file. In `.jinja`, `.jinja2` and `.j2` files single braces are literal, as in Jinja;
 * other files also fill `{name}` placeholders.
 *
 * Throws an InputError naming the file for a missing file, a missing include, an include cycle, an
 * unsupported construct or a placeholder without a value.
 *
 * @example const system = await loadPromptFile("prompts/honly.txt", { company: "Anthropic" });
 */
export async function loadPromptFile(
  path: string,
  variables: Readonly<Record<string, string>> = {},
): Promise<string> {
  const checked = parseOrThrow(variablesSchema, variables, "prompt variables");
  const resolved = resolve(path);
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
    include: readIncluded,
    name: resolved,
    placeholders: usesPlaceholders(resolved),
  });
}
