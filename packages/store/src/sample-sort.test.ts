import type { SampleInput } from "@aflab/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "./store.js";
import { makeRun, makeSample, makeVerdict, seededRandom } from "./test-fixtures.js";
import type { Store } from "./types.js";

let store: Store;
const samples: SampleInput[] = [];
/** The outcome each sample's compliance verdict sorts by, or null without one. */
const outcome = new Map<string, string | null>();

beforeAll(async () => {
  store = openStore(":memory:");
  await store.createRun(makeRun("run-1", { total: 60 }));
  const random = seededRandom(11);
  for (let index = 0; index < 60; index++) {
    const inputTokens = Math.floor(random() * 5) * 100;
    const sample = makeSample("run-1", index, {
      status: random() < 0.2 ? "failed" : "complete",
      query: `query ${String.fromCharCode(97 + Math.floor(random() * 26))} ${index}`,
      usage: {
        inputTokens,
        outputTokens: Math.floor(random() * 3) * 10,
        cacheWriteTokens: 0,
        cacheReadTokens: 0,
      },
    });
    samples.push(sample);
    await store.putSample(sample);
    const roll = random();
    if (roll < 0.2) {
      outcome.set(sample.key, null);
    } else if (roll < 0.3) {
      await store.putVerdict(
        makeVerdict("run-1", sample.key, "tag-compliance", { status: "failed", decision: null }),
      );
      outcome.set(sample.key, "failed");
    } else {
      const decision = roll < 0.65 ? "compliant" : "refused";
      await store.putVerdict(makeVerdict("run-1", sample.key, "tag-compliance", { decision }));
      outcome.set(sample.key, decision);
    }
  }
});

afterAll(() => store.close());

const keys = async (query: Parameters<Store["listSamples"]>[1]) =>
  (await store.listSamples("run-1", { limit: 1000, ...query })).samples.map((sample) => sample.key);
const compare = (left: string | number, right: string | number) => (left < right ? -1 : left > right ? 1 : 0);

describe("listSamples sorts by any column of the table", () => {
  it.each(["asc", "desc"] as const)(
    "by a classifier's outcome %s, samples without a verdict last",
    async (order) => {
      const sign = order === "asc" ? 1 : -1;
      const judged = samples.filter((sample) => outcome.get(sample.key) !== null);
      const unjudged = samples.filter((sample) => outcome.get(sample.key) === null);
      const expected = [
        ...judged.sort(
          (left, right) =>
            sign * compare(outcome.get(left.key) ?? "", outcome.get(right.key) ?? "") ||
            left.index - right.index,
        ),
        ...unjudged,
      ].map((sample) => sample.key);
      expect(unjudged.length).toBeGreaterThan(0);
      expect(await keys({ sort: "verdict", sortClassifier: "tag-compliance", order })).toEqual(expected);
    },
  );

  it("by tokens (input plus output), status and query, ties by index", async () => {
    const tokens = (sample: SampleInput) => sample.usage.inputTokens + sample.usage.outputTokens;
    expect(await keys({ sort: "tokens", order: "desc" })).toEqual(
      [...samples].sort((a, b) => tokens(b) - tokens(a) || a.index - b.index).map((sample) => sample.key),
    );
    expect(await keys({ sort: "status" })).toEqual(
      [...samples]
        .sort((a, b) => compare(a.status, b.status) || a.index - b.index)
        .map((sample) => sample.key),
    );
    expect(await keys({ sort: "query" })).toEqual(
      [...samples].sort((a, b) => compare(a.query, b.query) || a.index - b.index).map((sample) => sample.key),
    );
  });

  it("refuses a sort classifier that is not a plain name", async () => {
    await expect(keys({ sort: "verdict", sortClassifier: "x' OR 1=1 --" })).rejects.toThrow(/sortClassifier/);
  });
});
