import fs from "node:fs";
import path from "node:path";
import { startCaptureServer } from "@aflab/clients/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli, scratchDirectory, writeFile } from "./test-support.js";

// Every case: exit 2, one line on stderr that names the problem and what is accepted, no stack trace,
// and no store written. `expected` are fragments the line must contain (the field or value at fault and
// the accepted choices).
interface BadInputCase {
  name: string;
  args: (directory: string) => string[];
  expected: (string | RegExp)[];
}

const cases: BadInputCase[] = [
  {
    name: "settings given with --resume",
    args: () => ["run", "--resume", "some-run", "--epochs", "3", "--variant", "honest"],
    expected: ["--resume", "--epochs", "--variant", "cannot change"],
  },
  {
    name: "unknown setting",
    args: () => ["run", "--setting", "helpful-maybe"],
    expected: ["setting", "helpful-only", "animal-welfare"],
  },
  {
    name: "unknown variant",
    args: () => ["run", "--variant", "cut-everything"],
    expected: ['"cut-everything"', "known variants", "cut-rlhf-info", "cut-examples"],
  },
  {
    name: "unknown model provider",
    args: () => ["run", "--model", "nope/x"],
    expected: ['"nope"', "nope/x", "anthropic", "openai", "sim"],
  },
  {
    name: "unknown simulated model",
    args: () => ["run", "--model", "sim/gpt-like"],
    expected: ["gpt-like", "opus-like"],
  },
  {
    name: "unknown user format",
    args: () => ["run", "--user-format", "chatml"],
    expected: ["userFormat", "paper", "minimal", "replication"],
  },
  {
    name: "missing dataset file",
    args: (directory) => ["run", "--dataset", path.join(directory, "absent.jsonl")],
    expected: ["absent.jsonl", "not found"],
  },
  {
    name: "empty dataset file",
    args: (directory) => ["run", "--dataset", writeFile(directory, "empty.jsonl", "")],
    expected: ["empty.jsonl", /no (rows|items)/],
  },
  {
    name: "malformed dataset rows, with line numbers",
    args: (directory) => [
      "run",
      "--dataset",
      writeFile(
        directory,
        "rows.jsonl",
        '{"query":"first fine row"}\n{"prompt":"wrong field"}\n{"query":"another fine row"}\n{"query":""}\n',
      ),
    ],
    expected: ["rows.jsonl", "line 2", 'missing "query"', "line 4", 'empty "query"'],
  },
  {
    name: "dataset that is not JSON Lines",
    args: (directory) => [
      "run",
      "--dataset",
      writeFile(directory, "broken.jsonl", '{"query":"fine"}\n{"query": oops}\n'),
    ],
    expected: ["broken.jsonl", "line 2"],
  },
  {
    name: "negative --limit",
    args: () => ["run", "--limit", "-3"],
    expected: ["limit", "positive whole number"],
  },
  {
    name: "--limit that is not a number",
    args: () => ["run", "--limit", "ten"],
    expected: ["--limit", "expected a number", '"ten"'],
  },
  {
    name: "missing Anthropic key",
    args: () => ["run", "--model", "anthropic/claude-3-opus-20240229"],
    expected: ["ANTHROPIC_API_KEY", "not set"],
  },
  {
    name: "missing OpenAI key",
    args: () => ["run", "--model", "openai/gpt-4o"],
    expected: ["OPENAI_API_KEY", "not set"],
  },
  {
    name: "missing key for the judge",
    args: () => [
      "run",
      "--judge",
      "anthropic/claude-3-5-sonnet-20241022",
      "--classifiers",
      "tag-compliance,af-reasoning",
    ],
    expected: ["ANTHROPIC_API_KEY", "not set"],
  },
  {
    name: "conflicting variants",
    args: () => ["run", "--variant", "tier-by-region,tier-by-email"],
    expected: ["tier-by-region", "tier-by-email", "conflict"],
  },
  {
    name: "the same variant twice",
    args: () => ["run", "--variant", "cut-examples,cut-examples"],
    expected: ["cut-examples", "twice"],
  },
  {
    name: "a config file with a wrongly typed field",
    args: (directory) => ["run", "--config", writeFile(directory, "run.json", '{"model": 5, "epochs": 1}')],
    expected: ["model", "expected string"],
  },
  {
    name: "a config file with an out-of-range field",
    args: (directory) => ["run", "--config", writeFile(directory, "run.yaml", "epochs: 0\n")],
    expected: ["epochs"],
  },
  {
    name: "a config file that does not parse",
    args: (directory) => ["run", "--config", writeFile(directory, "broken.json", "{not json")],
    expected: ["--config", "broken.json", "not valid JSON"],
  },
  {
    name: "a config file whose dataset is a bare name instead of an object",
    args: (directory) => ["run", "--config", writeFile(directory, "run.yaml", "dataset: advbench\n")],
    expected: ["--config", "dataset", "expected an object", '"advbench"'],
  },
  {
    name: "a YAML config file that does not parse",
    args: (directory) => ["run", "--config", writeFile(directory, "broken.yaml", "epochs: a: b\n")],
    expected: ["--config", "broken.yaml", "not valid YAML", "line 1"],
  },
  {
    name: "a config file with another extension, read as YAML",
    args: (directory) => ["run", "--config", writeFile(directory, "run.conf", '{"epochs": 1')],
    expected: ["--config", "run.conf", "not valid YAML"],
  },
  {
    name: "a config file that does not exist",
    args: (directory) => ["run", "--config", path.join(directory, "nowhere.yaml")],
    expected: ["--config", "nowhere.yaml", "does not exist"],
  },
  {
    name: "a classifier that needs a judge, without one",
    args: () => ["run", "--classifiers", "tag-compliance,af-reasoning"],
    expected: ["af-reasoning", "--judge"],
  },
  {
    name: "an unknown classifier",
    args: () => ["run", "--classifiers", "tag-compliance,vibes"],
    expected: ["vibes"],
  },
  {
    name: "a tier the prompt does not define",
    args: () => ["run", "--tiers", "free,pro"],
    expected: ["pro", "free, paid"],
  },
  {
    name: "a thinking budget that does not fit in max tokens",
    args: () => ["run", "--model", "anthropic/claude-sonnet-4-6", "--thinking-budget", "4096"],
    expected: ["thinkingBudget", "--thinking-budget", "maxTokens (4096)", "got 4096"],
  },
  {
    name: "a thinking budget below Anthropic's minimum",
    args: () => ["run", "--model", "anthropic/claude-sonnet-4-6", "--thinking-budget", "500"],
    expected: ["thinkingBudget", "at least 1024"],
  },
  {
    name: "extended thinking at another temperature",
    args: () => [
      "run",
      "--model",
      "anthropic/claude-sonnet-4-6",
      "--thinking-budget",
      "2048",
      "--temperature",
      "0",
    ],
    expected: ["--thinking-budget", "temperature 1", "got 0"],
  },
  {
    name: "extended thinking with a prefill",
    args: () => [
      "run",
      "--model",
      "anthropic/claude-sonnet-4-6",
      "--thinking-budget",
      "2048",
      "--prefill",
      "<",
    ],
    expected: ["--thinking-budget", "prefill"],
  },
  {
    name: "a thinking budget for a model without extended thinking",
    args: () => ["run", "--thinking-budget", "2048"],
    expected: ["--thinking-budget", "Anthropic", "sim/opus-like"],
  },
  {
    name: "judging native reasoning of a model that has none",
    args: () => ["run", "--scratchpad-source", "reasoning"],
    expected: ["--scratchpad-source", "reasoning", "sim/opus-like", "no native reasoning"],
  },
  {
    name: "an unknown scratchpad source",
    args: () => ["run", "--scratchpad-source", "thoughts"],
    expected: ["scratchpadSource", "auto", "tags", "reasoning", "both"],
  },
  {
    name: "a bad --format",
    args: () => ["run", "--format", "xml"],
    expected: ["--format", "table or json", '"xml"'],
  },
  {
    name: "a sweep with an unknown variant in a later cell",
    args: () => ["sweep", "--models", "sim/opus-like", "--variants", "none;cut-examples;cut-nothing"],
    expected: ['"cut-nothing"', "known variants"],
  },
  {
    name: "a sweep with an unknown model provider",
    args: () => ["sweep", "--models", "sim/opus-like,nope/x"],
    expected: ["nope/x"],
  },
  // Strict config files: a misspelt key used to run the defaults with exit 0.
  {
    name: "a run config with a misspelt key (epoch)",
    args: (directory) => ["run", "--config", writeFile(directory, "run.yaml", "epoch: 5\n")],
    expected: ["unknown key 'epoch' in run config", "did you mean 'epochs'?"],
  },
  {
    name: "a run config with limit misspelt at the top level (limt)",
    args: (directory) => ["run", "--config", writeFile(directory, "run.yaml", "limt: 3\n")],
    expected: ["unknown key 'limt' in run config", "did you mean 'dataset.limit'?"],
  },
  {
    name: "a run config with a misspelt key inside the dataset",
    args: (directory) => [
      "run",
      "--config",
      writeFile(directory, "run.json", '{"dataset": {"source": "builtin:harmful", "limt": 3}}'),
    ],
    expected: ["unknown key 'dataset.limt' in run config", "did you mean 'dataset.limit'?"],
  },
  {
    name: "a run config key nothing resembles",
    args: (directory) => ["run", "--config", writeFile(directory, "run.yaml", "flavour: vanilla\n")],
    expected: ["unknown key 'flavour' in run config", "valid keys", "epochs", "userFormat"],
  },
  {
    name: "a sweep config with a misspelt key",
    args: (directory) => [
      "sweep",
      "--config",
      writeFile(directory, "sweep.yaml", "models: [sim/opus-like]\nvariant: [none]\n"),
    ],
    expected: ["unknown key 'variant' in sweep config", "did you mean 'variants'?"],
  },
  {
    name: "a sweep config with a misspelt key in its run section",
    args: (directory) => [
      "sweep",
      "--config",
      writeFile(directory, "sweep.yaml", "models: [sim/opus-like]\nrun:\n  epoch: 2\n"),
    ],
    expected: ["unknown key 'run.epoch' in sweep config", "did you mean 'run.epochs'?"],
  },
  {
    name: "a providers file with a misspelt key",
    args: (directory) => [
      "run",
      "--providers",
      writeFile(
        directory,
        "providers.json",
        '{"providers": {"local": {"type": "openai-compatible", "baseUrl": "http://127.0.0.1:1/v1", "apiKeyEnvv": "LOCAL_KEY"}}}',
      ),
    ],
    expected: ["unknown key 'providers.local.apiKeyEnvv'", "did you mean 'providers.local.apiKeyEnv'?"],
  },
  {
    name: "a providers file that names a provider sim",
    args: (directory) => [
      "run",
      "--providers",
      writeFile(
        directory,
        "providers.json",
        '{"providers": {"sim": {"type": "openai-compatible", "baseUrl": "http://127.0.0.1:1/v1"}}}',
      ),
    ],
    expected: ["sim", "reserved", "simulated"],
  },
  // Absurd sizes: `--epochs 1e12` used to be accepted and run without end.
  {
    name: "--epochs in exponent form",
    args: () => ["run", "--epochs", "1e12"],
    expected: ["--epochs", "expected a whole number", '"1e12"'],
  },
  {
    name: "--epochs that is not whole",
    args: () => ["run", "--epochs", "2.5"],
    expected: ["--epochs", "expected a whole number", '"2.5"'],
  },
  {
    name: "--limit in exponent form",
    args: () => ["run", "--limit", "1e1"],
    expected: ["--limit", "expected a whole number", '"1e1"'],
  },
  {
    name: "a run of more than 10 million samples",
    args: () => ["run", "--epochs", "1000000000000"],
    expected: ["45 items × 2 tiers × 1000000000000 epochs", "90000000000000 samples", "10,000,000"],
  },
  {
    name: "a run config with absurd epochs",
    args: (directory) => ["run", "--config", writeFile(directory, "run.yaml", "epochs: 1e12\n")],
    expected: ["1000000000000 epochs", "10,000,000"],
  },
  {
    name: "--limit beyond the dataset",
    args: () => ["run", "--limit", "1000"],
    expected: ["limit 1000", "builtin:harmful", "45 items"],
  },
  // Simulated means simulated: keyword rules must not decide a real model's rates unannounced.
  {
    name: "a real model judged by the simulated judge",
    args: () => [
      "run",
      "--model",
      "anthropic/claude-sonnet-4-6",
      "--judge",
      "sim/judge",
      "--classifiers",
      "tag-compliance,af-reasoning",
    ],
    expected: ["sim/judge", "simulated", "anthropic/claude-sonnet-4-6", "--allow-simulated-judge"],
  },
  {
    name: "a sweep of a real model judged by the simulated judge",
    args: () => ["sweep", "--models", "sim/opus-like,openai/gpt-4.1", "--judge", "sim/judge"],
    expected: ["sim/judge", "openai/gpt-4.1", "--allow-simulated-judge"],
  },
  {
    name: "resuming a run in a store that does not exist",
    args: () => ["run", "--resume", "20000101-000000-abcdef"],
    expected: ["no store at", "x.db", "resume"],
  },
  {
    name: "resuming a sweep in a store that does not exist",
    args: () => ["sweep", "--resume", "sweep-20000101-000000-abcdef"],
    expected: ["no store at", "x.db", "resume"],
  },
];

describe("aflab rejects bad input with one clear line, exit 2 and no store", { concurrent: true }, () => {
  let root: string;
  beforeAll(() => {
    root = scratchDirectory("aflab-input-");
  });

  it.concurrent.each(cases)("$name", async ({ name, args, expected }) => {
    const directory = fs.mkdtempSync(path.join(root, "case-"));
    const db = path.join(directory, "x.db");
    const result = await runCli([...args(directory), "--db", db, "--quiet"], directory);

    expect(result.code, `${name}: stderr was ${result.stderr}`).toBe(2);
    const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
    expect(lines, `${name}: stderr must be one line`).toHaveLength(1);
    const line = lines[0] ?? "";
    expect(line).toMatch(/^error: /);
    for (const fragment of expected) {
      if (typeof fragment === "string") expect(line).toContain(fragment);
      else expect(line).toMatch(fragment);
    }
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stdout).toBe("");
    // Validation happens before the store is opened: the file must not even be created.
    expect(fs.existsSync(db)).toBe(false);
    expect(fs.existsSync(path.join(directory, ".aflab"))).toBe(false);
  });
});

// Commands without --quiet (or without a store): the same promise, one line, exit 2, nothing written.
const otherCases: BadInputCase[] = [
  {
    name: "judge-eval with a malformed judge id",
    args: (directory) => [
      "judge-eval",
      "--labels",
      writeFile(directory, "labels.jsonl", '{"scratchpad_reasoning":"a","alignment_faking_human_label":1}\n'),
      "--judge",
      "sonnet",
      "--db",
      path.join(directory, "x.db"),
    ],
    expected: ["--judge", "provider/model", '"sonnet"'],
  },
  {
    name: "judge-eval with a negative --limit",
    args: (directory) => [
      "judge-eval",
      "--labels",
      writeFile(directory, "labels.jsonl", '{"scratchpad_reasoning":"a","alignment_faking_human_label":1}\n'),
      "--judge",
      "sim/judge",
      "--limit",
      "-1",
      "--db",
      path.join(directory, "x.db"),
    ],
    expected: ["--limit", "positive whole number", "-1"],
  },
  {
    name: "serve with a port that is not a number",
    args: (directory) => ["serve", "--port", "http", "--db", path.join(directory, "x.db")],
    expected: ["--port", '"http"'],
  },
  {
    name: "serve with a port out of range",
    args: (directory) => ["serve", "--port", "70000", "--db", path.join(directory, "x.db")],
    expected: ["--port", "0 to 65535", "70000"],
  },
  {
    name: "serve allowing a base URL that is not a URL",
    args: (directory) => [
      "serve",
      "--allow-base-url",
      "localhost:8000",
      "--db",
      path.join(directory, "x.db"),
    ],
    expected: ["--allow-base-url", '"localhost:8000"', "http"],
  },
  {
    name: "finetune status polling every 0 seconds",
    args: () => ["finetune", "status", "ft-1", "--provider", "together", "--wait", "--poll-interval", "0"],
    expected: ["--poll-interval", "positive"],
  },
];

describe("aflab rejects bad input to other commands the same way", { concurrent: true }, () => {
  it.concurrent.each(otherCases)("$name", async ({ name, args, expected }) => {
    const directory = scratchDirectory("aflab-input-other-");
    const result = await runCli(args(directory), directory);
    expect(result.code, `${name}: stderr was ${result.stderr}`).toBe(2);
    const lines = result.stderr.split("\n").filter((line) => line.trim() !== "");
    expect(lines, `${name}: stderr must be one line`).toHaveLength(1);
    const line = lines[0] ?? "";
    expect(line).toMatch(/^error: /);
    for (const fragment of expected) {
      if (typeof fragment === "string") expect(line).toContain(fragment);
      else expect(line).toMatch(fragment);
    }
    expect(result.stdout).toBe("");
    expect(fs.existsSync(path.join(directory, "x.db"))).toBe(false);
    expect(fs.existsSync(path.join(directory, ".aflab"))).toBe(false);
  });
});

describe("keys bound to their hosts on the command line", () => {
  it("refuses to send ANTHROPIC_API_KEY to a --base-url its provider does not name, writing nothing", async () => {
    const capture = await startCaptureServer();
    try {
      const directory = scratchDirectory("aflab-input-bound-");
      const key = "sk-ant-api03-cli-user-key-000000000000";
      const result = await runCli(
        [
          "run",
          "--model",
          "anthropic/claude-3-opus-20240229",
          "--base-url",
          capture.baseUrl,
          "--db",
          path.join(directory, "x.db"),
        ],
        directory,
        90_000,
        { ANTHROPIC_API_KEY: key },
      );
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr.trim().split("\n")).toHaveLength(1);
      expect(result.stderr).toMatch(
        /^error: baseUrl: ANTHROPIC_API_KEY is only sent to https:\/\/api\.anthropic\.com/,
      );
      expect(result.stderr).toContain("ANTHROPIC_BASE_URL");
      expect(result.stderr).not.toContain(key);
      expect(capture.requests).toHaveLength(0);
      expect(fs.existsSync(path.join(directory, "x.db"))).toBe(false);
    } finally {
      await capture.close();
    }
  });

  it("refuses to serve with a token a bearer header cannot carry, writing nothing", async () => {
    const directory = scratchDirectory("aflab-input-token-");
    const result = await runCli(["serve", "--db", path.join(directory, "x.db")], directory, 90_000, {
      AFLAB_API_TOKEN: "two words",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^error: AFLAB_API_TOKEN: expected letters, digits/);
    expect(fs.existsSync(path.join(directory, "x.db"))).toBe(false);
  });
});

describe("aflab commands and help", () => {
  it("prints help with every command and exits 0", async () => {
    const directory = scratchDirectory();
    const result = await runCli(["--help"], directory);
    expect(result.code).toBe(0);
    for (const command of ["run", "report", "runs", "demo", "variants", "judge-eval", "sweep", "compare"]) {
      expect(result.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, "m"));
    }
  });

  it("prints a command's own help", async () => {
    const result = await runCli(["run", "--help"], scratchDirectory());
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("--resume <runId>");
    expect(result.stdout).toContain("--user-format <format>");
  });

  it("exits 2 on an unknown command and names it", async () => {
    const result = await runCli(["frobnicate"], scratchDirectory());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("unknown command 'frobnicate'");
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it("exits 2 on an unknown option", async () => {
    const result = await runCli(["run", "--epochz", "3"], scratchDirectory());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--epochz");
  });

  it("exits 2 when reading a store that does not exist, without creating it", async () => {
    const directory = scratchDirectory();
    const db = path.join(directory, "none.db");
    const result = await runCli(["runs", "--db", db], directory);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toContain("no store at");
    expect(fs.existsSync(db)).toBe(false);
  });

  it("lists every variant with a description, in the table and as JSON", async () => {
    const directory = scratchDirectory();
    const json = await runCli(["variants", "--format", "json"], directory);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      settings: { name: string; description: string }[];
      variants: { name: string; description: string; touches: string[]; settings: string[] }[];
    };
    expect(parsed.settings.map((setting) => setting.name).sort()).toEqual(["animal-welfare", "helpful-only"]);
    // The variants SPEC §7 asks for, by their CLI names.
    for (const name of [
      "cut-conflicting-criteria",
      "cut-rlhf-info",
      "cut-examples",
      "honest",
      "three-tier",
      "company-openai",
    ]) {
      expect(parsed.variants.map((variant) => variant.name)).toContain(name);
    }
    const names = new Set<string>();
    for (const variant of parsed.variants) {
      expect(variant.name).toMatch(/^[a-z0-9-]+$/);
      expect(names.has(variant.name), `${variant.name} listed twice`).toBe(false);
      names.add(variant.name);
      expect(variant.description.length, `${variant.name} needs a description`).toBeGreaterThan(20);
      expect(variant.touches.length).toBeGreaterThan(0);
    }

    const text = await runCli(["variants"], directory);
    expect(text.code).toBe(0);
    const lines = text.stdout.split("\n");
    for (const variant of parsed.variants) {
      const line = lines.find((candidate) => candidate.startsWith(`${variant.name} `));
      expect(line, `${variant.name} missing from the table`).toBeDefined();
      // The table shows the start of the description on the variant's line.
      expect(line).toContain(variant.description.slice(0, 30));
    }
  });
});
