import { readFileSync } from "node:fs";
import { InputError } from "@aflab/core";

const keyPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Index of the quote closing a value that opens with `quote` (a double quote skips `\` escapes); -1 if none. */
function closingQuoteAt(value: string, quote: string): number {
  for (let position = 1; position < value.length; position++) {
    const character = value[position];
    if (quote === '"' && character === "\\") position++;
    else if (character === quote) return position;
  }
  return -1;
}

/**
 * Parses the text of a `.env` file: `KEY=value` lines, optional `export ` prefix, `#` comments, single
 * quotes (literal) and double quotes (with `\n`, `\t`, `\"`, `\\` escapes), each optionally followed by a
 * `# comment`. A malformed line is an
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
    const closing = quote === '"' || quote === "'" ? closingQuoteAt(value, quote) : -1;
    if (closing > 0) {
      // After the closing quote only a comment may follow: `KEY="value"  # note` is common, and keeping
      // the quotes would hand the provider a key that is rejected for no visible reason.
      const rest = value.slice(closing + 1).trim();
      if (rest !== "" && !rest.startsWith("#"))
        throw new InputError(`${source} line ${index + 1}: expected KEY=value with a name like API_KEY`, {
          field: `${source}:${index + 1}`,
        });
      value = value.slice(1, closing);
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
