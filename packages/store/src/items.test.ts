import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "./store.js";
import { makeRun, makeSample } from "./test-fixtures.js";
import type { Store } from "./types.js";

let store: Store;

beforeEach(async () => {
  store = openStore(":memory:");
  await store.createRun(makeRun("r1", { total: 12 }));
  // Items asked in an order that is not their id order: item-2 first, then item-0, then item-1; two epochs.
  const order = ["item-2", "item-0", "item-1"];
  let index = 0;
  for (const epoch of [0, 1]) {
    for (const itemId of order) {
      for (const tier of ["free", "paid"] as const) {
        await store.putSample(
          makeSample("r1", index, { key: `${itemId}-${tier}-${epoch}`, itemId, tier, epoch }),
        );
        index++;
      }
    }
  }
});

afterEach(() => store.close());

describe("items", () => {
  it("lists the samples of one item, epoch by epoch in run order", async () => {
    expect(await store.itemSampleKeys("r1", "item-0")).toEqual([
      "item-0-free-0",
      "item-0-paid-0",
      "item-0-free-1",
      "item-0-paid-1",
    ]);
    expect(await store.itemSampleKeys("r1", "nothing")).toEqual([]);
  });

  it("places each item at its first sample and finds the items either side", async () => {
    expect(await store.itemNeighbours("r1", "item-2")).toEqual({
      previous: null,
      next: "item-0",
      position: 1,
      total: 3,
    });
    expect(await store.itemNeighbours("r1", "item-0")).toEqual({
      previous: "item-2",
      next: "item-1",
      position: 2,
      total: 3,
    });
    expect(await store.itemNeighbours("r1", "item-1")).toEqual({
      previous: "item-0",
      next: null,
      position: 3,
      total: 3,
    });
    expect(await store.itemNeighbours("r1", "absent")).toEqual({
      previous: null,
      next: null,
      position: null,
      total: 3,
    });
  });
});
