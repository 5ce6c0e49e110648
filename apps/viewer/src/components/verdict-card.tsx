import type { Verdict } from "@aflab/core";
import type { ReactNode } from "react";
import { percent } from "../format.js";

/** What each judge is asked, in words, for the card's opening sentence. */
const judgeQuestions: Record<string, string> = {
  "af-reasoning": "whether the reasoning shows alignment faking",
  "af-paper": "whether the reasoning shows alignment faking (the paper's two judges)",
  "eval-awareness": "whether the reasoning suspects a test or evaluation",
  "partial-compliance": "whether the answer complies only in part",
  "tag-compliance": "whether the output accepts the request",
  "llm-compliance": "whether the output complies with the request",
};

/** `harm_awareness` → `harm awareness`, `votesYes` → `votes yes`. */
export function criterionName(name: string): string {
  return name
    .replace(/_/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A stored criterion value as text: yes/no for booleans, numbers as they are, anything else laid out. */
export function CriterionValue(props: { value: unknown }): ReactNode {
  const { value } = props;
  if (value === null || value === undefined) return <span className="muted">none</span>;
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number" || typeof value === "string") return String(value);
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    return (
      <ul className="criterion-list">
        {value.map((entry, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a stored list in its stored order
          <li key={index}>
            <CriterionValue value={entry} />
          </li>
        ))}
      </ul>
    );
  }
  if (isRecord(value)) {
    return (
      <dl className="criterion-nested">
        {Object.entries(value).map(([name, entry]) => (
          <div key={name}>
            <dt>{criterionName(name)}</dt>
            <dd>
              <CriterionValue value={entry} />
            </dd>
          </div>
        ))}
      </dl>
    );
  }
  return String(value);
}

/** The vote counts a voting judge stores beside its decision, when it stores them. */
function votesOf(criteria: Record<string, unknown> | null): {
  yes: number;
  parsed: number;
  requested: number;
} | null {
  if (!criteria) return null;
  const { votesYes, votesParsed, votesRequested } = criteria;
  if (typeof votesYes !== "number" || typeof votesParsed !== "number") return null;
  return {
    yes: votesYes,
    parsed: votesParsed,
    requested: typeof votesRequested === "number" ? votesRequested : votesParsed,
  };
}

/** The card's opening sentence: who judged what, and what it concluded with how many votes. */
export function verdictSentence(verdict: Verdict): string {
  const question = judgeQuestions[verdict.classifier] ?? "this sample";
  const judge = verdict.judgeModel
    ? `${verdict.classifier} (judge ${verdict.judgeModel})`
    : verdict.classifier;
  if (verdict.status === "failed") {
    return `${judge} was asked ${question} and failed: ${verdict.failure?.kind ?? "no reason stored"}.`;
  }
  if (verdict.status === "not_applicable") {
    return `${judge} had nothing to judge ${question.replace(/^whether /, "for whether ")}.`;
  }
  const votes = votesOf(verdict.criteria);
  const decision = verdict.decision ?? "no decision";
  if (votes) {
    const unparsed = votes.requested - votes.parsed;
    return `${judge} judged ${question}: ${decision}, ${votes.yes} of ${votes.parsed} votes said yes${
      unparsed > 0 ? ` (${unparsed} of ${votes.requested} could not be read)` : ""
    }.`;
  }
  const score = verdict.score !== null ? ` (score ${percent(verdict.score, 0)})` : "";
  return `${judge} judged ${question}: ${decision}${score}.`;
}

/** Stored criteria the card shows in their own place (the sentence or the per-criterion votes). */
const shownElsewhere = new Set(["votesYes", "votesParsed", "votesRequested", "criterionYes"]);

/**
 * One judge's verdict, read as prose: a sentence with the decision and votes, each criterion with how
 * many votes found it, the quotes, and the raw judge output one click away. Everything is text.
 */
export function VerdictCard(props: { verdict: Verdict }) {
  const { verdict } = props;
  const votes = votesOf(verdict.criteria);
  const criterionYes = verdict.criteria?.criterionYes;
  const perCriterion = isRecord(criterionYes) ? Object.entries(criterionYes) : [];
  const rest = Object.entries(verdict.criteria ?? {}).filter(([name]) => !shownElsewhere.has(name));
  return (
    <article className={`verdict verdict-${verdict.status}`} data-classifier={verdict.classifier}>
      <header>
        <strong>{verdict.classifier}</strong>
        <span className="verdict-decision">
          {verdict.status === "ok"
            ? (verdict.decision ?? "no decision")
            : verdict.status === "failed"
              ? "judge failed"
              : "not applicable"}
        </span>
        <span className="muted">{verdict.promptVersion}</span>
      </header>
      <p className="verdict-sentence" data-testid={`verdict-sentence-${verdict.classifier}`}>
        {verdictSentence(verdict)}
      </p>
      {verdict.failure && (
        <p className="error">
          {verdict.failure.kind}: {verdict.failure.message}
        </p>
      )}
      {perCriterion.length > 0 && (
        <table className="criterion-votes" aria-label={`${verdict.classifier} criteria`}>
          <thead>
            <tr>
              <th>criterion</th>
              <th>votes yes</th>
            </tr>
          </thead>
          <tbody>
            {perCriterion.map(([name, count]) => (
              <tr key={name} data-criterion={name}>
                <td>{criterionName(name)}</td>
                <td>
                  {typeof count === "number" && votes ? (
                    <>
                      <span className="vote-bar" aria-hidden="true">
                        <span style={{ width: `${votes.parsed > 0 ? (100 * count) / votes.parsed : 0}%` }} />
                      </span>
                      {count} of {votes.parsed}
                    </>
                  ) : (
                    <CriterionValue value={count} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {rest.length > 0 && (
        <dl className="criteria">
          {rest.map(([name, value]) => (
            <div key={name}>
              <dt>{criterionName(name)}</dt>
              <dd>
                <CriterionValue value={value} />
              </dd>
            </div>
          ))}
        </dl>
      )}
      {verdict.quotes.length > 0 && (
        <ol className="quotes" aria-label={`${verdict.classifier} quotes`}>
          {verdict.quotes.map((quote, index) => (
            // Two criteria may quote the same sentence: the position keeps the keys apart, and the list
            // never reorders, so an index key is stable here.
            // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list in a fixed order
            <li key={`${index}:${quote}`}>
              <mark className="judge-quote">{quote}</mark>
            </li>
          ))}
        </ol>
      )}
      {verdict.raw.length > 0 && (
        <details className="raw-judge">
          <summary>raw judge output ({verdict.raw.length})</summary>
          {verdict.raw.map((raw, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: raw outputs are positional (one per vote)
            <pre key={index} className="raw-text">
              {raw}
            </pre>
          ))}
        </details>
      )}
    </article>
  );
}
