import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { loadDotEnv, parseDotEnv } from "./dot-env.js";

describe("parseDotEnv", () => {
  it("reads plain, exported, quoted and commented lines", () => {
    const text = [
      "# keys for local runs",
      "ANTHROPIC_API_KEY=sk-ant-123",
      "export OPENAI_API_KEY = sk-oa-456 # trailing comment",
      'QUOTED="two\\nlines # not a comment"',
      "SINGLE='literal \\n stays'",
      "EMPTY=",
      "",
      "URL=http://localhost:8000/v1#fragment",
    ].join("\n");
    expect(parseDotEnv(text)).toEqual({
      ANTHROPIC_API_KEY: "sk-ant-123",
      OPENAI_API_KEY: "sk-oa-456",
      QUOTED: "two\nlines # not a comment",
      SINGLE: "literal \\n stays",
      EMPTY: "",
      URL: "http://localhost:8000/v1#fragment",
    });
  });

  it("reads a quoted value followed by a comment without keeping the quotes", () => {
    const text = [
      'ANTHROPIC_API_KEY="sk-ant-789"  # personal key',
      "OPENAI_API_KEY='sk-oa-012' # team key",
      'HASH="a # b" #c',
    ].join("\n");
    expect(parseDotEnv(text)).toEqual({
      ANTHROPIC_API_KEY: "sk-ant-789",
      OPENAI_API_KEY: "sk-oa-012",
      HASH: "a # b",
    });
    // Text after a closing quote that is not a comment is a malformed line, not part of the key.
    expect(() => parseDotEnv('KEY="abc" def')).toThrow(/line 1: expected KEY=value/);
  });

  it("names the malformed line", () => {
    const parse = () => parseDotEnv("GOOD=1\nnot a setting\n", "config/.env");
    expect(parse).toThrow(InputError);
    expect(parse).toThrow(/^config\/\.env line 2: expected KEY=value with a name like API_KEY$/);
    expect(() => parseDotEnv("1BAD=x")).toThrow(InputError);
  });
});

describe("loadDotEnv", () => {
  it("fills only unset variables and returns their names", () => {
    const directory = mkdtempSync(join(tmpdir(), "dotenv-"));
    const path = join(directory, ".env");
    writeFileSync(path, "ANTHROPIC_API_KEY=from-file\nOPENAI_API_KEY=from-file\nBLANK_BEFORE=filled\n");
    const env: Record<string, string | undefined> = { ANTHROPIC_API_KEY: "from-shell", BLANK_BEFORE: "" };
    expect(loadDotEnv(path, env)).toEqual(["OPENAI_API_KEY", "BLANK_BEFORE"]);
    expect(env).toEqual({
      ANTHROPIC_API_KEY: "from-shell",
      OPENAI_API_KEY: "from-file",
      BLANK_BEFORE: "filled",
    });
  });

  it("treats a missing file as nothing to load", () => {
    const env: Record<string, string | undefined> = {};
    expect(loadDotEnv(join(tmpdir(), "no-such-dir-for-dotenv", ".env"), env)).toEqual([]);
    expect(env).toEqual({});
  });
});
