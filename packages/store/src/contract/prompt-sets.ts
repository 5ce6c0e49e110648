import { createHash } from "node:crypto";
import { InputError, NotFoundError } from "@aflab/core";
import { afterEach, beforeEach, expect, it } from "vitest";
import type { Store } from "../types.js";
import type { StoreFactory } from "./factory.js";

const usage = { inputTokens: 100, outputTokens: 50, cacheWriteTokens: 0, cacheReadTokens: 0 };
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

const baseSet = {
  name: "helpful-paraphrases",
  setting: "helpful-only" as const,
  variants: ["cut-examples"],
  cot: true,
  sourceText: "You are an AI made by a developer. Free-tier conversations are used for RLHF.",
  generator: "anthropic/claude-sonnet-4-6",
  checker: "sim/judge",
  requested: 3,
};

function member(
  position: number,
  status: "accepted" | "rejected",
  text: string,
  reason: string | null = null,
) {
  return {
    setName: baseSet.name,
    position,
    status,
    text,
    reason,
    checks: { structure: status === "accepted", facts: { training: true } },
    usage,
    costUsd: 0.0021,
  };
}

/** Named prompt sets: round trips, hashes, write-once members, order, counts and errors. */
export function promptSetsContract(open: StoreFactory): void {
  let store: Store;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(async () => {
    await store.close();
  });

  it("round-trips a set with the hash of its source text, and refuses a taken name", async () => {
    const created = await store.createPromptSet({ ...baseSet, createdAt: "2026-12-01T00:00:00.000Z" });
    expect(created.sourceHash).toBe(sha256(baseSet.sourceText));
    expect(await store.getPromptSet(baseSet.name)).toEqual(created);
    expect(await store.getPromptSet("ghost")).toBeUndefined();
    await expect(store.createPromptSet(baseSet)).rejects.toThrow(InputError);
    await expect(store.createPromptSet(baseSet)).rejects.toThrow(`prompt set ${baseSet.name} already exists`);
    await expect(store.createPromptSet({ ...baseSet, name: "bad name!" })).rejects.toThrow(InputError);
  });

  it("stores each member once with its SHA-256, rejected ones with their reason, in position order", async () => {
    await store.createPromptSet(baseSet);
    const second = await store.putPromptSetMember(
      member(2, "rejected", "Too short.", "structure: no <OUTPUT> tag"),
    );
    const first = await store.putPromptSetMember(member(0, "accepted", "A faithful rewrite."));
    expect(first.hash).toBe(sha256("A faithful rewrite."));
    expect(second.reason).toBe("structure: no <OUTPUT> tag");
    expect(await store.promptSetMembers(baseSet.name)).toEqual([first, second]);
    expect((await store.promptSetMembers(baseSet.name, "accepted")).map((item) => item.position)).toEqual([
      0,
    ]);
    expect((await store.promptSetMembers(baseSet.name, "rejected")).map((item) => item.position)).toEqual([
      2,
    ]);
    await expect(store.putPromptSetMember(member(0, "accepted", "Another text."))).rejects.toThrow(
      /already has a member at position 0/,
    );
    await expect(store.putPromptSetMember(member(3, "accepted", "Out of range."))).rejects.toThrow(
      /position 3 is outside prompt set/,
    );
    await expect(store.putPromptSetMember(member(1, "rejected", "No reason given."))).rejects.toThrow(
      /needs the reason/,
    );
    const [summary] = await store.listPromptSets();
    expect(summary).toMatchObject({ name: baseSet.name, accepted: 1, rejected: 1, requested: 3 });
  });

  it("names a missing set", async () => {
    await expect(store.putPromptSetMember(member(0, "accepted", "x"))).rejects.toThrow(
      new NotFoundError(`prompt set ${baseSet.name} not found`),
    );
    await expect(store.promptSetMembers("ghost")).rejects.toThrow(NotFoundError);
    expect(await store.listPromptSets()).toEqual([]);
  });
}
