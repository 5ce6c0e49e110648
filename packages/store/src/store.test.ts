import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  InputError,
  NotFoundError,
  runSchema,
  type SampleInput,
  sampleSchema,
  type VerdictInput,
  verdictSchema,
} from "@aflab/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { defaultDbPath } from "./paths.js";
import { openSqlite } from "./sqlite-connection.js";
import { openStore } from "./store.js";
import { collect, makeRun, makeSample, makeVerdict } from "./test-fixtures.js";
import type { Store } from "./types.js";

let directory: string;
let path: string;
let store: Store;

beforeEach(async () => {
  directory = mkdtempSync(join(tmpdir(), "aflab-store-"));
  path = join(directory, "aflab.db");
  store = openStore(path);
});

afterEach(async () => {
  await store.close();
  rmSync(directory, { recursive: true, force: true });
});

/** Row counts read through an independent connection, so they reflect what is really on disk. */
function countRows(table: string, where = "1 = 1", ...params: unknown[]): number {
  const db = openSqlite(path, { readonly: true });
  try {
    return db
      .prepare(`SELECT COUNT(*) FROM ${table} WHERE ${where}`)
      .pluck()
      .get(...params) as number;
  } finally {
    db.close();
  }
}

describe("runs", () => {
  it("round-trips a run through the core schema, with defaults applied", async () => {
    const input = makeRun("run-1", { config: { model: "sim/opus-like", label: "first" } });
    const created = await store.createRun(input);
    expect(created).toEqual(runSchema.parse(input));
    expect(created.config.tiers).toEqual(["free", "paid"]);
    expect(created.sweepId).toBeNull();
    expect(await store.getRun("run-1")).toEqual(created);
    expect(await store.requireRun("run-1")).toEqual(created);
  });

  it("names the bad field when a run is invalid, and refuses a duplicate id", async () => {
    await expect(store.createRun(makeRun("bad", { config: { model: "no-slash" } }))).rejects.toThrow(
      /invalid run: config\.model: expected provider\/model/,
    );
    await expect(store.createRun({ ...makeRun("bad"), total: -1 })).rejects.toThrow(/total/);
    await store.createRun(makeRun("run-1"));
    await expect(store.createRun(makeRun("run-1"))).rejects.toThrow(InputError);
    await expect(store.createRun(makeRun("run-1"))).rejects.toThrow("run run-1 already exists");
  });

  it("says which run is missing", async () => {
    expect(await store.getRun("nope")).toBeUndefined();
    await expect(store.requireRun("nope")).rejects.toThrow(NotFoundError);
    await expect(store.requireRun("nope")).rejects.toThrow("run nope not found");
  });

  it("lists runs newest first with filters, search and pagination", async () => {
    await store.createSweep({ id: "sweep-a", config: { models: ["x"] } });
    const specs = [
      {
        id: "r1",
        day: 1,
        model: "sim/opus-like",
        setting: "helpful-only",
        status: "complete",
        label: "alpha",
      },
      {
        id: "r2",
        day: 2,
        model: "anthropic/claude-3-opus",
        setting: "animal-welfare",
        status: "running",
        label: "beta_1",
      },
      {
        id: "r3",
        day: 3,
        model: "sim/opus-like",
        setting: "animal-welfare",
        status: "complete",
        label: "gamma",
      },
      { id: "r4", day: 4, model: "sim/opus-like", setting: "helpful-only", status: "failed", label: "100%" },
    ] as const;
    for (const spec of specs) {
      await store.createRun(
        makeRun(spec.id, {
          createdAt: `2026-01-0${spec.day}T00:00:00.000Z`,
          status: spec.status,
          config: { model: spec.model, setting: spec.setting, label: spec.label },
          sweepId: spec.id === "r2" || spec.id === "r3" ? "sweep-a" : null,
          simulated: spec.model.startsWith("sim/"),
        }),
      );
    }
    const ids = async (options: Parameters<Store["listRuns"]>[0]) =>
      (await store.listRuns(options)).runs.map((run) => run.id);
    expect(await ids({})).toEqual(["r4", "r3", "r2", "r1"]);
    expect((await store.listRuns()).total).toBe(4);
    expect(await ids({ status: "complete" })).toEqual(["r3", "r1"]);
    expect(await ids({ model: "sim/opus-like" })).toEqual(["r4", "r3", "r1"]);
    expect(await ids({ setting: "animal-welfare" })).toEqual(["r3", "r2"]);
    expect(await ids({ sweepId: "sweep-a" })).toEqual(["r3", "r2"]);
    expect(await ids({ simulated: false })).toEqual(["r2"]);
    expect(await ids({ simulated: true })).toEqual(["r4", "r3", "r1"]);
    expect(await ids({ search: "GAMMA" })).toEqual(["r3"]);
    expect(await ids({ search: "claude" })).toEqual(["r2"]);
    // LIKE wildcards in the search are literal characters.
    expect(await ids({ search: "_" })).toEqual(["r2"]);
    expect(await ids({ search: "%" })).toEqual(["r4"]);
    const page = await store.listRuns({ limit: 2, offset: 1 });
    expect(page.runs.map((run) => run.id)).toEqual(["r3", "r2"]);
    expect(page.total).toBe(4);
    expect((await store.listRuns({ status: "complete", limit: 1 })).total).toBe(2);
    await expect(store.listRuns({ limit: 0 })).rejects.toThrow(/limit: expected at least 1/);
    await expect(store.listRuns({ status: "done" as never })).rejects.toThrow(/status/);
  });

  it("updates status, error and total, and stamps updatedAt", async () => {
    await store.createRun(makeRun("run-1"));
    const updated = await store.updateRun("run-1", { status: "interrupted", error: "cancelled", total: 10 });
    expect(updated.status).toBe("interrupted");
    expect(updated.error).toBe("cancelled");
    expect(updated.total).toBe(10);
    expect(updated.updatedAt > "2026-01-01T00:00:00.000Z").toBe(true);
    expect(await store.requireRun("run-1")).toEqual(updated);
    expect((await store.updateRun("run-1", { error: null })).error).toBeNull();
    expect((await store.requireRun("run-1")).status).toBe("interrupted");
    await expect(store.updateRun("run-1", { status: "paused" as never })).rejects.toThrow(
      /invalid run update: status/,
    );
    await expect(store.updateRun("run-1", { config: {} } as never)).rejects.toThrow(
      /invalid run update: config\.model/,
    );
    await expect(store.updateRun("run-1", { owner: "x" } as never)).rejects.toThrow(
      /unknown key 'owner' in run update/,
    );
    const relabelled = await store.updateRun("run-1", {
      config: { model: "anthropic/claude-3-opus", label: "renamed", classifiers: ["tag-compliance"] },
    });
    expect(relabelled.config.classifiers).toEqual(["tag-compliance"]);
    expect(relabelled.config.setting).toBe("helpful-only");
    expect(await store.requireRun("run-1")).toEqual(relabelled);
    // The copied-out columns follow the config, so filters and search still find the run.
    expect(
      (await store.listRuns({ model: "anthropic/claude-3-opus", search: "renamed" })).runs.map(
        (run) => run.id,
      ),
    ).toEqual(["run-1"]);
    await expect(store.updateRun("nope", { status: "complete" })).rejects.toThrow("run nope not found");
  });

  it("refuses a run that names an unknown sweep", async () => {
    await expect(store.createRun(makeRun("run-1", { sweepId: "ghost" }))).rejects.toThrow(
      "sweep ghost not found",
    );
    expect(await store.getRun("run-1")).toBeUndefined();
  });

  it("deletes a run with its samples, turns and verdicts", async () => {
    await store.createRun(makeRun("run-1"));
    await store.createRun(makeRun("run-2"));
    for (const runId of ["run-1", "run-2"]) {
      for (let index = 0; index < 3; index++) {
        await store.putSample(makeSample(runId, index));
        await store.putVerdict(makeVerdict(runId, `key-${index}`, "tag-compliance"));
      }
    }
    expect(countRows("turns")).toBe(24);
    expect(await store.deleteRun("run-1")).toBe(true);
    expect(await store.deleteRun("run-1")).toBe(false);
    expect(await store.getRun("run-1")).toBeUndefined();
    expect(countRows("samples", "run_id = ?", "run-1")).toBe(0);
    expect(countRows("verdicts", "run_id = ?", "run-1")).toBe(0);
    // Only run-2's 3 samples × 4 turns remain.
    expect(countRows("turns")).toBe(12);
    expect(countRows("samples")).toBe(3);
    expect(countRows("verdicts")).toBe(3);
  });
});

describe("system prompts", () => {
  it("stores each text once under its hash", async () => {
    await store.putSystemPrompt("h1", "You are an AI.");
    await store.putSystemPrompt("h1", "You are an AI.");
    expect(await store.getSystemPrompt("h1")).toBe("You are an AI.");
    expect(await store.getSystemPrompt("h2")).toBeUndefined();
    expect(countRows("system_prompts")).toBe(1);
    await expect(store.putSystemPrompt("h1", "Something else")).rejects.toThrow(
      "already stored with a different text",
    );
    await expect(store.putSystemPrompt("", "x")).rejects.toThrow(/system prompt hash/);
  });
});

describe("samples", () => {
  beforeEach(async () => {
    await store.createRun(makeRun("run-1"));
  });

  it("round-trips a sample and its turns through the core schema", async () => {
    const input = makeSample("run-1", 0, {
      failure: { kind: "raw_text", message: "no tags" },
      flags: ["raw_text", "long"],
      scratchpad: null,
      costUsd: null,
      retries: 2,
    });
    const written = await store.putSample(input);
    expect(written).toEqual(sampleSchema.parse(input));
    const read = await store.getSample("run-1", "key-0");
    expect(read).toEqual(written);
    // Optional turn fields come back exactly as written, absent ones stay absent.
    expect(read?.turns[0]).toStrictEqual({ index: 0, role: "user", content: input.turns[0]?.content });
    expect(read?.turns[1]?.cached).toBe(false);
    expect(read?.turns[3]?.stopReason).toBeNull();
    expect(read?.turns[3]).not.toHaveProperty("cached");
    expect(await store.getSample("run-1", "missing")).toBeUndefined();
  });

  it("keeps a turn's native reasoning byte for byte, with signatures, redacted data and the refusal", async () => {
    // Characters a careless encoder would change: surrogate pairs, NUL, CRLF, lone backslashes.
    const thinking = "Step 1 \u{1F9E0} weigh it\r\n\u0000 then \\ decide\n\n  trailing  ";
    const input = makeSample("run-1", 0, {
      reasoning: thinking,
      scratchpadSource: "reasoning",
      refusal: { kind: "api_refusal", message: 'finish_reason "content_filter"' },
      usage: {
        inputTokens: 230,
        outputTokens: 30,
        cacheWriteTokens: 0,
        cacheReadTokens: 100,
        reasoningTokens: 12,
      },
      turns: [
        { index: 0, role: "user", content: "question" },
        {
          index: 1,
          role: "assistant",
          content: "",
          usage: {
            inputTokens: 230,
            outputTokens: 30,
            cacheWriteTokens: 0,
            cacheReadTokens: 100,
            reasoningTokens: 12,
          },
          stopReason: "content_filter",
          refusal: "I can't help with that.",
          reasoning: {
            source: "thinking",
            blocks: [
              { kind: "text", text: thinking, signature: "EqQBCgIYAhIM+sig==" },
              { kind: "redacted", data: "EmwKAhgBEgy3va3pzix/LafPsn4a", size: 28 },
            ],
          },
        },
      ],
    });
    const written = await store.putSample(input);
    const read = await store.getSample("run-1", "key-0");
    expect(read).toEqual(written);
    expect(read?.reasoning).toBe(thinking);
    expect(read?.scratchpadSource).toBe("reasoning");
    expect(read?.refusal).toEqual({ kind: "api_refusal", message: 'finish_reason "content_filter"' });
    expect(read?.turns[1]?.reasoning).toStrictEqual(input.turns[1]?.reasoning);
    expect(read?.turns[1]?.refusal).toBe("I can't help with that.");
    expect(read?.turns[1]?.usage?.reasoningTokens).toBe(12);
    // A turn without reasoning tokens reads back without the field, not with a zero.
    expect(read?.turns[0]).toStrictEqual({ index: 0, role: "user", content: "question" });
    expect((await store.listSamples("run-1", { search: "weigh it" })).total).toBe(1);
  });

  it("reports a stored row that no longer parses instead of guessing", async () => {
    await store.putSample(makeSample("run-1", 0));
    const db = openSqlite(path);
    db.prepare("UPDATE samples SET tier = 'gold' WHERE key = 'key-0'").run();
    db.prepare("UPDATE turns SET role = 'system' WHERE turn_index = 1").run();
    db.close();
    await expect(store.getSample("run-1", "key-0")).rejects.toThrow(
      /corrupt store: stored sample key-0 of run run-1 .*tier/,
    );
    await expect(store.getSample("run-1", "key-0")).rejects.toThrow(/turns\.1\.role/);
    await expect(collect(store.iterateSamples("run-1"))).rejects.toThrow(/corrupt store/);
  });

  it("applies schema defaults to omitted fields", async () => {
    const { flags: _flags, retries: _retries, ...rest } = makeSample("run-1", 0);
    const written = await store.putSample(rest as SampleInput);
    expect(written.flags).toEqual([]);
    expect(written.retries).toBe(0);
    expect((await store.getSample("run-1", "key-0"))?.flags).toEqual([]);
  });

  it("rejects invalid samples with the field named, and samples of unknown runs", async () => {
    await expect(store.putSample(makeSample("run-1", 0, { tier: "gold" as never }))).rejects.toThrow(
      /invalid sample: tier/,
    );
    await expect(store.putSample(makeSample("run-1", 0, { latencyMs: -1 }))).rejects.toThrow(/latencyMs/);
    const twice = makeSample("run-1", 0);
    twice.turns = [twice.turns[0], twice.turns[0]] as SampleInput["turns"];
    await expect(store.putSample(twice)).rejects.toThrow(/turns\[1\]\.index: turn index 0 appears twice/);
    await expect(store.putSample(makeSample("ghost", 0))).rejects.toThrow("run ghost not found");
    expect(countRows("samples")).toBe(0);
    expect(countRows("turns")).toBe(0);
  });

  it("replaces an errored sample re-run later, with its turns, never duplicating rows", async () => {
    await store.putSample(
      makeSample("run-1", 0, {
        status: "errored",
        failure: { kind: "provider_unavailable", message: "529 overloaded" },
        output: null,
        scratchpad: null,
        turns: [{ index: 0, role: "user", content: "first try" }],
        costUsd: null,
        usage: { inputTokens: 0, outputTokens: 0, cacheWriteTokens: 0, cacheReadTokens: 0 },
      }),
    );
    await store.putSample(makeSample("run-1", 1));
    expect(await store.finishedSampleKeys("run-1")).toEqual(new Set(["key-1"]));
    expect(countRows("turns")).toBe(5);

    const retried = await store.putSample(makeSample("run-1", 0, { retries: 1 }));
    expect(countRows("samples", "run_id = ? AND key = ?", "run-1", "key-0")).toBe(1);
    expect(countRows("samples")).toBe(2);
    expect(countRows("turns")).toBe(8);
    expect(await store.getSample("run-1", "key-0")).toEqual(retried);
    expect(await store.finishedSampleKeys("run-1")).toEqual(new Set(["key-0", "key-1"]));
  });

  it("drops the verdicts of a replaced sample: they judged the old transcript", async () => {
    await store.putSample(makeSample("run-1", 0));
    await store.putVerdict(makeVerdict("run-1", "key-0", "tag-compliance"));
    await store.putSample(makeSample("run-1", 0, { output: "a new answer" }));
    expect(await store.getVerdicts("run-1", "key-0")).toEqual([]);
  });

  it("gives the resume set (complete and failed) and keys by status in index order", async () => {
    const statuses = ["complete", "failed", "errored", "complete", "errored"] as const;
    // Written out of order: keys still come back by index.
    for (const index of [4, 2, 0, 3, 1]) {
      const status = statuses[index] ?? "complete";
      await store.putSample(
        makeSample("run-1", index, {
          status,
          failure: status === "complete" ? null : { kind: "no_output", message: "x" },
        }),
      );
    }
    expect(await store.finishedSampleKeys("run-1")).toEqual(new Set(["key-0", "key-1", "key-3"]));
    expect(await store.sampleKeys("run-1")).toEqual(["key-0", "key-1", "key-2", "key-3", "key-4"]);
    expect(await store.sampleKeys("run-1", "errored")).toEqual(["key-2", "key-4"]);
    expect(await store.sampleKeys("run-1", "complete")).toEqual(["key-0", "key-3"]);
    expect(await store.sampleFailureKinds("run-1")).toEqual({ no_output: 3 });
    expect(await store.progress("run-1")).toEqual({ total: 4, complete: 2, failed: 1, errored: 2 });
    expect(await store.finishedSampleKeys("other")).toEqual(new Set());
  });

  it("lets a second connection see committed samples, and nothing of a batch that failed", async () => {
    const reader = openStore(path);
    try {
      expect(await reader.getSample("run-1", "key-0")).toBeUndefined();
      const written = await store.putSample(makeSample("run-1", 0));
      expect(await reader.getSample("run-1", "key-0")).toEqual(written);
      // The second sample names a run that does not exist: the first, written just before it in the
      // same transaction, is rolled back with it.
      await expect(store.putSamples([makeSample("run-1", 1), makeSample("ghost", 2)])).rejects.toThrow(
        "run ghost not found",
      );
      expect(await reader.sampleKeys("run-1")).toEqual(["key-0"]);
      expect(countRows("samples")).toBe(1);
      await store.putSamples([makeSample("run-1", 1), makeSample("run-1", 2)]);
      expect(await reader.sampleKeys("run-1")).toEqual(["key-0", "key-1", "key-2"]);
    } finally {
      await reader.close();
    }
  });

  it("stores a sample unless another connection already finished it, under one write lock", async () => {
    // Two processes resuming one run on one file: the first to finish a sample wins; the other's
    // copy is not written and it is told what is stored.
    const other = openStore(path, { busyTimeoutMs: 50 });
    try {
      const mine = makeSample("run-1", 0, { output: "mine" });
      const theirs = makeSample("run-1", 0, { output: "theirs" });
      expect(await other.putSampleUnlessFinished(theirs)).toEqual({
        stored: true,
        sample: sampleSchema.parse(theirs),
      });
      const outcome = await store.putSampleUnlessFinished(mine);
      expect(outcome.stored).toBe(false);
      expect(outcome.sample.output).toBe("theirs");
      expect((await store.getSample("run-1", "key-0"))?.output).toBe("theirs");
      // An errored sample is not finished: a later attempt replaces it.
      const errored = makeSample("run-1", 1, {
        status: "errored",
        failure: { kind: "provider_error", message: "overloaded" },
        output: null,
      });
      expect((await other.putSampleUnlessFinished(errored)).stored).toBe(true);
      expect(await store.finishedSample("run-1", "key-1")).toBeUndefined();
      const retried = await store.putSampleUnlessFinished(makeSample("run-1", 1));
      expect(retried.stored).toBe(true);
      expect((await other.finishedSample("run-1", "key-1"))?.status).toBe("complete");
      expect(countRows("samples")).toBe(2);
    } finally {
      await other.close();
    }
  });
});

describe("verdicts", () => {
  beforeEach(async () => {
    await store.createRun(makeRun("run-1"));
    for (let index = 0; index < 3; index++) await store.putSample(makeSample("run-1", index));
  });

  it("round-trips a verdict with criteria, quotes, raw outputs and failure", async () => {
    const input: VerdictInput = makeVerdict("run-1", "key-0", "af-reasoning", {
      status: "failed",
      decision: null,
      score: null,
      judgeModel: "anthropic/claude-3-5-sonnet",
      criteria: { awareness: { answer: "Yes", quote: "it would harm" }, commitment: false },
      quotes: ["it would harm"],
      raw: ["<criteria>...</criteria>", "garbled"],
      failure: { kind: "missing_criterion", message: "criterion 4 missing" },
      usage: { inputTokens: 500, outputTokens: 40, cacheWriteTokens: 10, cacheReadTokens: 0 },
      costUsd: 0.002,
    });
    const written = await store.putVerdict(input);
    expect(written).toEqual(verdictSchema.parse(input));
    expect(await store.getVerdicts("run-1", "key-0")).toEqual([written]);
  });

  it("upserts by (run, sample, classifier)", async () => {
    await store.putVerdict(makeVerdict("run-1", "key-0", "tag-compliance", { decision: "refused" }));
    await store.putVerdict(makeVerdict("run-1", "key-0", "af-reasoning", { decision: "no" }));
    const replaced = await store.putVerdict(
      makeVerdict("run-1", "key-0", "tag-compliance", { decision: "compliant" }),
    );
    expect(countRows("verdicts")).toBe(2);
    const verdicts = await store.getVerdicts("run-1", "key-0");
    expect(verdicts.map((verdict) => verdict.classifier)).toEqual(["af-reasoning", "tag-compliance"]);
    expect(verdicts[1]).toEqual(replaced);
    expect(await store.classifierNames("run-1")).toEqual(["af-reasoning", "tag-compliance"]);
  });

  it("rejects verdicts for unknown samples and invalid verdicts", async () => {
    await expect(store.putVerdict(makeVerdict("run-1", "ghost", "x"))).rejects.toThrow(
      "sample ghost of run run-1 not found",
    );
    await expect(
      store.putVerdict(makeVerdict("run-1", "key-0", "x", { status: "maybe" as never })),
    ).rejects.toThrow(/invalid verdict: status/);
  });

  it("iterates verdicts in sample order, optionally for one classifier", async () => {
    for (const key of ["key-2", "key-0", "key-1"]) {
      await store.putVerdict(makeVerdict("run-1", key, "b-judge"));
      await store.putVerdict(makeVerdict("run-1", key, "a-judge"));
    }
    const all = (await collect(store.iterateVerdicts("run-1"))).map(
      (verdict) => `${verdict.sampleKey}/${verdict.classifier}`,
    );
    expect(all).toEqual([
      "key-0/a-judge",
      "key-0/b-judge",
      "key-1/a-judge",
      "key-1/b-judge",
      "key-2/a-judge",
      "key-2/b-judge",
    ]);
    const one = (await collect(store.iterateVerdicts("run-1", "b-judge"))).map(
      (verdict) => verdict.sampleKey,
    );
    expect(one).toEqual(["key-0", "key-1", "key-2"]);
    await store.putVerdict(
      makeVerdict("run-1", "key-1", "b-judge", {
        status: "failed",
        failure: { kind: "no_verdict", message: "" },
      }),
    );
    await store.putVerdict(
      makeVerdict("run-1", "key-2", "b-judge", {
        status: "failed",
        failure: { kind: "no_verdict", message: "" },
      }),
    );
    expect(await store.failureKinds("run-1", "b-judge")).toEqual({ no_verdict: 2 });
    expect(await store.failureKinds("run-1", "a-judge")).toEqual({});
  });
});

describe("sweeps", () => {
  it("creates, gets and lists sweeps newest first", async () => {
    const first = await store.createSweep({
      id: "s1",
      config: { models: ["a", "b"] },
      createdAt: "2026-01-01T00:00:00Z",
    });
    const second = await store.createSweep({ id: "s2", config: [1, 2], createdAt: "2026-01-02T00:00:00Z" });
    expect(await store.getSweep("s1")).toEqual(first);
    expect(first.config).toEqual({ models: ["a", "b"] });
    expect(await store.getSweep("s3")).toBeUndefined();
    expect(await store.listSweeps()).toEqual([second, first]);
    await expect(store.createSweep({ id: "s1", config: {} })).rejects.toThrow("sweep s1 already exists");
    await expect(store.createSweep({ id: "", config: {} })).rejects.toThrow(/invalid sweep: id/);
    expect(typeof (await store.createSweep({ id: "s4", config: null })).createdAt).toBe("string");
  });
});

describe("response cache", () => {
  it("gets what was set, misses otherwise, and overwrites", async () => {
    const cache = store.responseCache();
    const value = {
      texts: ["<OUTPUT>hi</OUTPUT>"],
      stopReason: "end_turn",
      usage: { inputTokens: 5, outputTokens: 3, cacheWriteTokens: 0, cacheReadTokens: 0 },
      model: "claude-3-opus-20240229",
    };
    expect(await cache.get("k1")).toBeUndefined();
    await cache.set("k1", value);
    expect(await cache.get("k1")).toEqual(value);
    await cache.set("k1", { ...value, texts: ["second"] });
    expect((await cache.get("k1"))?.texts).toEqual(["second"]);
    expect(countRows("response_cache")).toBe(1);
    // Another connection shares the same cache.
    const other = openStore(path);
    expect(await other.responseCache().get("k1")).toEqual({ ...value, texts: ["second"] });
    await other.close();
  });

  it("rejects a malformed value and treats a corrupt row as a miss", async () => {
    const cache = store.responseCache();
    await expect(cache.set("k", { texts: "nope" } as never)).rejects.toThrow(
      /invalid cached response: texts/,
    );
    const db = openSqlite(path);
    db.prepare(
      "INSERT INTO response_cache (key, value, created_at) VALUES ('bad', '{not json', 'now')",
    ).run();
    db.prepare(
      "INSERT INTO response_cache (key, value, created_at) VALUES ('odd', '{\"texts\":1}', 'now')",
    ).run();
    db.close();
    expect(await cache.get("bad")).toBeUndefined();
    expect(await cache.get("odd")).toBeUndefined();
  });
});

describe("defaultDbPath", () => {
  it("uses AFLAB_DB when set, else .aflab/aflab.db in the current directory", async () => {
    expect(defaultDbPath({ AFLAB_DB: "/data/x.db" })).toBe("/data/x.db");
    expect(defaultDbPath({})).toBe(join(process.cwd(), ".aflab", "aflab.db"));
    expect(defaultDbPath({ AFLAB_DB: "" })).toBe(join(process.cwd(), ".aflab", "aflab.db"));
  });
});

describe("openStore", () => {
  it("works in memory and rejects an empty path", async () => {
    const memory = openStore(":memory:");
    await memory.createRun(makeRun("m"));
    expect((await memory.requireRun("m")).id).toBe("m");
    await memory.close();
    await memory.close();
    expect(() => openStore("")).toThrow(/invalid store path/);
  });
});

describe("read-only stores", () => {
  it("read a file without writing to it or beside it, and refuse writes with a clear message", async () => {
    await store.createRun(makeRun("run-1"));
    await store.putSample(makeSample("run-1", 0));
    await store.close();
    const before = readFileSync(path);
    chmodSync(path, 0o444);
    chmodSync(directory, 0o555);
    const archive = openStore(path, { readOnly: true });
    try {
      expect(archive.readOnly).toBe(true);
      expect((await archive.requireRun("run-1")).id).toBe("run-1");
      expect(await archive.sampleKeys("run-1")).toEqual(["key-0"]);
      await expect(archive.putSample(makeSample("run-1", 1))).rejects.toThrow(
        `the store ${path} is open read-only`,
      );
      await expect(archive.deleteRun("run-1")).rejects.toThrow(InputError);
    } finally {
      await archive.close();
      chmodSync(directory, 0o755);
      chmodSync(path, 0o644);
    }
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(readdirSync(directory)).toEqual(["aflab.db"]);
    expect(() => openStore(join(directory, "missing.db"), { readOnly: true })).toThrow();
    expect(existsSync(join(directory, "missing.db"))).toBe(false);
    store = openStore(path);
  });
});
