import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { readModelRegistry, registerFineTunedModel, togetherRegistryProvider } from "./registry.js";

const registryPath = () => join(mkdtempSync(join(tmpdir(), "synthdocs-registry-")), ".aflab", "models.json");

describe("registerFineTunedModel", () => {
  it("creates the file and keeps an existing provider definition", () => {
    const path = registryPath();
    registerFineTunedModel(path, {
      id: "together/acct/a",
      provider: "together",
      model: "acct/a",
      providerConfig: togetherRegistryProvider,
    });
    const custom = { type: "openai-compatible", baseUrl: "http://127.0.0.1:9/v1", apiKeyEnv: "MY_KEY" };
    const written = JSON.parse(readFileSync(path, "utf8"));
    written.providers.together = custom;
    writeFileSync(path, JSON.stringify(written));
    registerFineTunedModel(path, {
      id: "together/acct/b",
      provider: "together",
      model: "acct/b",
      providerConfig: togetherRegistryProvider,
    });
    const registry = readModelRegistry(path);
    expect(registry.providers.together).toEqual(custom);
    expect(Object.keys(registry.models)).toEqual(["together/acct/a", "together/acct/b"]);
  });

  it("validates the entry and the existing file", () => {
    const path = registryPath();
    expect(() => registerFineTunedModel(path, { id: "", provider: "openai", model: "m" })).toThrow(
      /id: expected a non-empty model id/,
    );
    registerFineTunedModel(path, { id: "openai/m", provider: "openai", model: "m" });
    writeFileSync(path, JSON.stringify({ models: { x: { provider: 3 } } }));
    expect(() => readModelRegistry(path)).toThrow(InputError);
    writeFileSync(path, "{");
    expect(() => readModelRegistry(path)).toThrow(/not valid JSON/);
  });
});
