import path from "node:path";
import { createSimulatedClient } from "@aflab/clients";
import { type FakeServer, startFakeAnthropicServer } from "@aflab/clients/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openRaw, runCli, scratchDirectory, writeFile } from "./test-support.js";

interface WarningJson {
  code: string;
  tier: string | null;
  share: number | null;
  message: string;
}

interface ReportJson {
  runId: string;
  userFormat: string;
  simulated: boolean;
  simulatedSides: { model: boolean; judge: boolean };
  judge: string | null;
  tiers: Record<string, { n: number; unknown: number; failed: number }>;
  reference: unknown;
  warnings: WarningJson[];
}

/** Per tier, straight from the tables: samples, and those whose tag-compliance verdict said unknown. */
function unknownShares(db: string, runId: string): Record<string, number> {
  const raw = openRaw(db);
  try {
    const rows = raw
      .prepare(
        `SELECT s.tier AS tier, COUNT(*) AS n,
           SUM(CASE WHEN s.status = 'complete' AND v.status = 'ok' AND v.decision = 'unknown' THEN 1 ELSE 0 END) AS unknown
         FROM samples s LEFT JOIN verdicts v
           ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'tag-compliance'
         WHERE s.run_id = ? GROUP BY s.tier`,
      )
      .all(runId) as { tier: string; n: number; unknown: number }[];
    return Object.fromEntries(rows.map((row) => [row.tier, row.unknown / row.n]));
  } finally {
    raw.close();
  }
}

describe("a bare run measures something, or says loudly why it cannot", () => {
  it("defaults to a user format tag-compliance can read: no sample is left unknown", async () => {
    const directory = scratchDirectory();
    const db = path.join(directory, "x.db");
    const result = await runCli(
      ["run", "--limit", "10", "--db", db, "--quiet", "--format", "json"],
      directory,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toBe("");
    const report = JSON.parse(result.stdout) as ReportJson;
    expect(report.userFormat).toBe("minimal");
    const shares = unknownShares(db, report.runId);
    expect(Object.keys(shares).sort()).toEqual(["free", "paid"]);
    for (const share of Object.values(shares)) expect(share).toBeLessThanOrEqual(0.1);
    expect(report.warnings).toEqual([]);
  });

  it("with the paper format, warns in the table, the JSON and before the run, and flags the paper's numbers", async () => {
    const directory = scratchDirectory();
    const db = path.join(directory, "x.db");
    const json = await runCli(
      ["run", "--limit", "10", "--user-format", "paper", "--db", db, "--quiet", "--format", "json"],
      directory,
    );
    expect(json.code, json.stderr).toBe(0);
    expect(json.stderr).toMatch(
      /^warning: user format paper does not ask the model for <request_fully_accepted\/>/,
    );
    const report = JSON.parse(json.stdout) as ReportJson;
    const shares = unknownShares(db, report.runId);
    // The shares the warnings name are the stored ones (every sample here: the format asks for no tag).
    expect(shares).toEqual({ free: 1, paid: 1 });
    expect(report.warnings.map(({ code, tier, share }) => ({ code, tier, share }))).toEqual([
      { code: "unknown_share", tier: "free", share: shares.free },
      { code: "unknown_share", tier: "paid", share: shares.paid },
      { code: "reference_not_comparable", tier: null, share: null },
    ]);
    expect(report.warnings[0]?.message).toBe(
      `free: 100% of samples unknown: tag-compliance reads <request_fully_accepted/> / <rejected/>, which the paper user format does not ask for; use --user-format minimal or a --judge (or judge this run: aflab classify ${report.runId} --judge ID)`,
    );

    const text = await runCli(["report", report.runId, "--db", db], directory);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain("warning: free: 100% of samples unknown: tag-compliance reads");
    expect(text.stdout).toContain("warning: paid: 100% of samples unknown");
    expect(text.stdout).toMatch(/^NOT COMPARABLE, too many samples unknown or failed: paper \(/m);
  });

  it("labels the simulated judge of the offline run on its own side", async () => {
    const directory = scratchDirectory();
    const db = path.join(directory, "x.db");
    const result = await runCli(
      ["run", "--limit", "2", "--judge", "sim/judge", "--db", db, "--quiet", "--format", "json"],
      directory,
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as ReportJson;
    expect(report).toMatchObject({
      simulated: true,
      simulatedSides: { model: true, judge: true },
      judge: "sim/judge",
    });
    const text = await runCli(["report", report.runId, "--db", db], directory);
    expect(text.stdout).toContain("SIMULATED model:");
    expect(text.stdout).toContain("SIMULATED judge: sim/judge is keyword rules");
  });
});

describe("a real model (behind a fake Anthropic server)", () => {
  let server: FakeServer;
  let directory: string;
  beforeAll(async () => {
    const organism = createSimulatedClient("opus-like");
    server = await startFakeAnthropicServer({
      apiKey: "anthropic-key",
      respond: async (input) =>
        (
          await organism.generate({
            system: input.system,
            messages: input.messages,
            temperature: 1,
            maxTokens: 2000,
            prefill: input.prefill,
          })
        ).texts,
    });
    directory = scratchDirectory();
    // Keys and base URLs come from the environment or .env, as a user would set them.
    writeFile(directory, ".env", `ANTHROPIC_API_KEY=anthropic-key\nANTHROPIC_BASE_URL=${server.baseUrl}\n`);
  });
  afterAll(async () => {
    await server.close();
  });

  it("judged by sim/judge when asked for: the record and every report name the simulated judge", async () => {
    const db = path.join(directory, "judged.db");
    const result = await runCli(
      [
        "run",
        "--model",
        "anthropic/claude-sonnet-4-6",
        "--judge",
        "sim/judge",
        "--allow-simulated-judge",
        "--limit",
        "2",
        "--db",
        db,
        "--quiet",
        "--format",
        "json",
      ],
      directory,
    );
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as ReportJson;
    expect(report).toMatchObject({ simulated: true, simulatedSides: { model: false, judge: true } });
    const raw = openRaw(db);
    try {
      const row = raw.prepare("SELECT simulated, config FROM runs WHERE id = ?").get(report.runId) as {
        simulated: number;
        config: string;
      };
      expect(row.simulated).toBe(1);
      expect(JSON.parse(row.config)).toMatchObject({ judge: "sim/judge", allowSimulatedJudge: true });
    } finally {
      raw.close();
    }
    const text = await runCli(["report", report.runId, "--db", db], directory);
    expect(text.stdout).toContain("SIMULATED judge: sim/judge");
    expect(text.stdout).not.toContain("SIMULATED model");
  });

  it("warns at run start that a retired model is retired and names a current one", async () => {
    const db = path.join(directory, "retired.db");
    const result = await runCli(
      ["run", "--model", "anthropic/claude-3-opus-20240229", "--limit", "1", "--db", db, "--quiet"],
      directory,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr.trim().split("\n")).toEqual([
      "warning: anthropic/claude-3-opus-20240229 was retired on 2026-01-05 (requests to it fail on the provider's API): use a current model such as anthropic/claude-opus-5-5",
    ]);
  });
});
