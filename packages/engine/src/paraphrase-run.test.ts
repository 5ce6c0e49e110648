import { openStore, promptTextHash, type Store } from "@aflab/store";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createClientFactory } from "./client-factory.js";
import { prepareRun } from "./prepare-run.js";

let store: Store;
beforeEach(() => {
  store = openStore(":memory:");
});
afterEach(async () => {
  await store.close();
});

const usage = { inputTokens: 1, outputTokens: 1, cacheWriteTokens: 0, cacheReadTokens: 0 };
const text = "A rewritten prompt: free-tier conversations are used for RLHF. <OUTPUT> <is_free_tier_user>";

async function storeSet() {
  await store.createPromptSet({
    name: "set-a",
    setting: "helpful-only",
    variants: ["cut-examples"],
    cot: true,
    sourceText: "the original",
    generator: "anthropic/claude-sonnet-4-6",
    checker: null,
    requested: 2,
  });
  await store.putPromptSetMember({
    setName: "set-a",
    position: 0,
    status: "accepted",
    text,
    reason: null,
    checks: {},
    usage,
    costUsd: 0,
  });
  await store.putPromptSetMember({
    setName: "set-a",
    position: 1,
    status: "rejected",
    text: "too short",
    reason: "length",
    checks: {},
    usage,
    costUsd: 0,
  });
}

describe("a run on a stored paraphrase", () => {
  it("asks the paraphrase's text, and refuses a wrong hash, a rejected member, another prompt or no store", async () => {
    await storeSet();
    const base = {
      model: "sim/opus-like",
      variants: ["cut-examples"],
      paraphrase: { promptSet: "set-a", position: 0, hash: promptTextHash(text) },
    };
    const options = { createClient: createClientFactory(), promptSets: store };
    const prepared = await prepareRun(base, options);
    expect(prepared.system).toBe(text);
    const original = await prepareRun({ model: "sim/opus-like", variants: ["cut-examples"] }, options);
    expect(prepared.promptHash).not.toBe(original.promptHash);

    await expect(
      prepareRun({ ...base, paraphrase: { ...base.paraphrase, hash: "0".repeat(64) } }, options),
    ).rejects.toThrow(/has hash [0-9a-f]{64}, not 0{64}: the set changed/);
    await expect(
      prepareRun({ ...base, paraphrase: { ...base.paraphrase, position: 1 } }, options),
    ).rejects.toThrow(/no accepted paraphrase at position 1/);
    await expect(prepareRun({ ...base, variants: [] }, options)).rejects.toThrow(
      /paraphrases the helpful-only CoT prompt with variants \[cut-examples\]/,
    );
    await expect(prepareRun(base, { createClient: createClientFactory() })).rejects.toThrow(
      /needs the store that holds its prompt set/,
    );
    await expect(
      prepareRun({ ...base, paraphrase: { ...base.paraphrase, promptSet: "ghost" } }, options),
    ).rejects.toThrow(/prompt set ghost not found/);
  });
});
