import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { type IncludedTemplate, renderPromptTemplate } from "./render-prompt-template.js";

function errorOf(action: () => unknown): InputError {
  try {
    action();
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError");
}

describe("renderPromptTemplate", () => {
  it("fills {name} placeholders and {{ name }} variables", () => {
    const text = "You are made by {company}.\nToday is {{ date }} and {{date}}.";
    expect(renderPromptTemplate(text, { variables: { company: "Acme", date: "2025-01-05" } })).toBe(
      "You are made by Acme.\nToday is 2025-01-05 and 2025-01-05.",
    );
  });

  it("leaves braces that are not {identifier} alone", () => {
    const text = 'Reply as JSON: {"answer": 1} or { spaced } or {} or {1x} or {a-b} or {{ unterminated';
    expect(renderPromptTemplate(text)).toBe(text);
  });

  it("inserts values verbatim without re-scanning them", () => {
    expect(renderPromptTemplate("{a}", { variables: { a: "{b} {{ b }}", b: "no" } })).toBe("{b} {{ b }}");
  });

  it("keeps {% raw %} blocks literally and drops comments", () => {
    const text = "{% raw %}{name} and {{ name }}{% endraw %}{# a note #}!";
    expect(renderPromptTemplate(text)).toBe("{name} and {{ name }}!");
  });

  it("applies Jinja whitespace control", () => {
    const text = "a   \n{#- trimmed both sides -#}\n   b {{- x -}}   c";
    expect(renderPromptTemplate(text, { variables: { x: "X" } })).toBe("abXc");
  });

  it("can turn single-brace placeholders off (Jinja semantics)", () => {
    expect(renderPromptTemplate("{kept} {{ v }}", { variables: { v: "1" }, placeholders: false })).toBe(
      "{kept} 1",
    );
  });

  it("reports every missing value with its template and line", () => {
    const error = errorOf(() => renderPromptTemplate("{first}\n\n{{ second }}", { name: "system.txt" }));
    expect(error.message).toContain("{first} (system.txt line 1)");
    expect(error.message).toContain("{{ second }} (system.txt line 3)");
    expect(error.field).toBe("variables.first");
  });

  it("rejects expressions and statements outside the subset", () => {
    expect(errorOf(() => renderPromptTemplate("x\n{{ user.name }}", { name: "p" })).message).toMatch(
      /^p line 2: unsupported template expression \{\{ user\.name \}\}/,
    );
    expect(errorOf(() => renderPromptTemplate("{% if a %}", { name: "p" })).message).toContain(
      "unsupported template statement {% if a %}",
    );
    expect(errorOf(() => renderPromptTemplate("{% raw %} never closed")).message).toContain(
      "{% raw %} has no matching {% endraw %}",
    );
  });

  it("renders includes recursively with the same variables", () => {
    const files: Record<string, string> = {
      main: "start {% include 'part' %} end",
      part: '[{who} {%- include "leaf" -%} ]',
      leaf: "  ({{ who }})  ",
    };
    const include = (path: string): IncludedTemplate => ({ name: path, text: files[path] ?? "" });
    expect(renderPromptTemplate(files.main ?? "", { name: "main", include, variables: { who: "W" } })).toBe(
      // As in Jinja, `-` trims the including template's text around the tag, not the included text.
      "start [W  (W)  ] end",
    );
  });

  it("detects include cycles and shows the chain", () => {
    const files: Record<string, string> = { a: "{% include 'b' %}", b: "x {% include 'a' %}" };
    const include = (path: string): IncludedTemplate => ({ name: path, text: files[path] ?? "" });
    const error = errorOf(() => renderPromptTemplate(files.a ?? "", { name: "a", include }));
    expect(error.message).toBe("b line 1: include cycle: a → b → a");
  });

  it("wraps include reader failures and refuses includes without a reader", () => {
    const include = (): IncludedTemplate => {
      throw new Error("file not found: /nowhere/x.txt");
    };
    expect(errorOf(() => renderPromptTemplate("{% include 'x.txt' %}", { name: "m", include })).message).toBe(
      "m line 1: cannot include 'x.txt': file not found: /nowhere/x.txt",
    );
    expect(errorOf(() => renderPromptTemplate("{% include 'x.txt' %}")).message).toContain(
      "no include reader",
    );
  });
});
