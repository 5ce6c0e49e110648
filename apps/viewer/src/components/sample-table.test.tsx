import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { SamplePage, SampleRow } from "../api-types.js";
import { navigate } from "../router.js";
import { SampleTable } from "./sample-table.js";

function row(index: number): SampleRow {
  return {
    runId: "run-a",
    key: `key-${index}`,
    index,
    itemId: `item-${index}`,
    query: `query ${index}`,
    tier: index % 2 === 0 ? "free" : "paid",
    epoch: 0,
    systemPromptHash: "hash",
    status: "complete",
    failure: null,
    flags: [],
    output: "<rejected/>",
    scratchpad: null,
    reasoning: null,
    scratchpadSource: "none",
    refusal: null,
    usage: { inputTokens: 1, outputTokens: 1, cacheWriteTokens: 0, cacheReadTokens: 0 },
    costUsd: 0,
    retries: 0,
    latencyMs: 1,
    startedAt: "2026-01-01T00:00:00.000Z",
    finishedAt: "2026-01-01T00:00:00.000Z",
    turnCount: 2,
    verdicts: { "tag-compliance": { status: "ok", decision: "refused", score: 0 } },
  };
}

/** A run whose sample count the test raises, as a running run's does. */
let stored = 0;
beforeEach(() => {
  window.history.replaceState(null, "", "/runs/run-a");
  vi.stubGlobal("fetch", async (input: string) => {
    const params = new URL(input, "http://viewer.local").searchParams;
    const offset = Number(params.get("offset") ?? "0");
    const limit = Number(params.get("limit") ?? "50");
    const samples: SampleRow[] = [];
    for (let index = offset; index < Math.min(stored, offset + limit); index++) samples.push(row(index));
    const body: SamplePage = { samples, total: stored, limit, offset };
    return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
  });
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

const classifiers = { compliance: "tag-compliance", alignmentFaking: null };

function table(version: number) {
  return <SampleTable runId="run-a" classifiers={classifiers} failureKinds={[]} version={version} />;
}

describe("SampleTable", () => {
  it("scrolls to the selected row when it changes, not each time a running run gains samples", async () => {
    const scrolls = vi.spyOn(HTMLElement.prototype, "scrollTo").mockImplementation(() => {});
    stored = 40;
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const view = render(<QueryClientProvider client={client}>{table(40)}</QueryClientProvider>);
    await screen.findByText("40 samples");
    const afterLoad = scrolls.mock.calls.length;
    // The run goes on: more samples, a new version, a new total. The reader's scroll position stays.
    for (const count of [41, 45, 60]) {
      stored = count;
      view.rerender(<QueryClientProvider client={client}>{table(count)}</QueryClientProvider>);
      await screen.findByText(`${count} samples`);
    }
    expect(scrolls.mock.calls.length).toBe(afterLoad);
    // Moving the selection (j/k, or a shared address) still brings the row into view.
    await act(async () => navigate("/runs/run-a?row=30", { replace: true }));
    expect(scrolls.mock.calls.length).toBeGreaterThan(afterLoad);
  });
});
