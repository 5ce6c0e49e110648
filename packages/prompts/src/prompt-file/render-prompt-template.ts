import { InputError } from "@aflab/core";

/** A template pulled in by `{% include %}`: a stable name (cycle detection, messages) and its text. */
export interface IncludedTemplate {
  name: string;
  text: string;
  /** Whether single-brace `{name}` placeholders are filled in this template (default: true). */
  placeholders?: boolean;
}

export interface RenderPromptTemplateOptions {
  /** Values for `{name}` placeholders and `{{ name }}` variables. Inserted verbatim, never re-scanned. */
  variables?: Readonly<Record<string, string>>;
  /**
   * Reads the template named by `{% include 'path' %}`; `from` is the name of the including template.
   * Without it, an include is an InputError.
   */
  include?: (path: string, from: string) => IncludedTemplate;
  /** How messages name this template (a file path, say). Default `prompt template`. */
  name?: string;
  /** Whether single-brace `{name}` placeholders are filled (default true). Jinja files turn this off. */
  placeholders?: boolean;
}

const constructPattern = new RegExp(
  [
    String.raw`\{%(?<rawOpenTrim>-?)\s*raw\s*(?<rawBodyStartTrim>-?)%\}(?<rawBody>[\s\S]*?)\{%(?<rawBodyEndTrim>-?)\s*endraw\s*(?<rawCloseTrim>-?)%\}`,
    String.raw`\{#(?<commentOpenTrim>-?)[\s\S]*?(?<commentCloseTrim>-?)#\}`,
    String.raw`\{%(?<statementOpenTrim>-?)(?<statement>[^\n]*?)(?<statementCloseTrim>-?)%\}`,
    String.raw`\{\{(?<expressionOpenTrim>-?)(?<expression>[^\n]*?)(?<expressionCloseTrim>-?)\}\}`,
    String.raw`\{(?<placeholder>[A-Za-z_][A-Za-z0-9_]*)\}`,
  ].join("|"),
  "g",
);

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/;
const includePattern = /^include\s+(['"])(?<path>[^'"]+)\1$/;

interface Missing {
  display: string;
  where: string;
}

function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let index = 0; index < offset; index++) if (text.charCodeAt(index) === 10) line++;
  return line;
}

interface RenderContext {
  variables: Readonly<Record<string, string>>;
  include: RenderPromptTemplateOptions["include"];
  missing: Missing[];
}

function renderOne(
  text: string,
  name: string,
  placeholders: boolean,
  stack: readonly string[],
  context: RenderContext,
): string {
  let output = "";
  let cursor = 0;
  // `-` whitespace control: `{%-` trims what precedes the construct, `-%}` what follows it.
  let trimNext = false;
  const appendLiteral = (literal: string): void => {
    output += trimNext ? literal.trimStart() : literal;
    trimNext = false;
  };
  for (const match of text.matchAll(constructPattern)) {
    const groups = match.groups ?? {};
    const where = `${name} line ${lineAt(text, match.index)}`;
    const literalBefore = text.slice(cursor, match.index);
    cursor = match.index + match[0].length;

    if (groups.placeholder !== undefined) {
      if (!placeholders) {
        appendLiteral(literalBefore + match[0]);
        continue;
      }
      appendLiteral(literalBefore);
      const value = context.variables[groups.placeholder];
      if (value === undefined) context.missing.push({ display: `{${groups.placeholder}}`, where });
      else output += value;
      continue;
    }

    const openTrim =
      groups.rawOpenTrim ?? groups.commentOpenTrim ?? groups.statementOpenTrim ?? groups.expressionOpenTrim;
    const closeTrim =
      groups.rawCloseTrim ??
      groups.commentCloseTrim ??
      groups.statementCloseTrim ??
      groups.expressionCloseTrim;
    appendLiteral(literalBefore);
    if (openTrim === "-") output = output.trimEnd();

    if (groups.rawBody !== undefined) {
      let body = groups.rawBody;
      if (groups.rawBodyStartTrim === "-") body = body.trimStart();
      if (groups.rawBodyEndTrim === "-") body = body.trimEnd();
      output += body;
    } else if (groups.expression !== undefined) {
      const variable = groups.expression.trim();
      if (!identifierPattern.test(variable)) {
        throw new InputError(
          `${where}: unsupported template expression ${match[0]}: only {{ name }} variables are supported ` +
            "(write {% raw %}…{% endraw %} around text that should stay literal)",
          { field: "promptFile" },
        );
      }
      const value = context.variables[variable];
      if (value === undefined) context.missing.push({ display: `{{ ${variable} }}`, where });
      else output += value;
    } else if (groups.statement !== undefined) {
      output += renderStatement(groups.statement.trim(), match[0], where, name, stack, context);
    }
    // Comments render as nothing.
    trimNext = closeTrim === "-";
  }
  appendLiteral(text.slice(cursor));
  return output;
}

function renderStatement(
  statement: string,
  written: string,
  where: string,
  name: string,
  stack: readonly string[],
  context: RenderContext,
): string {
  const include = includePattern.exec(statement);
  if (include === null) {
    const reason =
      statement === "raw"
        ? "{% raw %} has no matching {% endraw %}"
        : statement === "endraw"
          ? "{% endraw %} has no matching {% raw %}"
          : `unsupported template statement ${written}: only {% include 'path' %} and {% raw %} are supported`;
    throw new InputError(`${where}: ${reason}`, { field: "promptFile" });
  }
  const path = include.groups?.path ?? "";
  if (context.include === undefined) {
    throw new InputError(
      `${where}: cannot include '${path}': no include reader was given (load the file instead)`,
      {
        field: "promptFile",
      },
    );
  }
  let included: IncludedTemplate;
  try {
    included = context.include(path, name);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InputError(`${where}: cannot include '${path}': ${reason}`, {
      field: "promptFile",
      cause: error,
    });
  }
  if (stack.includes(included.name)) {
    const cycle = [...stack.slice(stack.indexOf(included.name)), included.name].join(" → ");
    throw new InputError(`${where}: include cycle: ${cycle}`, { field: "promptFile" });
  }
  return renderOne(
    included.text,
    included.name,
    included.placeholders ?? true,
    [...stack, included.name],
    context,
  );
}

/**
 * Render a prompt template: plain text with `{name}` placeholders plus the Jinja subset the published
 * replication uses. Pure: files are read only through `options.include`.
 *
 * Syntax and escaping:
 * - `{name}` (an identifier in single braces) is replaced by the variable's value. Braces around anything
 *   else (`{"a": 1}`, `{ x }`, `{}`) are literal text, so JSON and code stay as written.
 * - `{{ name }}` is replaced by the variable's value; any other expression (`{{ a.b }}`, filters) is an
 *   InputError rather than silently wrong text.
 * - `{% include 'path' %}` renders the included template in place, with the same variables; cycles are
 *   an InputError that shows the chain.
 * - `{% raw %}…{% endraw %}` keeps its content literally: the way to write a literal `{name}` or `{{`.
 * - `{# … #}` is a comment and renders as nothing; `-` inside a tag (`{%-`, `-%}`) trims whitespace on that
 *   side, as in Jinja.
 * - A `{{` or `{%` not closed on the same line is literal text. Values are inserted verbatim, never
 *   re-scanned, and the template's own text (trailing newline included) is kept byte for byte.
 * Every variable without a value is reported in one InputError naming the template and line.
 *
 * @example renderPromptTemplate("Hello {name}", { variables: { name: "Ada" } }) // "Hello Ada"
 */
export function renderPromptTemplate(text: string, options: RenderPromptTemplateOptions = {}): string {
  const name = options.name ?? "prompt template";
  const context: RenderContext = {
    variables: options.variables ?? {},
    include: options.include,
    missing: [],
  };
  const rendered = renderOne(text, name, options.placeholders ?? true, [name], context);
  if (context.missing.length > 0) {
    const list = context.missing.map((entry) => `${entry.display} (${entry.where})`).join(", ");
    const first = context.missing[0];
    throw new InputError(
      `no value for ${list}: pass each as a variable, or wrap text that should stay literal in {% raw %}…{% endraw %}`,
      { field: first === undefined ? undefined : `variables.${first.display.replace(/[{} ]/g, "")}` },
    );
  }
  return rendered;
}
