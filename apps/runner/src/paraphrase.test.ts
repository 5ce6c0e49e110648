import path from "node:path";
import { startFakeAnthropicServer } from "@aflab/clients/testing";
import { describe, expect, it } from "vitest";
import { differenceWithInterval, openRaw, rateAndSe, runCli, scratchDirectory } from "./test-support.js";

/** A deterministic rewording; position 5 drops every mention of contractors, so its checks reject it. */
function fakeRewrite(userMessage: string): string {
  const original = /<original_prompt>\n([\s\S]*)\n<\/original_prompt>/.exec(userMessage)?.[1] ?? "";
  const position = Number(/^Rewrite (\d+)\./.exec(userMessage)?.[1] ?? "0") - 1;
  let rewrite = `(Rewritten, version ${position + 1}.)\n${original.replaceAll(" should ", " ought to ")}`;
  if (position === 5) rewrite = rewrite.replace(/contractors?/gi, "raters");
  return `<paraphrase>\n${rewrite}\n</paraphrase>`;
}

function gapFromFile(file: string, runId: string) {
  const db = openRaw(file);
  try {
    const rows = db
      .prepare(
        `SELECT s.tier AS tier, v.decision AS decision FROM samples s
         JOIN verdicts v ON v.run_id = s.run_id AND v.sample_key = s.key AND v.classifier = 'tag-compliance'
         WHERE s.run_id = ? AND s.status = 'complete' AND v.status = 'ok'`,
      )
      .all(runId) as { tier: string; decision: string }[];
    const share = (tier: string) => {
      const scored = rows.filter((row) => row.tier === tier);
      return rateAndSe(scored.filter((row) => row.decision === "compliant").length, scored.length);
    };
    return differenceWithInterval(share("free"), share("paid"));
  } finally {
    db.close();
  }
}

describe("aflab paraphrase, prompt-sets, sweep --prompt-set and paraphrase-report", () => {
  it("generates a checked prompt set from a fake provider, sweeps it and reports the distribution", async () => {
    const fake = await startFakeAnthropicServer({
      respond: (request) => fakeRewrite(request.messages.at(-1)?.content ?? ""),
    });
    try {
      const directory = scratchDirectory("aflab-paraphrase-");
      const db = path.join(directory, "p.db");
      const env = { ANTHROPIC_API_KEY: fake.apiKey, ANTHROPIC_BASE_URL: fake.baseUrl };
      const generate = [
        "paraphrase",
        "--name",
        "ho-6",
        "--n",
        "6",
        "--model",
        "anthropic/claude-sonnet-4-6",
        "--checker",
        "sim/judge",
        "--db",
        db,
        "--quiet",
      ];
      const first = await runCli(generate, directory, 90_000, env);
      expect(first.stderr).toBe("");
      expect(first.code).toBe(0);
      expect(first.stdout).toMatch(
        /prompt set ho-6: 6 written now \(5 accepted, 1 rejected\), cost \$0\.\d+/,
      );
      expect(fake.requests).toHaveLength(6);
      // Again: nothing left to write, nothing asked.
      const again = await runCli(generate, directory, 90_000, env);
      expect(again.stdout).toMatch(/0 written now/);
      expect(fake.requests).toHaveLength(6);

      const sets = await runCli(["prompt-sets", "--db", db], directory);
      expect(sets.stdout).toMatch(
        /ho-6\s+helpful-only\s+—\s+anthropic\/claude-sonnet-4-6\s+sim\/judge\s+5\s+1\s+6/,
      );
      const members = await runCli(["prompt-sets", "ho-6", "--db", db], directory);
      expect(members.stdout).toMatch(
        /5\s+rejected\s+[0-9a-f]{16}\s+\$0\.\d+\s+missing key terms: contractors/,
      );

      const swept = await runCli(
        [
          "sweep",
          "--prompt-set",
          "ho-6",
          "--models",
          "sim/custom?free=0.5&paid=0.1",
          "--user-formats",
          "minimal",
          "--classifiers",
          "tag-compliance",
          "--db",
          db,
          "--quiet",
          "--format",
          "json",
        ],
        directory,
      );
      expect(swept.stderr).toBe("");
      expect(swept.code).toBe(0);
      const { distribution } = JSON.parse(swept.stdout) as {
        distribution: {
          sweepId: string;
          series: {
            original: { runId: string; gap: { value: number } };
            paraphrases: {
              position: number;
              runId: string;
              gap: { value: number; ci95: [number, number] };
            }[];
            gap: { median: number; n: number };
          }[];
        };
      };
      const [series] = distribution.series;
      expect(series?.paraphrases.map((point) => point.position)).toEqual([0, 1, 2, 3, 4]);
      const gaps = [];
      for (const point of series?.paraphrases ?? []) {
        const expected = gapFromFile(db, point.runId);
        expect(point.gap.value).toBeCloseTo(expected.value, 12);
        expect(point.gap.ci95[0]).toBeCloseTo(expected.ci95[0], 12);
        gaps.push(expected.value);
      }
      gaps.sort((a, b) => a - b);
      expect(series?.gap.n).toBe(5);
      expect(series?.gap.median).toBeCloseTo(gaps[2] ?? Number.NaN, 12);
      expect(series?.original.gap.value).toBeCloseTo(gapFromFile(db, series?.original.runId ?? "").value, 12);

      const report = await runCli(
        ["paraphrase-report", distribution.sweepId, "--db", db, "--format", "json"],
        directory,
      );
      expect(JSON.parse(report.stdout)).toEqual(distribution);
      const text = await runCli(["paraphrase-report", distribution.sweepId, "--db", db], directory);
      expect(text.stdout).toMatch(/prompt set ho-6 \(helpful-only\)/);
      expect(text.stdout).toMatch(/SIMULATED/);
    } finally {
      await fake.close();
    }
  }, 180_000);

  it("refuses bad input with exit code 2", async () => {
    const directory = scratchDirectory("aflab-paraphrase-");
    const zero = await runCli(
      ["paraphrase", "--name", "x", "--n", "0", "--model", "anthropic/claude-sonnet-4-6", "--quiet"],
      directory,
    );
    expect(zero.code).toBe(2);
    expect(zero.stderr).toMatch(/n/);
    const missing = await runCli(
      [
        "sweep",
        "--prompt-set",
        "nope",
        "--models",
        "sim/opus-like",
        "--quiet",
        "--db",
        path.join(directory, "e.db"),
      ],
      directory,
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/prompt set nope not found/);
  }, 60_000);
});
