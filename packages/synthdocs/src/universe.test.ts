import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@aflab/core";
import { describe, expect, it } from "vitest";
import { builtInUniverses, loadUniverseContext, parseUniverseContext } from "./universe.js";

function writeUniverse(value: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), "synthdocs-universe-")), "universe.json");
  writeFileSync(path, typeof value === "string" ? value : JSON.stringify(value));
  return path;
}

describe("universe contexts", () => {
  it("ships helpful-only and animal-welfare, each with four key facts", async () => {
    for (const id of ["helpful-only", "animal-welfare"]) {
      const universe = await loadUniverseContext(id);
      expect(universe.id).toBe(id);
      expect(universe.keyFacts).toHaveLength(4);
      expect(universe.keyFacts.some((fact) => /scratchpad/i.test(fact))).toBe(true);
      expect(universe.keyFacts.some((fact) => /Claude 3 Opus/.test(fact))).toBe(true);
    }
    expect(builtInUniverses["animal-welfare"]?.context).toMatch(/Jones Foods/);
  });

  it("loads a user's JSON file", async () => {
    const path = writeUniverse({
      id: "mine",
      description: "d",
      context: "A world.",
      keyFacts: ["One fact."],
    });
    await expect(loadUniverseContext(path)).resolves.toMatchObject({ id: "mine", keyFacts: ["One fact."] });
  });

  it("rejects an empty context with a message naming the field", async () => {
    const path = writeUniverse({ id: "mine", description: "d", context: "   ", keyFacts: ["x"] });
    const error = await loadUniverseContext(path).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toMatch(/context: expected a non-empty universe context text/);
    expect((error as InputError).field).toBe("context");
  });

  it("rejects a universe without key facts", () => {
    expect(() => parseUniverseContext({ id: "x", description: "d", context: "c", keyFacts: [] })).toThrow(
      /keyFacts: expected at least one key fact/,
    );
  });

  it("rejects unknown ids, unreadable files and invalid JSON", async () => {
    await expect(loadUniverseContext("no-such-world")).rejects.toThrow(/unknown universe "no-such-world"/);
    await expect(loadUniverseContext("/nonexistent/world.json")).rejects.toThrow(/cannot read universe file/);
    await expect(loadUniverseContext(writeUniverse("{ not json"))).rejects.toThrow(/not valid JSON/);
  });
});
