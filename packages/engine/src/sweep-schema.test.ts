import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { sweepCells, sweepConfigSchema } from "./sweep.js";
import { sweepConfigJsonSchema } from "./sweep-schema.js";

const schemaFile = path.resolve(import.meta.dirname, "../sweep-config.schema.json");

describe("sweep config", () => {
  it("publishes a JSON Schema that matches the zod schema (regenerate with UPDATE_SCHEMA=1)", () => {
    const expected = `${JSON.stringify(sweepConfigJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA) fs.writeFileSync(schemaFile, expected);
    // Compared as data: the formatter may lay the file out differently.
    expect(JSON.parse(fs.readFileSync(schemaFile, "utf8"))).toEqual(sweepConfigJsonSchema());
  });

  it("expands the matrix in a fixed order with variant combinations", () => {
    const config = sweepConfigSchema.parse({
      models: ["sim/opus-like", "sim/sonnet-like"],
      variants: ["none", "cut-examples", ["cut-rlhf-info", "honest"]],
      userFormats: ["minimal"],
    });
    const cells = sweepCells(config);
    expect(cells).toHaveLength(6);
    expect(cells.map((cell) => [cell.model, cell.variants.join("+")])).toEqual([
      ["sim/opus-like", ""],
      ["sim/opus-like", "cut-examples"],
      ["sim/opus-like", "cut-rlhf-info+honest"],
      ["sim/sonnet-like", ""],
      ["sim/sonnet-like", "cut-examples"],
      ["sim/sonnet-like", "cut-rlhf-info+honest"],
    ]);
  });

  it("names the bad field", () => {
    const result = sweepConfigSchema.safeParse({ models: [], settings: ["x"] });
    expect(result.success).toBe(false);
    const paths = result.error?.issues.map((issue) => issue.path.join(".")) ?? [];
    expect(paths).toContain("models");
    expect(paths).toContain("settings.0");
  });
});
