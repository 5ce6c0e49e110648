import { readFileSync } from "node:fs";
import { InputError } from "@aflab/core";

const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Parses the text of a `.env` file: `KEY=value` lines, optional `export ` prefix, `#` comments, single
 * quotes (literal) and double quotes (with `\n`, `\t`, `\"`, `\\` escapes). A malformed line is an
 * InputError naming the line.
 */
export function parseDotEnv(text: string, source = ".env"): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((rawLine, index) => {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) return;
    const body = line.startsWith("export ") ? line.slice("export ".length).trimStart() : line;
    const equals = body.indexOf("=");
    const key = equals < 0 ? body : body.slice(0, equals).trim();
    if (equals < 0 || !keyPattern.test(key))
      throw new InputError(`${source} line ${index + 1}: expected KEY=value with a name like API_KEY`, {
        field: `${source}:${index + 1}`,
      });
    let value = body.slice(equals + 1).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"')
        value = value.replace(/\\([nrt"\\])/g, (_, escaped: string) =>
          escaped === "n" ? "\n" : escaped === "r" ? "\r" : escaped === "t" ? "\t" : escaped,
        );
    } else {
      // An unquoted value ends at a comment that follows whitespace.
      const comment = value.search(/\s#/);
      if (comment >= 0) value = value.slice(0, comment).trimEnd();
    }
    values[key] = value;
  });
  return values;
}

/**
 * Loads a `.env` file into `env` (default `process.env`), filling only variables that are unset, so the
 * real environment always wins. A missing file is fine. Returns the names it set (never the values).
 *
 * @example loadDotEnv(); // reads ./.env
 */
export function loadDotEnv(path = ".env", env: Record<string, string | undefined> = process.env): string[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const filled: string[] = [];
  for (const [key, value] of Object.entries(parseDotEnv(text, path))) {
    if (env[key] !== undefined && env[key] !== "") continue;
    env[key] = value;
    filled.push(key);
  }
  return filled;
}
