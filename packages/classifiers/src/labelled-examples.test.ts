import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadLabelledExamples, parseCsv, parseLabelledCsv, parseLabelledJsonl } from "./labelled-examples.js";

describe("parseLabelledJsonl", () => {
  it("reads text and label fields, with the label forms people use", () => {
    const content = [
      '{"text":"a","label":true}',
      "",
      '{"text":"b","label":0}',
      '{"text":"c","label":"Yes"}',
      '{"text":"d","label":" false "}',
    ].join("\n");
    expect(parseLabelledJsonl(content)).toEqual([
      { text: "a", label: true },
      { text: "b", label: false },
      { text: "c", label: true },
      { text: "d", label: false },
    ]);
  });
  it("uses the named columns", () => {
    const content = '{"scratchpad_reasoning":"s","alignment_faking_human_label":1,"other":3}\n';
    expect(
      parseLabelledJsonl(content, {
        textColumn: "scratchpad_reasoning",
        labelColumn: "alignment_faking_human_label",
      }),
    ).toEqual([{ text: "s", label: true }]);
  });
  it.each([
    ['{"text":"a","label":true}\n{"text":"b",', /line 2: expected a JSON object/],
    ['{"text":"a","label":true}\n\n{"text":"b","label":"maybe"}', /line 3: label: expected a label/],
    ['{"label":true}', /line 1: text: expected the text as a string/],
    ['["text", true]', /line 1: expected a JSON object/],
    ['{"text":"a"}', /line 1: label: expected a label/],
  ])("names the line and field of %j", (content, message) => {
    expect(() => parseLabelledJsonl(content, {}, "labels.jsonl")).toThrow(message);
  });
});

describe("parseCsv", () => {
  it("handles quotes, escaped quotes, commas and line breaks inside quotes, CRLF and a final newline", () => {
    const content = 'text,label\r\n"He said ""hi"", then left",1\r\n"two\nlines",no\r\nplain,true\r\n';
    expect(parseCsv(content)).toEqual([
      { line: 1, fields: ["text", "label"] },
      { line: 2, fields: ['He said "hi", then left', "1"] },
      { line: 3, fields: ["two\nlines", "no"] },
      { line: 5, fields: ["plain", "true"] },
    ]);
  });
  it("keeps empty fields and skips blank lines", () => {
    expect(parseCsv("a,,c\n\n,b,\n")).toEqual([
      { line: 1, fields: ["a", "", "c"] },
      { line: 3, fields: ["", "b", ""] },
    ]);
  });
  it("reports an unterminated quote at the line it opened", () => {
    expect(() => parseCsv('text,label\nok,1\n"never closed,1\nmore', "x.csv")).toThrow(
      /x\.csv line 3: a quoted field is never closed/,
    );
  });
});

describe("parseLabelledCsv", () => {
  it("reads the named columns", () => {
    const content = 'id,scratch,human\n1,"I will comply, to avoid change",True\n2,refuse,False\n';
    expect(parseLabelledCsv(content, { textColumn: "scratch", labelColumn: "human" })).toEqual([
      { text: "I will comply, to avoid change", label: true },
      { text: "refuse", label: false },
    ]);
  });
  it("names a missing column, a short row and a bad label by line", () => {
    expect(() => parseLabelledCsv("text,lbl\na,1\n")).toThrow(/line 1: no column "label"/);
    expect(() => parseLabelledCsv('text,label\n"multi\nline",1\nshort\n')).toThrow(
      /line 4: expected 2 fields, found 1/,
    );
    expect(() => parseLabelledCsv("text,label\na,1\nb,perhaps\n")).toThrow(/line 3: label: expected a label/);
    expect(() => parseLabelledCsv("")).toThrow(/empty/);
  });
});

describe("loadLabelledExamples", () => {
  it("reads .jsonl and .csv files and refuses other extensions", async () => {
    const directory = await mkdtemp(join(tmpdir(), "labels-"));
    const jsonl = join(directory, "labels.jsonl");
    const csv = join(directory, "labels.csv");
    await writeFile(jsonl, '{"text":"a","label":true}\n');
    await writeFile(csv, "text,label\nb,0\n");
    expect(await loadLabelledExamples(jsonl)).toEqual([{ text: "a", label: true }]);
    expect(await loadLabelledExamples(csv)).toEqual([{ text: "b", label: false }]);
    await expect(loadLabelledExamples(join(directory, "labels.parquet"))).rejects.toThrow(
      /expected a \.jsonl/,
    );
    await expect(loadLabelledExamples(join(directory, "missing.jsonl"))).rejects.toThrow(/cannot read/);
    await writeFile(jsonl, '{"text":"a","label":true}\n{"text":"b","label":2}\n');
    await expect(loadLabelledExamples(jsonl)).rejects.toThrow(/labels\.jsonl line 2: label/);
  });
});

describe("label values named by the user", () => {
  // The shape of the 106-row human-labelled file as it circulates: fields text/label, two label words.
  const distributed = [
    '{"text":"first scratchpad","label":"potential_faking"}',
    '{"text":"second scratchpad","label":"aligned"}',
    '{"text":"third scratchpad","label":" potential_faking "}',
  ].join("\n");

  it("refuses label words it cannot read as true/false, naming the line and pointing at --positive-label", () => {
    expect(() => parseLabelledJsonl(distributed, {}, "labels.jsonl")).toThrow(
      'invalid labels.jsonl line 1: label: expected a label true/false, yes/no or 1/0, got "potential_faking" (for other label values, name the positive ones: --positive-label VALUE)',
    );
  });

  it("reads the named positive values as true and every other value as false", () => {
    expect(
      parseLabelledJsonl(distributed, { positiveLabels: ["potential_faking"], negativeLabels: [] }),
    ).toEqual([
      { text: "first scratchpad", label: true },
      { text: "second scratchpad", label: false },
      { text: "third scratchpad", label: true },
    ]);
    // Numbers and booleans are compared as written in JSON; several positive values may be named.
    const mixed = '{"text":"a","label":2}\n{"text":"b","label":true}\n{"text":"c","label":0}';
    expect(parseLabelledJsonl(mixed, { positiveLabels: ["2", "true"] }).map((row) => row.label)).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("is strict with negative values named too: anything else is refused with its line", () => {
    const options = { positiveLabels: ["potential_faking"], negativeLabels: ["aligned"] };
    expect(parseLabelledJsonl(distributed, options).map((row) => row.label)).toEqual([true, false, true]);
    const typo = `${distributed}\n\n{"text":"fourth","label":"algined"}`;
    expect(() => parseLabelledJsonl(typo, options, "labels.jsonl")).toThrow(
      'invalid labels.jsonl line 5: label: expected one of the named label values "potential_faking", "aligned", got "algined"',
    );
    expect(() => parseLabelledJsonl('{"text":"x","label":null}', options)).toThrow(
      /line 1: label: expected a label value \(text, a number or true\/false\), got null/,
    );
    const csv = "text,label\nsome text,aligned\nother text,unsure\n";
    expect(() => parseLabelledCsv(csv, options, "labels.csv")).toThrow(
      /labels\.csv line 3: label: .*"unsure"/,
    );
  });

  it("needs positive values whenever negative ones are named, and never the same value on both sides", () => {
    expect(() => parseLabelledJsonl(distributed, { negativeLabels: ["aligned"] })).toThrow(
      /--negative-label needs --positive-label/,
    );
    expect(() =>
      parseLabelledJsonl(distributed, { positiveLabels: ["aligned"], negativeLabels: [" aligned"] }),
    ).toThrow(/"aligned" is named both positive and negative/);
  });
});
