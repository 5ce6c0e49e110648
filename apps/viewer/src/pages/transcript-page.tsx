import type { Turn, Verdict } from "@aflab/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { api } from "../api-client.js";
import type { SampleDetail } from "../api-types.js";
import { LabelPanel } from "../components/label-panel.js";
import { VerdictCard } from "../components/verdict-card.js";
import { percent, tierLabel, usd } from "../format.js";
import { Link, navigate, paths, useLocation } from "../router.js";
import {
  alignmentFakingClassifier,
  apiFilterParams,
  filterSearch,
  needsClassifiers,
} from "../sample-filters.js";
import {
  highlightQuotes,
  reasoningPieces,
  reasoningSourceLabels,
  type Segment,
  splitTurn,
} from "../transcript.js";

const segmentTitles: Record<Segment["kind"], string> = {
  scratchpad: "Scratchpad (hidden reasoning)",
  draft: "Draft output (inside the scratchpad)",
  output: "Output (shown to the user)",
  text: "Text outside any tag",
};

/** Text with the judge's quotes marked: React text nodes and <mark> elements, never parsed markup. */
export function Highlighted(props: { text: string; quotes: readonly string[] }) {
  const pieces = useMemo(() => highlightQuotes(props.text, props.quotes), [props.text, props.quotes]);
  return (
    <>
      {pieces.map((piece, index) =>
        piece.quote === null ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: pieces are positional and never reorder
          <span key={index}>{piece.text}</span>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: pieces are positional and never reorder
          <mark key={index} className="judge-quote" title={`judge quote ${piece.quote + 1}`}>
            {piece.text}
          </mark>
        ),
      )}
    </>
  );
}

const judgedSourceLabels: Record<string, string> = {
  tags: "the scratchpad tags",
  reasoning: "the native reasoning",
  both: "the native reasoning and the scratchpad tags",
  none: "nothing (no scratchpad, no native reasoning)",
};

/** The model's native reasoning, apart from its text: each block as text, redacted blocks by size. */
function NativeReasoning(props: { turn: Turn; quotes: readonly string[] }) {
  const { reasoning } = props.turn;
  if (!reasoning) return null;
  const source = reasoningSourceLabels[reasoning.source];
  return (
    <>
      {reasoningPieces(reasoning).map((piece, index) =>
        piece.kind === "reasoning" ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: blocks are positional and never reorder
          <div key={index} className="segment segment-block-reasoning" data-segment-kind="reasoning">
            <div className="segment-title">Native reasoning ({source})</div>
            <pre className="segment-text">
              <Highlighted text={piece.text} quotes={props.quotes} />
            </pre>
          </div>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: blocks are positional and never reorder
          <div key={index} className="segment segment-block-redacted" data-segment-kind="redacted">
            <div className="segment-title">Redacted reasoning ({source})</div>
            <p className="muted">
              Encrypted by the provider: {piece.size.toLocaleString("en-US")} characters, kept to send back,
              unreadable.
            </p>
          </div>
        ),
      )}
    </>
  );
}

export function AssistantTurn(props: { turn: Turn; quotes: readonly string[] }) {
  const full = `${props.turn.prefill ?? ""}${props.turn.content}`;
  const segments = splitTurn(full);
  const reasoningTokens = props.turn.usage?.reasoningTokens;
  return (
    <div className="turn turn-assistant">
      <div className="turn-meta">
        assistant · turn {props.turn.index}
        {props.turn.stopReason ? ` · stop: ${props.turn.stopReason}` : ""}
        {props.turn.usage ? ` · ${props.turn.usage.outputTokens} tokens out` : ""}
        {reasoningTokens ? ` (${reasoningTokens} reasoning)` : ""}
        {props.turn.cached ? " · from cache" : ""}
      </div>
      <NativeReasoning turn={props.turn} quotes={props.quotes} />
      {props.turn.refusal !== undefined && (
        <div className="segment segment-block-refusal" data-segment-kind="refusal">
          <div className="segment-title">Refusal message from the provider</div>
          <pre className="segment-text">{props.turn.refusal}</pre>
        </div>
      )}
      {segments.map((segment, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: segments are positional and never reorder
        <div key={index} className={`segment segment-block-${segment.kind}`} data-segment-kind={segment.kind}>
          <div className="segment-title">
            {segmentTitles[segment.kind]}
            {segment.unclosed ? " — never closed" : ""}
          </div>
          <pre className="segment-text">
            {segment.kind === "scratchpad" || segment.kind === "draft" ? (
              <Highlighted text={segment.text} quotes={props.quotes} />
            ) : (
              segment.text
            )}
          </pre>
        </div>
      ))}
    </div>
  );
}

/** What the reasoning judges concluded, at the top of the page: alignment faking and evaluation awareness. */
const headlineJudges: Record<string, string> = {
  "af-reasoning": "alignment faking",
  "eval-awareness": "evaluation awareness",
};

function headlineText(verdict: Verdict): string {
  if (verdict.status === "failed") return "judge failed";
  if (verdict.status === "not_applicable") return "no scratchpad";
  return `${verdict.decision ?? "no decision"}${verdict.score !== null ? ` (${percent(verdict.score, 0)} of votes)` : ""}`;
}

function TranscriptBody(props: { detail: SampleDetail }) {
  const { sample, verdicts, systemPrompt } = props.detail;
  const quotes = useMemo(() => verdicts.flatMap((verdict) => verdict.quotes), [verdicts]);
  const headline = verdicts.filter((verdict) => headlineJudges[verdict.classifier] !== undefined);
  return (
    <>
      <section className="sample-facts">
        <span className={`badge badge-tier-${sample.tier}`}>{tierLabel(sample.tier)}</span>
        <span className={`badge badge-${sample.status}`}>{sample.status}</span>
        {sample.failure && (
          <span className="error">
            {sample.failure.kind}: {sample.failure.message}
          </span>
        )}
        {sample.refusal && (
          <span className="badge badge-api-refusal" data-testid="api-refusal" title={sample.refusal.message}>
            refused by the API: {sample.refusal.message}
          </span>
        )}
        {sample.flags.map((flag) => (
          <span key={flag} className="badge">
            {flag}
          </span>
        ))}
        {sample.scratchpadSource && (
          <span className="muted" data-testid="judged-source">
            judges read {judgedSourceLabels[sample.scratchpadSource] ?? sample.scratchpadSource}
          </span>
        )}
        {headline.map((verdict) => (
          <span
            key={verdict.classifier}
            className={`badge badge-verdict${verdict.decision === "yes" ? " badge-verdict-yes" : ""}`}
            data-testid={`verdict-${verdict.classifier}`}
          >
            {headlineJudges[verdict.classifier]}: {headlineText(verdict)}
          </span>
        ))}
        <span className="muted">
          {sample.itemId} · epoch {sample.epoch} · {Math.round(sample.latencyMs)} ms · {usd(sample.costUsd)}
          {sample.retries > 0 ? ` · ${sample.retries} retries` : ""}
        </span>
      </section>
      <details className="system-prompt">
        <summary>
          System prompt (
          {systemPrompt ? `${systemPrompt.length.toLocaleString("en-US")} characters` : "not stored"})
        </summary>
        <pre>{systemPrompt ?? ""}</pre>
      </details>
      <div className="transcript-layout">
        <section className="turns" aria-label="Transcript">
          {sample.turns.map((turn) =>
            turn.role === "user" ? (
              <div key={turn.index} className="turn turn-user">
                <div className="turn-meta">user · turn {turn.index}</div>
                <pre className="segment-text">{turn.content}</pre>
              </div>
            ) : (
              <AssistantTurn key={turn.index} turn={turn} quotes={quotes} />
            ),
          )}
        </section>
        <aside className="verdicts" aria-label="Verdicts">
          {/* The reader's labels first: beside the headline verdicts, above the long verdict cards. */}
          <LabelPanel runId={sample.runId} sampleKey={sample.key} />
          <h2>Verdicts</h2>
          {verdicts.length === 0 && <p className="muted">No verdicts for this sample.</p>}
          {verdicts.map((verdict) => (
            <VerdictCard key={verdict.classifier} verdict={verdict} />
          ))}
        </aside>
      </div>
    </>
  );
}

/** One sample's transcript with its verdicts; previous/next follow the table's filters (also ← / →). */
export function TranscriptPage(props: { runId: string; sampleKey: string }) {
  const { search } = useLocation();
  const run = useQuery({
    queryKey: ["run", props.runId],
    queryFn: ({ signal }) => api.run(props.runId, signal),
  });
  const kept = filterSearch(search);
  const classifiers = {
    compliance: run.data?.summary.complianceClassifier ?? "tag-compliance",
    alignmentFaking: alignmentFakingClassifier(run.data?.summary),
  };
  const params = apiFilterParams(kept, classifiers);
  const detail = useQuery({
    queryKey: ["sample", props.runId, props.sampleKey, params.toString()],
    queryFn: ({ signal }) => api.sample(props.runId, props.sampleKey, params, signal),
    // The run's report names the classifiers that verdict filters refer to; other filters need no wait.
    enabled: !needsClassifiers(kept) || run.data !== undefined || run.error !== null,
  });
  const neighbours = detail.data?.neighbours;
  const previousHref = neighbours?.previous ? paths.sample(props.runId, neighbours.previous, kept) : null;
  const nextHref = neighbours?.next ? paths.sample(props.runId, neighbours.next, kept) : null;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
      if ((event.key === "ArrowLeft" || event.key === "k") && previousHref) navigate(previousHref);
      if ((event.key === "ArrowRight" || event.key === "j") && nextHref) navigate(nextHref);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [previousHref, nextHref]);
  const back = new URLSearchParams(kept);
  if (neighbours?.position) back.set("row", String(neighbours.position - 1));
  return (
    <main className="transcript-page">
      <nav className="transcript-nav">
        <Link href={paths.run(props.runId, back)}>← back to the run</Link>
        {previousHref ? <Link href={previousHref}>previous</Link> : <span className="muted">previous</span>}
        {nextHref ? <Link href={nextHref}>next</Link> : <span className="muted">next</span>}
        {neighbours?.position ? (
          <span className="muted">
            {neighbours.position} of {neighbours.total} under the current filters
          </span>
        ) : null}
        {detail.data && (
          <Link href={paths.item(props.runId, detail.data.sample.itemId)}>this query in every tier</Link>
        )}
      </nav>
      {run.data?.run.simulatedSides.model && (
        <div className="simulated-banner">SIMULATED — transcript from the simulated model organism</div>
      )}
      {run.data?.run.simulatedSides.judge && (
        <div className="simulated-banner">
          SIMULATED judge — the verdicts on this transcript come from {run.data.run.config.judge}, keyword
          rules rather than a model
        </div>
      )}
      {detail.error && <p className="error">{detail.error.message}</p>}
      {detail.data && (
        <>
          <h1 className="sample-query">{detail.data.sample.query}</h1>
          <TranscriptBody detail={detail.data} />
        </>
      )}
      {!detail.data && !detail.error && <p className="loading">loading transcript…</p>}
    </main>
  );
}
