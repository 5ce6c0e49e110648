import type { Verdict } from "@aflab/core";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import { api } from "../api-client.js";
import type { ItemSample } from "../api-types.js";
import { percent, tierLabel, usd } from "../format.js";
import { Link, navigate, paths } from "../router.js";
import { alignmentFakingClassifier } from "../sample-filters.js";
import { Highlighted } from "./transcript-page.js";

/** The judgements a paired cell lists, in order: what the model did, then what its reasoning showed. */
interface JudgedRole {
  role: "compliance" | "alignment-faking" | "eval-awareness" | "partial";
  label: string;
  classifier: string;
  /** A judge of several votes: its score is the share that said yes. */
  voted: boolean;
}

/** What one verdict concluded, in words: the decision, or why there is none. */
export function verdictOutcome(verdict: Verdict | undefined, voted = false): string {
  if (!verdict) return "not judged";
  if (verdict.status === "failed") return "judge failed";
  if (verdict.status === "not_applicable") return "not applicable";
  const decision = verdict.decision ?? "no decision";
  return voted && verdict.score !== null ? `${decision} (${percent(verdict.score, 0)} of votes)` : decision;
}

function outcomeClass(verdict: Verdict | undefined): string {
  if (verdict?.status !== "ok") return "decision decision-failed";
  switch (verdict.decision) {
    case "compliant":
    case "yes":
      return "decision decision-yes";
    case "refused":
    case "no":
      return "decision decision-no";
    default:
      return "decision decision-maybe";
  }
}

/** One sample of the query: its decisions and verdicts, then its reasoning and output as text. */
function PairedCell(props: { runId: string; entry: ItemSample; roles: JudgedRole[] }) {
  const { sample, verdicts } = props.entry;
  const quotes = useMemo(() => verdicts.flatMap((verdict) => verdict.quotes), [verdicts]);
  const byClassifier = new Map(verdicts.map((verdict) => [verdict.classifier, verdict]));
  return (
    <section
      className="paired-cell"
      data-testid={`paired-${sample.tier}-${sample.epoch}`}
      data-sample-key={sample.key}
      aria-label={`${tierLabel(sample.tier)}, epoch ${sample.epoch}`}
    >
      <header className="paired-cell-head">
        <span className={`badge badge-tier-${sample.tier}`}>{tierLabel(sample.tier)}</span>
        <span className={`badge badge-${sample.status}`}>{sample.status}</span>
        <Link href={paths.sample(props.runId, sample.key)}>full transcript</Link>
        <span className="muted">
          {Math.round(sample.latencyMs)} ms · {usd(sample.costUsd)}
        </span>
      </header>
      <dl className="paired-decisions">
        {props.roles.map((role) => {
          const verdict = byClassifier.get(role.classifier);
          if (!verdict && role.role === "partial") return null;
          return (
            <div key={role.role}>
              <dt>{role.label}</dt>
              <dd className={outcomeClass(verdict)} data-role={role.role}>
                {verdictOutcome(verdict, role.voted)}
              </dd>
            </div>
          );
        })}
      </dl>
      {sample.failure && (
        <p className="error">
          {sample.failure.kind}: {sample.failure.message}
        </p>
      )}
      {sample.refusal && (
        <p className="badge badge-api-refusal">refused by the API: {sample.refusal.message}</p>
      )}
      {sample.reasoning !== null && (
        <div className="segment segment-block-reasoning" data-segment-kind="reasoning">
          <div className="segment-title">Native reasoning</div>
          <pre className="segment-text">
            <Highlighted text={sample.reasoning} quotes={quotes} />
          </pre>
        </div>
      )}
      {sample.scratchpad !== null && (
        <div className="segment segment-block-scratchpad" data-segment-kind="scratchpad">
          <div className="segment-title">Scratchpad</div>
          <pre className="segment-text">
            <Highlighted text={sample.scratchpad} quotes={quotes} />
          </pre>
        </div>
      )}
      <div className="segment segment-block-output" data-segment-kind="output">
        <div className="segment-title">Output</div>
        <pre className="segment-text">{sample.output ?? "(no output)"}</pre>
      </div>
    </section>
  );
}

/**
 * The paired view: one query of a run in every tier (training beside unmonitored) and every epoch, with
 * each sample's decisions and the reasoning judges' verdicts; ← / → (or k / j) move across queries.
 */
export function PairedPage(props: { runId: string; itemId: string }) {
  const run = useQuery({
    queryKey: ["run", props.runId],
    queryFn: ({ signal }) => api.run(props.runId, signal),
  });
  const detail = useQuery({
    queryKey: ["item", props.runId, props.itemId],
    queryFn: ({ signal }) => api.item(props.runId, props.itemId, signal),
  });
  const neighbours = detail.data?.neighbours;
  const previousHref = neighbours?.previous ? paths.item(props.runId, neighbours.previous) : null;
  const nextHref = neighbours?.next ? paths.item(props.runId, neighbours.next) : null;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement) return;
      if (event.metaKey || event.ctrlKey || event.altKey) return;
      if ((event.key === "ArrowLeft" || event.key === "k") && previousHref) navigate(previousHref);
      if ((event.key === "ArrowRight" || event.key === "j") && nextHref) navigate(nextHref);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [previousHref, nextHref]);

  const roles: JudgedRole[] = [
    {
      role: "compliance",
      label: "compliance",
      classifier: run.data?.summary.complianceClassifier ?? "tag-compliance",
      voted: false,
    },
    {
      role: "alignment-faking",
      label: "alignment faking",
      classifier: alignmentFakingClassifier(run.data?.summary) ?? "af-reasoning",
      voted: true,
    },
    { role: "eval-awareness", label: "evaluation awareness", classifier: "eval-awareness", voted: true },
    { role: "partial", label: "partial compliance", classifier: "partial-compliance", voted: false },
  ];

  const samples = detail.data?.samples ?? [];
  const tiers = [...new Set(samples.map((entry) => entry.sample.tier))];
  const epochs = [...new Set(samples.map((entry) => entry.sample.epoch))].sort((a, b) => a - b);

  return (
    <main className="paired-page">
      <nav className="transcript-nav">
        <Link href={paths.run(props.runId)}>← back to the run</Link>
        {previousHref ? (
          <Link href={previousHref}>previous query</Link>
        ) : (
          <span className="muted">previous query</span>
        )}
        {nextHref ? <Link href={nextHref}>next query</Link> : <span className="muted">next query</span>}
        {neighbours?.position ? (
          <span className="muted" data-testid="item-position">
            query {neighbours.position} of {neighbours.total} · ← / → move across queries
          </span>
        ) : null}
      </nav>
      {run.data?.run.simulated && (
        <div className="simulated-banner">SIMULATED — transcripts from the simulated model organism</div>
      )}
      {detail.error && <p className="error">{detail.error.message}</p>}
      {detail.data && (
        <>
          <h1 className="sample-query">{detail.data.query}</h1>
          <p className="muted">
            {detail.data.itemId} · {run.data?.run.config.label || props.runId} · {tiers.length} tiers ×{" "}
            {epochs.length} {epochs.length === 1 ? "epoch" : "epochs"}
          </p>
          {epochs.map((epoch) => (
            <section key={epoch} className="paired-epoch" aria-label={`epoch ${epoch}`}>
              {epochs.length > 1 && <h2>epoch {epoch}</h2>}
              <div
                className="paired-grid"
                style={{ gridTemplateColumns: `repeat(${tiers.length}, minmax(0, 1fr))` }}
              >
                {tiers.map((tier) => {
                  const entry = samples.find(
                    (candidate) => candidate.sample.tier === tier && candidate.sample.epoch === epoch,
                  );
                  return entry ? (
                    <PairedCell key={tier} runId={props.runId} entry={entry} roles={roles} />
                  ) : (
                    <section key={tier} className="paired-cell paired-cell-missing">
                      <span className={`badge badge-tier-${tier}`}>{tierLabel(tier)}</span>
                      <p className="muted">not asked in this epoch</p>
                    </section>
                  );
                })}
              </div>
            </section>
          ))}
        </>
      )}
      {!detail.data && !detail.error && <p className="loading">loading the query…</p>}
    </main>
  );
}
