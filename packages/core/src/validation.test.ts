import { describe, expect, it } from "vitest";
import { z } from "zod";
import { runConfigSchema } from "./run-config.js";
import { closestName, parseOrThrow } from "./validation.js";

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("expected an error");
}

describe("strict configs name an unknown key and the nearest valid one", () => {
  it("suggests epochs for epoch", () => {
    expect(
      messageOf(() => parseOrThrow(runConfigSchema, { model: "sim/opus-like", epoch: 5 }, "run config")),
    ).toBe("unknown key 'epoch' in run config; did you mean 'epochs'?");
  });

  it("looks one level down: a top-level limt is dataset.limit", () => {
    expect(
      messageOf(() => parseOrThrow(runConfigSchema, { model: "sim/opus-like", limt: 3 }, "run config")),
    ).toBe("unknown key 'limt' in run config; did you mean 'dataset.limit'?");
  });

  it("names a nested key by its full path", () => {
    const config = { model: "sim/opus-like", dataset: { source: "builtin:harmful", limt: 3 } };
    expect(messageOf(() => parseOrThrow(runConfigSchema, config, "run config"))).toBe(
      "unknown key 'dataset.limt' in run config; did you mean 'dataset.limit'?",
    );
  });

  it("reads kebab-case as the camelCase key it means", () => {
    expect(
      messageOf(() =>
        parseOrThrow(runConfigSchema, { model: "sim/opus-like", "max-tokens": 10 }, "run config"),
      ),
    ).toContain("did you mean 'maxTokens'?");
  });

  it("lists the valid keys when nothing is near, and still reports the other problems", () => {
    const message = messageOf(() =>
      parseOrThrow(runConfigSchema, { model: "sim/opus-like", flavour: "vanilla", epochs: 0 }, "run config"),
    );
    expect(message).toMatch(/^unknown key 'flavour' in run config; valid keys: model, /);
    expect(message).toContain("invalid run config: epochs:");
  });

  it("works inside records of strict objects", () => {
    const schema = z.strictObject({
      providers: z.record(z.string(), z.strictObject({ baseUrl: z.string() })),
    });
    expect(
      messageOf(() => parseOrThrow(schema, { providers: { local: { baseUrl: "x", baseURL: "y" } } }, "file")),
    ).toBe("unknown key 'providers.local.baseURL' in file; did you mean 'providers.local.baseUrl'?");
  });

  it("keeps the old message for ordinary problems", () => {
    expect(messageOf(() => parseOrThrow(runConfigSchema, { model: 5 }, "run config"))).toMatch(
      /^invalid run config: model: /,
    );
  });
});

describe("closestName", () => {
  it("accepts a near name and rejects a far one", () => {
    expect(closestName("epoch", ["model", "epochs"])).toBe("epochs");
    expect(closestName("seeds", ["seed", "setting"])).toBe("seed");
    expect(closestName("flavour", ["label", "model"])).toBeUndefined();
    // One letter off in a short name is a typo; two letters off in a three-letter name is another word.
    expect(closestName("cot", ["cat", "tag"])).toBe("cat");
    expect(closestName("cow", ["cat"])).toBeUndefined();
  });
});

describe("the run config's user format default", () => {
  it("is minimal without a judge (tag-compliance reads its tags) and paper with one", () => {
    expect(runConfigSchema.parse({ model: "sim/opus-like" }).userFormat).toBe("minimal");
    expect(runConfigSchema.parse({ model: "sim/opus-like", judge: "sim/judge" }).userFormat).toBe("paper");
    expect(runConfigSchema.parse({ model: "sim/opus-like", userFormat: "paper" }).userFormat).toBe("paper");
  });
});
