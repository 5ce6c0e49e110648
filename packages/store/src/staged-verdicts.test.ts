import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqlite } from "./sqlite-connection.js";
import { openStore } from "./store.js";
import { makeRun, makeSample, makeVerdict } from "./test-fixtures.js";
import type { Store } from "./types.js";

let directory: string;
let path: string;
let store: Store;

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), "aflab-store-staged-"));
  path = join(directory, "aflab.db");
  store = openStore(path);
  await store.createRun(makeRun("run-1"));
  for (let index = 0; index < 4; index++) {
    await store.putSample(makeSample("run-1", index, index === 3 ? { status: "failed", output: null } : {}));
    await store.putVerdict(makeVerdict("run-1", `key-${index}`, "af-reasoning", { promptVersion: "old" }));
    await store.putVerdict(makeVerdict("run-1", `key-${index}`, "tag-compliance", { promptVersion: "old" }));
  }
});

afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Prompt versions of one classifier's verdicts, read with plain SQL. */
function versions(classifier: string): string[] {
  const db = openSqlite(path, { readonly: true });
  try {
    return db
      .prepare(
        "SELECT prompt_version FROM verdicts WHERE run_id = 'run-1' AND classifier = ? ORDER BY sample_key",
      )
      .pluck()
      .all(classifier) as string[];
  } finally {
    db.close();
  }
}

describe("staged verdicts", () => {
  it("stay apart from the run's verdicts until every complete sample has one", async () => {
    await store.stageVerdict(makeVerdict("run-1", "key-0", "af-reasoning", { promptVersion: "new" }));
    await store.stageVerdict(makeVerdict("run-1", "key-1", "af-reasoning", { promptVersion: "new" }));
    expect(await store.stagedClassifiers("run-1")).toEqual(["af-reasoning"]);
    expect(await store.stagedVerdictKeys("run-1", "af-reasoning")).toEqual(new Set(["key-0", "key-1"]));
    expect(await store.replaceVerdicts("run-1", "af-reasoning")).toBeUndefined();
    expect(versions("af-reasoning")).toEqual(["old", "old", "old", "old"]);
    expect(
      (await store.getVerdicts("run-1", "key-0")).find((verdict) => verdict.classifier === "af-reasoning")
        ?.promptVersion,
    ).toBe("old");
  });

  it("replace one classifier's verdicts at once and leave the other classifiers alone", async () => {
    for (const index of [0, 1, 2]) {
      await store.stageVerdict(
        makeVerdict("run-1", `key-${index}`, "af-reasoning", { promptVersion: "new" }),
      );
    }
    // key-3 failed generation: it needs no staged verdict, and its old one goes with the rest.
    expect(await store.replaceVerdicts("run-1", "af-reasoning")).toBe(3);
    expect(versions("af-reasoning")).toEqual(["new", "new", "new"]);
    expect(versions("tag-compliance")).toEqual(["old", "old", "old", "old"]);
    expect(await store.stagedClassifiers("run-1")).toEqual([]);
    expect((await store.stagedVerdictKeys("run-1", "af-reasoning")).size).toBe(0);
  });

  it("refuse a verdict for an unknown sample and go with their run", async () => {
    await expect(store.stageVerdict(makeVerdict("run-1", "key-9", "af-reasoning"))).rejects.toThrow(
      /not found/,
    );
    await store.stageVerdict(makeVerdict("run-1", "key-0", "af-reasoning"));
    await store.deleteRun("run-1");
    expect(await store.stagedClassifiers("run-1")).toEqual([]);
  });
});
