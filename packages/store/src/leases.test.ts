import { mkdtempSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openStore } from "./store.js";
import { makeRun } from "./test-fixtures.js";
import type { Store } from "./types.js";

let directory: string;
let path: string;
let store: Store;

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), "aflab-leases-"));
  path = join(directory, "aflab.db");
  store = openStore(path);
  await store.createRun(makeRun("run-1"));
});

afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

const claim = (owner: string, now: number, ttlMs = 1000) => ({ owner, pid: 4242, host: "lab-1", ttlMs, now });

describe("run leases", () => {
  it("gives a free run to the first claimant and refuses a second one, naming the holder", async () => {
    const first = await store.acquireRunLease("run-1", claim("a", 10_000));
    expect(first.acquired).toBe(true);
    // A second connection, as a second process would have: the lease lives in the file, not in memory.
    const other = openStore(path);
    try {
      const second = await other.acquireRunLease("run-1", { ...claim("b", 10_500), pid: 7, host: "lab-2" });
      expect(second).toEqual({
        acquired: false,
        holder: {
          runId: "run-1",
          owner: "a",
          pid: 4242,
          host: "lab-1",
          acquiredAt: new Date(10_000).toISOString(),
          renewedAt: new Date(10_000).toISOString(),
          expiresAt: 11_000,
        },
      });
    } finally {
      await other.close();
    }
  });

  it("lets the holder renew and re-acquire, and keeps its first acquisition time", async () => {
    await store.acquireRunLease("run-1", claim("a", 10_000));
    expect(await store.renewRunLease("run-1", "a", 1000, 10_800)).toBe(true);
    expect((await store.getRunLease("run-1"))?.expiresAt).toBe(11_800);
    // Renewed past its first expiry, it still holds the run.
    expect((await store.acquireRunLease("run-1", claim("b", 11_500))).acquired).toBe(false);
    const again = await store.acquireRunLease("run-1", claim("a", 11_600));
    expect(again.acquired && again.lease.acquiredAt).toBe(new Date(10_000).toISOString());
  });

  it("hands an expired lease over, and the old holder can no longer renew or release it", async () => {
    await store.acquireRunLease("run-1", claim("a", 10_000));
    const taken = await store.acquireRunLease("run-1", claim("b", 11_001));
    expect(taken.acquired && taken.lease.owner).toBe("b");
    expect(await store.renewRunLease("run-1", "a", 1000, 11_002)).toBe(false);
    await store.releaseRunLease("run-1", "a");
    expect((await store.getRunLease("run-1"))?.owner).toBe("b");
    await store.releaseRunLease("run-1", "b");
    expect(await store.getRunLease("run-1")).toBeUndefined();
  });
});

describe("the store file check", () => {
  it("passes while the file is the one opened", async () => {
    await expect(store.checkFile()).resolves.toBeUndefined();
  });

  it("fails once the file is deleted", async () => {
    unlinkSync(path);
    await expect(store.checkFile()).rejects.toThrow(/was deleted while in use/);
  });

  it("fails once another file takes its place", async () => {
    const replacement = join(directory, "other.db");
    writeFileSync(replacement, "");
    renameSync(replacement, path);
    await expect(store.checkFile()).rejects.toThrow(/was replaced by another file/);
  });

  it("has nothing to check for an in-memory store", async () => {
    const memory = openStore(":memory:");
    await expect(memory.checkFile()).resolves.toBeUndefined();
    await memory.close();
  });
});
