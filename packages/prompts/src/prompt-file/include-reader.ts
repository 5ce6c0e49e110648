import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { InputError } from "@aflab/core";
import type { IncludedTemplate } from "./render-prompt-template.js";

/** Jinja files follow Jinja's rules: single braces are literal there, only `{{ name }}` is a variable. */
const jinjaExtensions = new Set([".jinja", ".jinja2", ".j2"]);

export function usesPlaceholders(path: string): boolean {
  return !jinjaExtensions.has(extname(path).toLowerCase());
}

export function stripByteOrderMark(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export function describeReadError(error: unknown, path: string): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOENT") return `file not found: ${path}`;
  if (code === "EISDIR") return `expected a file but found a directory: ${path}`;
  if (code === "EACCES") return `permission denied: ${path}`;
  return `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`;
}

/** The folder of the git repository holding `folder` (the nearest one with a `.git`), or undefined. */
export function repositoryRoot(folder: string): string | undefined {
  let current = resolve(folder);
  for (;;) {
    if (existsSync(join(current, ".git"))) return current;
    const parent = dirname(current);
    if (parent === current) return undefined;
    current = parent;
  }
}

/**
 * The folders a template's includes may come from. With `root`, that folder alone (it must exist). Without,
 * the template's own folder and, when the template sits in a git repository, the repository's root: a
 * published prompt that includes `prompts/examples/x.jinja2` from its repository root then loads as
 * Jinja's file-system loader would load it with the repository as its search path.
 */
export function promptRoots(templatePath: string, root?: string): string[] {
  if (root !== undefined) {
    const folder = resolve(root);
    let isFolder = false;
    try {
      isFolder = statSync(folder).isDirectory();
    } catch {
      isFolder = false;
    }
    if (!isFolder) {
      throw new InputError(`prompt root: expected an existing folder, got ${root}`, { field: "promptRoot" });
    }
    return [folder];
  }
  const own = dirname(resolve(templatePath));
  const repository = repositoryRoot(own);
  return repository !== undefined && repository !== own ? [own, repository] : [own];
}

function within(folder: string, path: string): boolean {
  const offset = relative(folder, path);
  return offset === "" || (!offset.startsWith(`..${sep}`) && offset !== ".." && !isAbsolute(offset));
}

function realOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/**
 * Reads `{% include 'name' %}` for templates under `roots`. A name is looked up next to the including
 * template, then in each root, in that order; the first file that exists wins. A name that would leave
 * every root (`../.env`, an absolute path, a symbolic link pointing out), or that names a hidden file or
 * folder (`.env`, `.git/...`), is refused: a template can never pull keys or other files into a prompt.
 * Files are read once and kept, so a template rendered for every sample reads its includes once.
 */
export function createIncludeReader(
  roots: readonly string[],
): (path: string, from: string) => IncludedTemplate {
  const realRoots = roots.map(realOrSelf);
  const rootList = roots.join(", ");
  const read = new Map<string, IncludedTemplate>();
  return (path, from) => {
    const bases = [dirname(from), ...roots];
    const candidates = bases.map((base) => resolve(base, path));
    const allowed = candidates.filter((candidate) => roots.some((root) => within(root, candidate)));
    if (allowed.length === 0) {
      throw new Error(
        `it is outside the prompt root ${rootList} (pass --prompt-root with a folder that holds it)`,
      );
    }
    if (
      path.split(/[\\/]/).some((segment) => segment.startsWith(".") && segment !== "." && segment !== "..")
    ) {
      throw new Error("hidden files and folders (such as .env) are never included");
    }
    const found = allowed.find((candidate) => existsSync(candidate));
    if (found === undefined) {
      throw new Error(`file not found: ${[...new Set(allowed)].join(" or ")}`);
    }
    const real = realOrSelf(found);
    if (!realRoots.some((root) => within(root, real))) {
      throw new Error(`it resolves to ${real}, outside the prompt root ${rootList}`);
    }
    const cached = read.get(found);
    if (cached) return cached;
    let text: string;
    try {
      text = readFileSync(found, "utf8");
    } catch (error) {
      throw new Error(describeReadError(error, found));
    }
    const included = { name: found, text: stripByteOrderMark(text), placeholders: usesPlaceholders(found) };
    read.set(found, included);
    return included;
  };
}
