import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { loadProvidersConfig, mergeProvidersConfigs } from "./providers-config.js";

function writeJson(directory: string, name: string, value: unknown): string {
  const path = join(directory, name);
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

describe("loadProvidersConfig", () => {
  it("merges files in order, later entries winning, and skips missing optional files", () => {
    const directory = mkdtempSync(join(tmpdir(), "providers-"));
    const user = writeJson(directory, "user.json", {
      providers: {
        together: {
          type: "openai-compatible",
          baseUrl: "https://api.together.xyz/v1",
          apiKeyEnv: "TOGETHER_API_KEY",
        },
        local: { type: "openai-compatible", baseUrl: "http://localhost:8000/v1" },
      },
      models: { "together/ft-abc": { provider: "together", model: "acct/ft-abc-v1" } },
    });
    const project = writeJson(directory, "project.json", {
      providers: {
        together: {
          type: "openai-compatible",
          baseUrl: "https://api.together.xyz/v1",
          apiKeyEnv: "TOGETHER_API_KEY",
          maxConnections: 8,
          supportsN: false,
        },
      },
      models: { "together/ft-abc": { provider: "together", model: "acct/ft-abc-v2" } },
    });
    const config = loadProvidersConfig([
      user,
      { path: join(directory, "absent.json"), optional: true },
      project,
    ]);
    expect(config.providers.together?.maxConnections).toBe(8);
    expect(config.providers.local?.baseUrl).toBe("http://localhost:8000/v1");
    expect(config.models["together/ft-abc"]).toEqual({ provider: "together", model: "acct/ft-abc-v2" });
  });

  it("fails on a missing required file, bad JSON and bad fields, naming them", () => {
    const directory = mkdtempSync(join(tmpdir(), "providers-"));
    expect(() => loadProvidersConfig([join(directory, "absent.json")])).toThrow(
      /absent\.json does not exist/,
    );
    const broken = writeJson(directory, "broken.json", "{ not json");
    expect(() => loadProvidersConfig([broken])).toThrow(/broken\.json is not valid JSON/);
    const noUrl = writeJson(directory, "no-url.json", { providers: { vllm: { type: "openai-compatible" } } });
    expect(() => loadProvidersConfig([noUrl])).toThrow(
      /providers\.vllm\.baseUrl: expected baseUrl for an openai-compatible provider/,
    );
    const badType = writeJson(directory, "bad-type.json", {
      providers: { x: { type: "grpc", baseUrl: "http://a" } },
    });
    expect(() => loadProvidersConfig([badType])).toThrow(/providers\.x\.type/);
    const literalKey = writeJson(directory, "literal-key.json", {
      providers: { x: { type: "openai", apiKeyEnv: "sk-live-123" } },
    });
    expect(() => loadProvidersConfig([literalKey])).toThrow(
      /apiKeyEnv: expected an environment variable name/,
    );
  });

  it("refuses an alias to a provider nobody defined", () => {
    expect(() => mergeProvidersConfigs([{ models: { "a/b": { provider: "ghost", model: "m" } } }])).toThrow(
      InputError,
    );
    expect(
      mergeProvidersConfigs([{ models: { "a/b": { provider: "openai", model: "ft:gpt-4o:x" } } }]),
    ).toEqual({
      providers: {},
      models: { "a/b": { provider: "openai", model: "ft:gpt-4o:x" } },
    });
  });
});
