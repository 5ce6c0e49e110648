import { createHash, randomBytes } from "node:crypto";
import type { Tier } from "@aflab/core";

export function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export interface SampleKeyParts {
  itemId: string;
  tier: Tier;
  variants: readonly string[];
  epoch: number;
  model: string;
  promptHash: string;
}

/**
 * The resume key of a sample: a hash of everything that makes it a distinct measurement. The same
 * config always expands to the same keys, which is what lets `--resume` run exactly the missing ones.
 */
export function sampleKey(parts: SampleKeyParts): string {
  const canonical = JSON.stringify([
    parts.itemId,
    parts.tier,
    parts.variants.join(","),
    parts.epoch,
    parts.model,
    parts.promptHash,
  ]);
  return sha256(canonical).slice(0, 32);
}

/** A sortable, readable run id: `20261127-063012-3fa9c1`. */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace("T", "-")
    .replace(/\.\d+Z$/, "");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}
