import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { type ParseDatasetOptions, parseDataset } from "./parse-dataset.js";

const base = { sourceName: "set", source: "set.x", displayName: "set.x" };

function errorOf(text: string, options: Omit<ParseDatasetOptions, keyof typeof base>): string {
  try {
    parseDataset(text, { ...base, ...options });
  } catch (error) {
    if (error instanceof InputError) return error.message;
    throw error;
  }
  throw new Error("expected an InputError");
}

describe("parseDataset", () => {
  it("numbers CSV rows and their starting lines across quoted newlines and blank lines", () => {
    const text = 'goal,target\r\n"two\r\nlines",t1\r\n\r\nplain,t2\r\n';
    expect(parseDataset(text, { ...base, format: "csv" })).toEqual([
      { id: "set:1", query: "two\nlines", line: 2, source: "set.x" },
      { id: "set:2", query: "plain", line: 5, source: "set.x" },
    ]);
  });

  it("picks the first default column that exists, case-insensitively", () => {
    const items = parseDataset("id,Question,prompt\n1,q1,p1\n", { ...base, format: "csv" });
    expect(items.map((item) => item.query)).toEqual(["p1"]);
  });

  it("lists every bad row, grouped by reason", () => {
    const text = "goal,target\nok,a\n  ,b\nok,c\n\nonly\n,e\n";
    expect(errorOf(text, { format: "csv", column: "target" })).toBe(
      'set.x: bad rows: line 6: missing "target"',
    );
    expect(errorOf(text, { format: "csv" })).toBe('set.x: bad rows: lines 3, 7: empty "goal"');
  });

  it("names the columns that exist when the query column is missing", () => {
    expect(errorOf("a,b\n1,2\n", { format: "csv" })).toBe(
      "set.x: no query column; expected one of goal, prompt, query, question, text, instruction (or pass a column); columns are: a, b",
    );
    expect(errorOf("a,b\n1,2\n", { format: "csv", column: "goal" })).toBe(
      'set.x: column "goal" not found; columns are: a, b',
    );
  });

  it("reports a structurally broken CSV", () => {
    expect(errorOf('goal\n"never closed\n', { format: "csv" })).toMatch(
      /^set\.x: invalid CSV: Quote Not Closed/,
    );
  });

  it("rejects empty datasets in every format", () => {
    for (const [text, format] of [
      ["", "csv"],
      ["goal,target\n", "csv"],
      ["\n\n", "jsonl"],
      ["[]", "json"],
    ] as const) {
      expect(errorOf(text, { format })).toBe("set.x: the dataset has no rows");
    }
  });

  it("reads JSONL objects and bare strings, skipping blank lines", () => {
    const text = '{"prompt":"first","x":1}\n\n"second"\r\n{"prompt":"third"}\n';
    expect(parseDataset(text, { ...base, format: "jsonl" })).toEqual([
      { id: "set:1", query: "first", line: 1, source: "set.x" },
      { id: "set:2", query: "second", line: 3, source: "set.x" },
      { id: "set:3", query: "third", line: 4, source: "set.x" },
    ]);
  });

  it("reports every invalid JSONL line", () => {
    expect(errorOf('{"text":"a"}\n{oops\n"ok"\n[1,\n', { format: "jsonl" })).toBe(
      "set.x: invalid JSON on lines 2, 4",
    );
  });

  it("reports every bad JSONL row with its line", () => {
    const text = '{"text":"a"}\n{"other":"b"}\n{"text":5}\n42\n{"text":" "}\n{"nope":1}\n';
    expect(errorOf(text, { format: "jsonl" })).toBe(
      'set.x: bad rows: lines 2, 6: missing "text"; line 3: "text" is not a string; line 4: expected a string or an object; line 5: empty "text"',
    );
  });

  it("reads JSON arrays and names bad items by position", () => {
    expect(parseDataset('["a", {"query": "b"}]', { ...base, format: "json" })).toEqual([
      { id: "set:1", query: "a", source: "set.x" },
      { id: "set:2", query: "b", source: "set.x" },
    ]);
    expect(errorOf('[{"query":"a"}, {"query":""}, null]', { format: "json" })).toBe(
      'set.x: bad rows: item 2: empty "query"; item 3: expected a string or an object',
    );
    expect(errorOf('{"query":"a"}', { format: "json" })).toBe(
      "set.x: expected a JSON array of strings or objects",
    );
    expect(errorOf("[1,", { format: "json" })).toMatch(/^set\.x: invalid JSON: /);
  });
});
