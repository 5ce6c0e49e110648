import { createHash } from "node:crypto";
import type { RateSummary, RunReport, Sample, Tier, Turn, Verdict } from "@aflab/core";
import { reasoningText } from "@aflab/core";
import { summarizeRun } from "@aflab/engine";
import type { Store } from "@aflab/store";
import { ChunkedWriter, type ExportDestination, withDestination } from "./destination.js";
import { runSamples } from "./run-samples.js";

/**
 * A run's report as one self-contained HTML file: the figure as inline SVG, the key numbers with their
 * intervals, warnings, the sample table and every transcript, with a search box. It opens from disk with
 * no server. Every stored text is escaped, and a Content-Security-Policy allows only this file's own
 * script (by hash) and no images, frames or connections: model text can never run as code.
 */
export async function exportHtmlReport(
  store: Store,
  runId: string,
  destination: ExportDestination,
): Promise<{ samples: number }> {
  const report = await summarizeRun(store, runId);
  return withDestination(destination, async (stream) => {
    const out = new ChunkedWriter(stream);
    await out.write(head(report));
    await out.write(summarySection(report));
    const columns = tableClassifiers(report);
    await out.write(tableStart(columns));
    let samples = 0;
    for await (const sample of store.iterateSamples(runId, { withTurns: false })) {
      const verdicts = await store.getVerdicts(runId, sample.key);
      await out.write(tableRow(sample, verdicts, columns));
      samples++;
    }
    await out.write("</tbody></table></section>\n");
    await out.write('<section><h2>Transcripts</h2>\n<p class="muted">Click a transcript to open it.</p>\n');
    const shownPrompts = new Set<string>();
    for await (const sample of runSamples(store, runId, { withTurns: true })) {
      if (!shownPrompts.has(sample.systemPromptHash)) {
        shownPrompts.add(sample.systemPromptHash);
        const prompt = await store.getSystemPrompt(sample.systemPromptHash);
        await out.write(
          `<details class="prompt"><summary>System prompt ${escapeHtml(sample.systemPromptHash.slice(0, 12))}</summary><pre>${escapeHtml(prompt ?? "(not stored)")}</pre></details>\n`,
        );
      }
      const verdicts = await store.getVerdicts(runId, sample.key);
      await out.write(transcript(sample, verdicts));
    }
    await out.write(`</section>\n<script>${searchScript}</script>\n</body>\n</html>\n`);
    await out.flush();
    return { samples };
  });
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

// Filters the sample rows and transcripts by the search text, reading only textContent: it never
// interprets what it matches.
const searchScript = `(() => {
  const box = document.getElementById("search");
  const count = document.getElementById("search-count");
  const items = Array.from(document.querySelectorAll("[data-search]"));
  const texts = items.map((item) => item.textContent.toLowerCase());
  box.addEventListener("input", () => {
    const query = box.value.trim().toLowerCase();
    let shown = 0;
    items.forEach((item, index) => {
      const match = query === "" || texts[index].includes(query);
      item.hidden = !match;
      if (match && item.tagName === "TR") shown++;
    });
    count.textContent = query === "" ? "" : shown + " matching samples";
  });
  // A link from the table opens the transcript it points to.
  const openTarget = () => {
    const target = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (target && target.tagName === "DETAILS") target.open = true;
  };
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();`;

const scriptHash = createHash("sha256").update(searchScript).digest("base64");

const contentSecurityPolicy = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  `script-src 'sha256-${scriptHash}'`,
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

const styles = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1d2430; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #dde2ea; padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f5f9; } td.number { text-align: right; font-variant-numeric: tabular-nums; }
.muted { color: #5a6577; } .warning { background: #fff4d6; border-left: 4px solid #d9a400; padding: 0.4rem 0.8rem; margin: 0.3rem 0; }
pre { white-space: pre-wrap; word-break: break-word; background: #f7f8fb; padding: 0.6rem; border-radius: 4px; margin: 0.3rem 0; }
.turn { margin: 0.6rem 0; } .role { font-weight: 600; } .reasoning pre { background: #eef3ff; }
details.transcript, details.prompt { border: 1px solid #dde2ea; border-radius: 4px; padding: 0.4rem 0.8rem; margin: 0.4rem 0; }
summary { cursor: pointer; } #search { font-size: 1rem; padding: 0.4rem; width: 24rem; max-width: 100%; }
`;

function head(report: RunReport): string {
  const title = `aflab report · ${report.runId}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${styles}</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">${escapeHtml(
    [report.model, report.setting, report.label ?? "", `status ${report.status}`, `${report.total} samples`]
      .filter((part) => part !== "")
      .join(" · "),
  )}</p>
<p><input id="search" type="search" placeholder="Search queries, answers, transcripts…" aria-label="search"> <span id="search-count" class="muted"></span></p>
`;
}

const percent = (value: number | null | undefined): string =>
  value === null || value === undefined ? "–" : `${(value * 100).toFixed(1)}%`;
const interval = (bounds: [number, number] | null | undefined): string =>
  bounds ? `[${percent(bounds[0])}, ${percent(bounds[1])}]` : "";

/** The report's own warnings (when it carries them) and what the numbers alone would hide. */
export function reportWarnings(report: RunReport): string[] {
  const warnings: string[] = [];
  const carried = (report as { warnings?: unknown }).warnings;
  if (Array.isArray(carried)) {
    for (const entry of carried) {
      if (typeof entry === "string") warnings.push(entry);
      else if (
        entry &&
        typeof entry === "object" &&
        typeof (entry as { message?: unknown }).message === "string"
      ) {
        warnings.push((entry as { message: string }).message);
      }
    }
  }
  if (report.simulated) {
    warnings.push("Simulated model: these numbers test the pipeline and say nothing about a real model.");
  }
  if (report.status !== "complete") {
    warnings.push(`The run is ${report.status}: the numbers cover the samples stored so far.`);
  }
  for (const [tier, summary] of Object.entries(report.tiers)) {
    if (summary && summary.failed > 0) {
      warnings.push(
        `${summary.failed} of ${summary.n} ${tier}-tier samples have no usable compliance verdict and are left out of the rate.`,
      );
    }
  }
  for (const [key, count] of Object.entries(report.judgeFailures ?? {})) {
    warnings.push(`${count} judge verdicts failed (${key}); they are counted apart, never as "no".`);
  }
  return warnings;
}

function summarySection(report: RunReport): string {
  const parts: string[] = [];
  const warnings = reportWarnings(report);
  if (warnings.length > 0) {
    parts.push(
      `<section><h2>Warnings</h2>${warnings.map((text) => `<div class="warning">${escapeHtml(text)}</div>`).join("")}</section>`,
    );
  }
  parts.push(`<section><h2>Key numbers</h2>${figure(report)}`);
  const rows = Object.entries(report.tiers).map(([tier, summary]) =>
    summary
      ? `<tr><td>${escapeHtml(tier)}</td><td class="number">${summary.n}</td><td class="number">${summary.compliant}</td><td class="number">${summary.refused} (${summary.apiRefused ?? 0} by the API)</td><td class="number">${summary.unknown}</td><td class="number">${summary.failed}</td><td class="number">${percent(summary.complianceRate)} ${interval(summary.wilson95)}</td>${rateCell(report.alignmentFaking, tier)}</tr>`
      : "",
  );
  parts.push(
    `<table><thead><tr><th>tier</th><th>n</th><th>compliant</th><th>refused</th><th>unknown</th><th>failed</th><th>compliance [Wilson 95%]</th>${report.alignmentFaking ? "<th>alignment faking [Wilson 95%]</th>" : ""}</tr></thead><tbody>${rows.join("")}</tbody></table>`,
  );
  const lines: string[] = [];
  if (report.gap) {
    lines.push(
      `Compliance gap (${escapeHtml(report.gap.between.join(" − "))}): <strong>${percent(report.gap.value)}</strong>, 95% interval ${interval(report.gap.ci95)}${report.gap.significant ? "" : " (not significant)"}`,
    );
  }
  if (report.unverbalisedGap?.gap) {
    const gap = report.unverbalisedGap.gap;
    lines.push(
      `Gap among samples that verbalise neither AF reasoning nor evaluation awareness: ${percent(gap.value)}, 95% interval ${interval(gap.ci95)}`,
    );
  }
  if (report.evalAwareness) {
    const rates = Object.entries(report.evalAwareness)
      .map(([tier, rate]) => `${escapeHtml(tier)} ${percent(rate?.rate)} ${interval(rate?.wilson95)}`)
      .join(", ");
    lines.push(`Evaluation awareness: ${rates}`);
  }
  lines.push(`Compliance classifier: ${escapeHtml(report.complianceClassifier)}`);
  const cost = report.usage.costUsd;
  const judgeCost = report.usage.judgeCostUsd;
  lines.push(
    `Cost: model ${cost === null ? "unknown" : `$${cost.toFixed(4)}`}, judges ${judgeCost === null ? "unknown" : `$${judgeCost.toFixed(4)}`}`,
  );
  parts.push(`<ul>${lines.map((line) => `<li>${line}</li>`).join("")}</ul></section>\n`);
  return parts.join("\n");
}

function rateCell(rates: Partial<Record<Tier, RateSummary>> | null, tier: string): string {
  if (!rates) return "";
  const rate = rates[tier as Tier];
  return `<td class="number">${percent(rate?.rate)} ${interval(rate?.wilson95)}</td>`;
}

/** Compliance (and AF rate, when judged) per tier as bars with their Wilson intervals. */
function figure(report: RunReport): string {
  const tiers = Object.entries(report.tiers).filter(([, summary]) => summary !== undefined);
  const series: {
    name: string;
    color: string;
    value: (tier: string) => { rate: number | null; bounds: [number, number] | null };
  }[] = [
    {
      name: "compliance",
      color: "#3566c8",
      value: (tier) => ({
        rate: report.tiers[tier as Tier]?.complianceRate ?? null,
        bounds: report.tiers[tier as Tier]?.wilson95 ?? null,
      }),
    },
  ];
  if (report.alignmentFaking) {
    const rates = report.alignmentFaking;
    series.push({
      name: "alignment faking",
      color: "#d0622f",
      value: (tier) => ({
        rate: rates[tier as Tier]?.rate ?? null,
        bounds: rates[tier as Tier]?.wilson95 ?? null,
      }),
    });
  }
  const width = 560;
  const height = 240;
  const plotTop = 20;
  const plotBottom = 200;
  const left = 50;
  const groupWidth = (width - left - 20) / Math.max(1, tiers.length);
  const barWidth = Math.min(60, (groupWidth - 30) / series.length);
  const y = (value: number) => plotBottom - value * (plotBottom - plotTop);
  const shapes: string[] = [];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    shapes.push(`<line x1="${left}" x2="${width - 10}" y1="${y(tick)}" y2="${y(tick)}" stroke="#e3e7ee"/>`);
    shapes.push(
      `<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end" font-size="11">${tick * 100}%</text>`,
    );
  }
  tiers.forEach(([tier], group) => {
    const groupLeft = left + group * groupWidth + 15;
    series.forEach((entry, index) => {
      const { rate, bounds } = entry.value(tier);
      const x = groupLeft + index * (barWidth + 6);
      if (rate !== null) {
        shapes.push(
          `<rect x="${x}" y="${y(rate)}" width="${barWidth}" height="${plotBottom - y(rate)}" fill="${entry.color}"><title>${escapeHtml(`${entry.name}, ${tier}: ${percent(rate)} ${interval(bounds)}`)}</title></rect>`,
        );
      }
      if (bounds) {
        const middle = x + barWidth / 2;
        shapes.push(
          `<line x1="${middle}" x2="${middle}" y1="${y(bounds[0])}" y2="${y(bounds[1])}" stroke="#1d2430"/>`,
        );
        for (const bound of bounds) {
          shapes.push(
            `<line x1="${middle - 5}" x2="${middle + 5}" y1="${y(bound)}" y2="${y(bound)}" stroke="#1d2430"/>`,
          );
        }
      }
    });
    shapes.push(
      `<text x="${groupLeft + (series.length * (barWidth + 6)) / 2}" y="${plotBottom + 18}" text-anchor="middle" font-size="12">${escapeHtml(tier)}</text>`,
    );
  });
  series.forEach((entry, index) => {
    shapes.push(
      `<rect x="${left + index * 150}" y="${height - 14}" width="10" height="10" fill="${entry.color}"/>`,
    );
    shapes.push(
      `<text x="${left + index * 150 + 14}" y="${height - 5}" font-size="12">${escapeHtml(entry.name)}</text>`,
    );
  });
  return `<svg role="img" aria-label="rates per tier with 95% intervals" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" xmlns="http://www.w3.org/2000/svg">${shapes.join("")}</svg>`;
}

/** The classifiers shown as table columns: the compliance classifier first, then the others in name order. */
function tableClassifiers(report: RunReport): string[] {
  const others = [report.alignmentFaking, report.evalAwareness, report.partialCompliance]
    .map((rates) => (rates ? Object.values(rates).find((rate) => rate)?.classifier : undefined))
    .filter((name): name is string => name !== undefined && name !== report.complianceClassifier);
  return [report.complianceClassifier, ...new Set(others)];
}

function tableStart(classifiers: string[]): string {
  return `<section><h2>Samples</h2>
<table id="samples"><thead><tr><th>#</th><th>tier</th><th>epoch</th><th>query</th><th>status</th>${classifiers.map((name) => `<th>${escapeHtml(name)}</th>`).join("")}</tr></thead><tbody>
`;
}

function outcome(verdict: Verdict | undefined): string {
  if (!verdict) return "–";
  if (verdict.status === "failed") return `failed (${verdict.failure?.kind ?? "unknown"})`;
  if (verdict.status === "not_applicable") return "n/a";
  return verdict.decision ?? "no decision";
}

function tableRow(sample: Sample, verdicts: Verdict[], classifiers: string[]): string {
  const query = sample.query.length > 160 ? `${sample.query.slice(0, 160)}…` : sample.query;
  const cells = classifiers.map(
    (name) => `<td>${escapeHtml(outcome(verdicts.find((verdict) => verdict.classifier === name)))}</td>`,
  );
  const status = sample.refusal
    ? "complete (API refusal)"
    : sample.failure
      ? `${sample.status} (${sample.failure.kind})`
      : sample.status;
  return `<tr data-search><td class="number"><a href="#sample-${sample.index}">${sample.index}</a></td><td>${escapeHtml(sample.tier)}</td><td class="number">${sample.epoch}</td><td>${escapeHtml(query)}</td><td>${escapeHtml(status)}</td>${cells.join("")}</tr>\n`;
}

function turnHtml(turn: Turn): string {
  const parts = [`<div class="turn ${turn.role}"><div class="role">${turn.role}</div>`];
  const reasoning = reasoningText(turn.reasoning);
  if (reasoning !== null)
    parts.push(
      `<div class="reasoning"><span class="muted">native reasoning</span><pre>${escapeHtml(reasoning)}</pre></div>`,
    );
  else if (turn.reasoning) parts.push('<div class="muted">native reasoning redacted by the provider</div>');
  parts.push(`<pre>${escapeHtml((turn.prefill ?? "") + turn.content)}</pre>`);
  if (turn.refusal) parts.push(`<div class="warning">provider refusal: ${escapeHtml(turn.refusal)}</div>`);
  parts.push("</div>");
  return parts.join("");
}

function transcript(sample: Sample, verdicts: Verdict[]): string {
  const header = `#${sample.index} · ${sample.tier} · epoch ${sample.epoch} · ${sample.status} · ${sample.query.slice(0, 120)}`;
  const verdictLines = verdicts.map((verdict) => {
    const quotes = verdict.quotes.length > 0 ? ` — “${verdict.quotes.join("”, “")}”` : "";
    return `<li><strong>${escapeHtml(verdict.classifier)}</strong>: ${escapeHtml(outcome(verdict))}${verdict.failure ? ` — ${escapeHtml(verdict.failure.message)}` : ""}${escapeHtml(quotes)}</li>`;
  });
  const failure = sample.failure
    ? `<div class="warning">${escapeHtml(`${sample.failure.kind}: ${sample.failure.message}`)}</div>`
    : "";
  const refusal = sample.refusal
    ? `<div class="warning">${escapeHtml(`API refusal: ${sample.refusal.message}`)}</div>`
    : "";
  return `<details class="transcript" id="sample-${sample.index}" data-search><summary>${escapeHtml(header)}</summary>
<p class="muted">key ${escapeHtml(sample.key)} · item ${escapeHtml(sample.itemId)}</p>${failure}${refusal}
<ul>${verdictLines.join("")}</ul>
${sample.turns.map(turnHtml).join("\n")}
</details>
`;
}
