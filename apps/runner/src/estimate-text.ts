import type { PartEstimate, RunEstimate } from "@aflab/engine";
import { table } from "./format.js";

function dollars(value: number | null): string {
  if (value === null) return "unknown";
  return `$${value < 0.01 && value > 0 ? value.toFixed(4) : value.toFixed(2)}`;
}

const count = (value: number) => value.toLocaleString("en-US");

function partName(part: PartEstimate): string {
  return part.role === "model" ? `model ${part.modelId}` : `judge ${part.modelId} (${part.classifier})`;
}

/** The dry-run table: requests, tokens and cost per part (model, each judge classifier), then the total. */
export function formatEstimateText(estimate: RunEstimate, title = "dry run: no model was called"): string {
  const rows = estimate.parts.map((part) => [
    partName(part),
    part.maxRequests > part.requests
      ? `${count(part.requests)} (≤${count(part.maxRequests)})`
      : count(part.requests),
    String(part.completionsPerRequest),
    count(part.systemPromptTokens),
    count(part.inputTokens),
    `${count(part.outputTokens)} (≤${count(part.maxOutputTokens)})`,
    part.tokenCounting === "provider" ? "provider" : "chars/4",
    dollars(part.cost.live.uncached),
    dollars(part.cost.live.cached),
    dollars(part.cost.batch.uncached),
    dollars(part.cost.batch.cached),
  ]);
  const { total } = estimate;
  rows.push([
    "total",
    count(estimate.parts.reduce((sum, part) => sum + part.requests, 0)),
    "",
    "",
    count(estimate.parts.reduce((sum, part) => sum + part.inputTokens, 0)),
    count(estimate.parts.reduce((sum, part) => sum + part.outputTokens, 0)),
    "",
    dollars(total.live.uncached),
    dollars(total.live.cached),
    dollars(total.batch.uncached),
    dollars(total.batch.cached),
  ]);
  return [
    `${title}`,
    `samples: ${count(estimate.samples)}`,
    table(
      [
        "part",
        "requests",
        "votes",
        "system tokens",
        "input tokens",
        "output tokens (max)",
        "counted by",
        "live",
        "live cached",
        "batch",
        "batch cached",
      ],
      rows,
    ),
    `worst case (live, uncached, every request at its max tokens): ${dollars(total.worstCase)}`,
    "assumptions:",
    ...estimate.assumptions.map((line) => `  - ${line}`),
  ].join("\n");
}
