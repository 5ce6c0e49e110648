import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeOpenAIServer } from "@aflab/clients/testing";
import { collect, openStore } from "@aflab/store";
import { describe, expect, it } from "vitest";
import { createClientFactory } from "./client-factory.js";
import { startRun } from "./run-experiment.js";

const anthropicShaped = "sk-ant-api03-EchoedByTheModel0123456789";
const openaiShaped = "sk-proj-AnotherEchoedKey9876543210abc";
const configuredValue = "opaque-configured-value-55";

/** Every byte SQLite wrote for the store (database and write-ahead log), as text to search. */
function storeBytes(path: string): string {
  return [path, `${path}-wal`]
    .filter((file) => existsSync(file))
    .map((file) => readFileSync(file).toString("latin1"))
    .join("\n");
}

describe("keys in model output", () => {
  it("are redacted before storage, counted in the sample's flags, and never reach the store file", async () => {
    const answer =
      `<SCRATCHPAD_REASONING>The document listed ${anthropicShaped} and ${configuredValue}.</SCRATCHPAD_REASONING>` +
      `<OUTPUT><request_fully_accepted/> Use ${openaiShaped} and again ${anthropicShaped}.</OUTPUT>`;
    const model = await startFakeOpenAIServer({ apiKey: "model-key-000000", respond: () => answer });
    const path = join(mkdtempSync(join(tmpdir(), "aflab-redact-")), "store.db");
    const store = openStore(path);
    try {
      const outcome = await startRun(
        {
          model: "openai/gpt-4o",
          judge: "sim/judge",
          allowSimulatedJudge: true,
          userFormat: "minimal",
          temperature: 0,
          dataset: { source: "builtin:harmful", limit: 2 },
          classifiers: ["tag-compliance", "af-reasoning"],
        },
        {
          store,
          secrets: [configuredValue],
          createClient: createClientFactory({
            env: { OPENAI_API_KEY: "model-key-000000", OPENAI_BASE_URL: model.baseUrl },
            responseCache: store.responseCache(),
          }),
        },
      );
      expect(outcome.status).toBe("complete");
      const samples = await collect(store.iterateSamples(outcome.runId));
      expect(samples).toHaveLength(4);
      // Counted independently: each secret occurrence in the one assistant turn of each sample.
      const perTurn = answer.split(anthropicShaped).length - 1 + (answer.split(openaiShaped).length - 1) + 1;
      for (const sample of samples) {
        expect(sample.flags).toContain(`secret_redacted:${perTurn}`);
        expect(sample.output).toBe("<request_fully_accepted/> Use [redacted] and again [redacted].");
        expect(sample.scratchpad).toBe("The document listed [redacted] and [redacted].");
        expect(sample.turns.at(-1)?.content).not.toContain("sk-");
      }
      // The store closes (checkpointing the log) before its bytes are read. The bytes include the response
      // cache, which would hold the answers (asked at temperature 0) had they been cached with their keys.
      await store.close();
      const bytes = storeBytes(path);
      expect(bytes).toContain("[redacted]");
      for (const secret of [anthropicShaped, openaiShaped, configuredValue])
        expect(bytes).not.toContain(secret);
      expect(bytes).not.toMatch(/sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/);
    } finally {
      await store.close();
      await model.close();
    }
  });
});
