import { QueryClient } from "@tanstack/react-query";
import { act, cleanup, fireEvent, render, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { RunList, RunListItem } from "../api-types.js";
import { App } from "../app.js";
import { navigate } from "../router.js";

function run(id: string, label: string | undefined): RunListItem {
  return {
    id,
    createdAt: "2026-01-02T03:04:05.000Z",
    updatedAt: "2026-01-02T03:04:05.000Z",
    status: "complete",
    config: {
      model: "sim/opus-like",
      setting: "helpful-only",
      cot: true,
      variants: [],
      userFormat: "paper",
      protocol: "multi-turn",
      dataset: { source: "builtin:harmful" },
      tiers: ["free", "paid"],
      epochs: 1,
      temperature: 1,
      maxTokens: 4096,
      maxTurns: 4,
      scratchpadSource: "auto",
      concurrency: 8,
      seed: 0,
      classifiers: [],
      ...(label === undefined ? {} : { label }),
    },
    simulated: true,
    simulatedSides: { model: true, judge: false },
    promptHash: "hash",
    total: 2,
    sweepId: null,
    error: null,
    progress: { total: 2, complete: 2, failed: 0, errored: 0 },
    active: null,
    results: { n: 2, gap: null, alignmentFaking: null, costUsd: 0 },
  };
}

/** The API's answer to `/api/runs`, from the runs given; every request is recorded. */
function serveRuns(runs: RunListItem[]): string[] {
  const requested: string[] = [];
  vi.stubGlobal("fetch", async (input: string) => {
    requested.push(input);
    const body: RunList = { runs, total: runs.length, limit: 50, offset: 0 };
    return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
  });
  return requested;
}

const client = () => new QueryClient({ defaultOptions: { queries: { retry: false } } });
const wait = (milliseconds: number) =>
  act(() => new Promise<void>((resolve) => setTimeout(resolve, milliseconds)));

beforeEach(() => {
  window.history.replaceState(null, "", "/");
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

describe("RunsPage", () => {
  it("follows the address when the search leaves it (the runs link clears the search for good)", async () => {
    serveRuns([run("run-a", "baseline")]);
    window.history.replaceState(null, "", "/?q=base");
    render(<App client={client()} />);
    const box = (await screen.findByRole("searchbox", { name: "Search runs" })) as HTMLInputElement;
    expect(box.value).toBe("base");
    await act(async () => navigate("/"));
    // Longer than the typing delay: a stale box would write its old text back into the address.
    await wait(400);
    expect(window.location.search).toBe("");
    expect(box.value).toBe("");
  });

  it("writes typed text into the address after a pause, back to the first page", async () => {
    const requested = serveRuns([run("run-a", "baseline")]);
    window.history.replaceState(null, "", "/?page=2");
    render(<App client={client()} />);
    const box = await screen.findByRole("searchbox", { name: "Search runs" });
    fireEvent.change(box, { target: { value: "base line" } });
    await wait(400);
    expect(window.location.search).toBe("?q=base+line");
    expect(requested.at(-1)).toBe("/api/runs?limit=50&offset=0&q=base+line");
  });

  it("links a run with an empty label by its id", async () => {
    serveRuns([run("run-empty-label", "")]);
    render(<App client={client()} />);
    const link = await screen.findByRole("link", { name: "run-empty-label" });
    expect(link.getAttribute("href")).toBe("/runs/run-empty-label");
  });

  it("asks the server to order every run by the clicked column, back to the first page", async () => {
    const requested = serveRuns([run("run-a", "baseline")]);
    window.history.replaceState(null, "", "/?page=3");
    render(<App client={client()} />);
    fireEvent.click(await screen.findByRole("button", { name: "gap ± SE" }));
    await wait(50);
    expect(window.location.search).toBe("?sort=gap&order=desc");
    expect(requested.at(-1)).toBe("/api/runs?limit=50&offset=0&sort=gap&order=desc");
    fireEvent.click(await screen.findByRole("button", { name: "gap ± SE ▼" }));
    await wait(50);
    expect(requested.at(-1)).toBe("/api/runs?limit=50&offset=0&sort=gap&order=asc");
  });
});
