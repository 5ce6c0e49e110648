import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@aflab/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPromptFile } from "./load-prompt-file.js";

let directory = "";

async function write(relative: string, text: string): Promise<string> {
  const path = join(directory, relative);
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, text, "utf8");
  return path;
}

async function rejection(promise: Promise<unknown>): Promise<InputError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof InputError) return error;
    throw error;
  }
  throw new Error("expected an InputError");
}

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), "prompt-file-"));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe("loadPromptFile", () => {
  it("returns a plain file unchanged, byte for byte", async () => {
    const text = '\uFEFFLine one with {"json": true}\r\nLine two\n';
    const path = await write("plain.txt", text);
    expect(await loadPromptFile(path)).toBe(text.slice(1));
  });

  it("fills placeholders and resolves includes relative to the including file", async () => {
    await write("parts/examples.txt", "Examples for {company}: {% include 'deeper/one.txt' %}");
    await write("parts/deeper/one.txt", "one");
    const path = await write("system.txt", "Made by {company}.\n{% include 'parts/examples.txt' %}\nEnd.");
    expect(await loadPromptFile(path, { company: "Acme" })).toBe(
      "Made by Acme.\nExamples for Acme: one\nEnd.",
    );
  });

  it("treats single braces as literal in Jinja files", async () => {
    await write("jinja/inner.txt", "inner {tier}");
    const path = await write("jinja/main.jinja2", "{literal} {{ tier }} {% include 'inner.txt' %}");
    expect(await loadPromptFile(path, { tier: "free" })).toBe("{literal} free inner free");
  });

  it("names the file and the placeholder when a value is missing", async () => {
    const path = await write("missing.txt", "Hello\n{who}");
    const error = await rejection(loadPromptFile(path));
    expect(error.message).toContain(`{who} (${path} line 2)`);
  });

  it("names a missing prompt file", async () => {
    const path = join(directory, "absent.txt");
    const error = await rejection(loadPromptFile(path));
    expect(error.message).toBe(`prompt file: file not found: ${path}`);
  });

  it("names a missing include and where it was included", async () => {
    const path = await write("broken.txt", "a\nb {% include 'nope.txt' %}");
    const error = await rejection(loadPromptFile(path));
    expect(error.message).toBe(
      `${path} line 2: cannot include 'nope.txt': file not found: ${join(directory, "nope.txt")}`,
    );
  });

  it("detects a cycle through files", async () => {
    const first = await write("cycle/a.txt", "{% include 'b.txt' %}");
    const second = await write("cycle/b.txt", "{% include 'a.txt' %}");
    const error = await rejection(loadPromptFile(first));
    expect(error.message).toContain(`include cycle: ${first} → ${second} → ${first}`);
  });

  it("validates the variables", async () => {
    const path = await write("vars.txt", "{a}");
    const error = await rejection(loadPromptFile(path, { a: 1 } as unknown as Record<string, string>));
    expect(error.message).toContain("invalid prompt variables: a: expected a string value");
  });
});
