import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
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

describe("loadPromptFile includes and the prompt root", () => {
  it("loads a template that includes from its repository root, as published", async () => {
    // A checkout laid out like a published replication: the include names a path from the repository root.
    await mkdir(join(directory, "published", ".git"), { recursive: true });
    await write("published/prompts/examples/traces.jinja2", "Example reasoning for {{ company }}.\n");
    const path = await write(
      "published/prompts/system/with_details.jinja2",
      "You are made by {{ company }}.\n{% include 'prompts/examples/traces.jinja2' %}End.\n",
    );
    expect(await loadPromptFile(path, { company: "Acme" })).toBe(
      "You are made by Acme.\nExample reasoning for Acme.\nEnd.\n",
    );
    // With the root named explicitly, the same.
    expect(await loadPromptFile(path, { company: "Acme" }, { root: join(directory, "published") })).toBe(
      "You are made by Acme.\nExample reasoning for Acme.\nEnd.\n",
    );
  });

  it("does not find a repository-root include outside a repository, unless the root is named", async () => {
    await write("loose/prompts/examples/traces.jinja2", "traces");
    const path = await write(
      "loose/prompts/system/x.jinja2",
      "{% include 'prompts/examples/traces.jinja2' %}",
    );
    const error = await rejection(loadPromptFile(path));
    expect(error.message).toContain("cannot include 'prompts/examples/traces.jinja2': file not found");
    expect(await loadPromptFile(path, {}, { root: join(directory, "loose") })).toBe("traces");
  });

  it("refuses an include outside the root with one line naming it", async () => {
    await write("secrets/.env", "ANTHROPIC_API_KEY=sk-not-a-real-key\n");
    await write("secrets/notes.txt", "private notes");
    const path = await write("secrets/prompts/leaky.txt", "Hello\n{% include '../.env' %}");
    const error = await rejection(loadPromptFile(path));
    expect(error.message).toBe(
      `${path} line 2: cannot include '../.env': it is outside the prompt root ${join(directory, "secrets", "prompts")} (pass --prompt-root with a folder that holds it)`,
    );
    expect(error.message).not.toContain("sk-not-a-real-key");
    const other = await write("secrets/prompts/other.txt", "{% include '../notes.txt' %}");
    await expect(loadPromptFile(other)).rejects.toThrow(/cannot include '\.\.\/notes\.txt': it is outside/);
    const absolute = await write(
      "secrets/prompts/absolute.txt",
      `{% include '${join(directory, "secrets", "notes.txt")}' %}`,
    );
    await expect(loadPromptFile(absolute)).rejects.toThrow(/it is outside the prompt root/);
    // Widening the root lets the notes in, but never a hidden file such as .env.
    expect(await loadPromptFile(other, {}, { root: join(directory, "secrets") })).toBe("private notes");
    await expect(loadPromptFile(path, {}, { root: join(directory, "secrets") })).rejects.toThrow(
      /cannot include '\.\.\/\.env': hidden files and folders \(such as \.env\) are never included/,
    );
  });

  it("refuses a symbolic link inside the root that points out of it", async () => {
    await write("linked/outside/secret.txt", "secret");
    const path = await write("linked/prompts/main.txt", "{% include 'alias.txt' %}");
    await symlink(
      join(directory, "linked", "outside", "secret.txt"),
      join(directory, "linked", "prompts", "alias.txt"),
    );
    await expect(loadPromptFile(path)).rejects.toThrow(
      /cannot include 'alias\.txt': it resolves to .*secret\.txt, outside/,
    );
  });

  it("names a prompt root that is not a folder", async () => {
    const path = await write("rootless.txt", "x");
    await expect(loadPromptFile(path, {}, { root: join(directory, "no-such-folder") })).rejects.toThrow(
      /prompt root: expected an existing folder, got .*no-such-folder/,
    );
  });
});
