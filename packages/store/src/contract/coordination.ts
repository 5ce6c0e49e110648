import { afterEach, beforeEach, expect, it } from "vitest";
import { collect, makeRun, makeSample, makeVerdict } from "../test-fixtures.js";
import type { Store } from "../types.js";
import type { StoreFactory } from "./factory.js";

/** What processes sharing one store rely on: leases, atomic writes, the response cache, change stamps. */
export function coordinationContract(open: StoreFactory): void {
  let store: Store;

  beforeEach(async () => {
    store = await open();
    await store.createRun(makeRun("run-1"));
  });

  afterEach(async () => {
    await store.close();
  });

  const claim = (owner: string, now: number) => ({ owner, pid: 7, host: "lab", ttlMs: 1000, now });

  it("leases a run to one owner until it expires, renews and releases it", async () => {
    const first = await store.acquireRunLease("run-1", claim("a", 10_000));
    expect(first.acquired).toBe(true);
    const refused = await store.acquireRunLease("run-1", claim("b", 10_500));
    expect(refused).toMatchObject({ acquired: false, holder: { owner: "a", expiresAt: 11_000 } });
    expect(await store.renewRunLease("run-1", "a", 1000, 10_900)).toBe(true);
    expect((await store.acquireRunLease("run-1", claim("b", 11_500))).acquired).toBe(false);
    const takeover = await store.acquireRunLease("run-1", claim("b", 12_000));
    expect(takeover).toMatchObject({ acquired: true, lease: { owner: "b", expiresAt: 13_000 } });
    expect(await store.renewRunLease("run-1", "a", 1000, 12_100)).toBe(false);
    await store.releaseRunLease("run-1", "a");
    expect((await store.getRunLease("run-1"))?.owner).toBe("b");
    await store.releaseRunLease("run-1", "b");
    expect(await store.getRunLease("run-1")).toBeUndefined();
  });

  it("of two concurrent writers of one finished sample, exactly one stores it", async () => {
    const results = await Promise.all(
      ["first", "second", "third"].map((output) =>
        store.putSampleUnlessFinished(makeSample("run-1", 0, { output })),
      ),
    );
    expect(results.filter((result) => result.stored)).toHaveLength(1);
    const winner = results.find((result) => result.stored)?.sample.output;
    expect((await store.getSample("run-1", "key-0"))?.output).toBe(winner);
    for (const result of results) expect(result.sample.output).toBe(winner);
  });

  it("keeps cached responses and treats an unknown key as a miss", async () => {
    const cache = store.responseCache();
    expect(await cache.get("k")).toBeUndefined();
    const value = {
      texts: ["hello"],
      stopReason: "end_turn",
      usage: { inputTokens: 1, outputTokens: 2, cacheWriteTokens: 0, cacheReadTokens: 0 },
      model: "m",
    };
    await cache.set("k", value);
    expect(await cache.get("k")).toEqual(value);
    await cache.set("k", { ...value, texts: ["again"] });
    expect((await cache.get("k"))?.texts).toEqual(["again"]);
  });

  it("changes the run's change stamp when samples or verdicts change, and checks the store is live", async () => {
    const empty = await store.runChangeStamp("run-1");
    await store.putSample(makeSample("run-1", 0));
    const withSample = await store.runChangeStamp("run-1");
    expect(withSample).not.toBe(empty);
    await store.putVerdict(makeVerdict("run-1", "key-0", "tag-compliance"));
    expect(await store.runChangeStamp("run-1")).not.toBe(withSample);
    await expect(store.checkFile()).resolves.toBeUndefined();
  });

  it("pages through a run larger than one page in index order", async () => {
    // Just over one page (500 rows): the second page starts from the first's last key.
    const count = 503;
    const batch = Array.from({ length: count }, (_, index) => makeSample("run-1", count - 1 - index));
    await store.putSamples(batch);
    const keys = (await collect(store.iterateSamples("run-1", { withTurns: false }))).map(
      (sample) => sample.key,
    );
    expect(keys).toEqual(Array.from({ length: count }, (_, index) => `key-${index}`));
    const complete = await collect(store.iterateSamples("run-1", { status: "complete" }));
    expect(complete.length).toBe(count);
    expect(complete[502]?.turns.length).toBe(makeSample("run-1", 502).turns.length);
  }, 120_000);

  it("lists the samples of one item and its neighbours", async () => {
    await store.putSamples([0, 1, 2, 3, 4, 5].map((index) => makeSample("run-1", index)));
    expect(await store.itemSampleKeys("run-1", "item-1")).toEqual(["key-2", "key-3"]);
    expect(await store.itemNeighbours("run-1", "item-1")).toEqual({
      previous: "item-0",
      next: "item-2",
      position: 2,
      total: 3,
    });
  });
}
