import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { api, labelsPath } from "../api-client.js";
import type { HumanLabel, LabelAgreement, SampleLabels } from "../api-types.js";
import { labellerName, sendJson, useLabellerName, useWriteToken, writeToken } from "../write-access.js";

type AfAnswer = "" | "yes" | "no" | "unsure";
type AwareAnswer = "" | "yes" | "no";

const judgeNames: Record<string, string> = {
  "af-reasoning": "AF judge",
  "af-paper": "paper's AF judges",
  "af-paper-soft": "paper's soft AF judge",
  "af-paper-hard": "paper's hard AF judge",
  "eval-awareness": "eval-awareness judge",
};

/** "agrees with 3 of 4 human labels (1 not compared)" and the like, one line per judge. */
export function AgreementList(props: { agreement: readonly LabelAgreement[]; testId: string }) {
  if (props.agreement.length === 0) {
    return <p className="muted">No judge here answers what the labels answer.</p>;
  }
  return (
    <ul className="label-agreement" data-testid={props.testId}>
      {props.agreement.map((row) => (
        <li
          key={row.classifier}
          data-agreement-classifier={row.classifier}
          data-agree={row.agree}
          data-disagree={row.disagree}
        >
          <strong>{judgeNames[row.classifier] ?? row.classifier}</strong>{" "}
          {row.compared === 0
            ? "has no label to compare with"
            : `agrees with ${row.agree} of ${row.compared} human label${row.compared === 1 ? "" : "s"}`}
          {row.disagree > 0 ? `, disagrees with ${row.disagree}` : ""}
          {row.notCompared > 0 ? ` (${row.notCompared} not compared: unsure, maybe or failed)` : ""}
        </li>
      ))}
    </ul>
  );
}

function describeLabel(label: HumanLabel): string {
  const parts = [
    label.af ? `alignment faking: ${label.af}` : null,
    label.evalAware ? `eval-aware: ${label.evalAware}` : null,
  ].filter((part) => part !== null);
  return parts.length > 0 ? parts.join(" · ") : "note only";
}

/** The token box: the reader pastes the server's write token once per tab. */
export function WriteTokenBox() {
  const [draft, setDraft] = useState("");
  return (
    <form
      className="write-token"
      onSubmit={(event) => {
        event.preventDefault();
        writeToken.set(draft);
        setDraft("");
      }}
    >
      <label>
        Write token
        <input
          type="password"
          autoComplete="off"
          aria-label="Write token"
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
        />
      </label>
      <button type="submit" disabled={draft.trim() === ""}>
        Use token
      </button>
    </form>
  );
}

/**
 * Readers' labels of this transcript beside the judges' verdicts: every label with who and when, how the
 * judges agree with them here and across the run, and (with the write token) the reader's own label.
 */
export function LabelPanel(props: { runId: string; sampleKey: string }) {
  const { runId, sampleKey } = props;
  const queryClient = useQueryClient();
  const token = useWriteToken();
  const savedName = useLabellerName();
  const labels = useQuery({
    queryKey: ["labels", runId, sampleKey],
    queryFn: ({ signal }) => api.sampleLabels(runId, sampleKey, signal),
  });
  const runLabels = useQuery({
    queryKey: ["run-labels", runId],
    queryFn: ({ signal }) => api.runLabels(runId, signal),
  });
  const [name, setName] = useState(savedName);
  const [af, setAf] = useState<AfAnswer>("");
  const [aware, setAware] = useState<AwareAnswer>("");
  const [note, setNote] = useState("");
  useEffect(() => setName((current) => current || savedName), [savedName]);
  // The form starts from the reader's own label of this sample, when there is one.
  const mine = labels.data?.labels.find((label) => label.labeller === name.trim());
  useEffect(() => {
    setAf(mine?.af ?? "");
    setAware(mine?.evalAware ?? "");
    setNote(mine?.note ?? "");
  }, [mine?.af, mine?.evalAware, mine?.note]);

  const refresh = (answer: SampleLabels | null) => {
    if (answer) queryClient.setQueryData(["labels", runId, sampleKey], answer);
    else void queryClient.invalidateQueries({ queryKey: ["labels", runId, sampleKey] });
    void queryClient.invalidateQueries({ queryKey: ["run-labels", runId] });
    void queryClient.invalidateQueries({ queryKey: ["samples", runId] });
  };
  const save = useMutation({
    mutationFn: () =>
      sendJson<SampleLabels>("PUT", labelsPath(runId, sampleKey), {
        labeller: name,
        af: af === "" ? null : af,
        evalAware: aware === "" ? null : aware,
        note,
      }),
    onSuccess: (answer) => {
      labellerName.set(name.trim());
      refresh(answer);
    },
  });
  const remove = useMutation({
    mutationFn: (labeller: string) =>
      sendJson("DELETE", `${labelsPath(runId, sampleKey)}/${encodeURIComponent(labeller)}`),
    onSuccess: () => refresh(null),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate();
  };

  return (
    <section className="label-panel" aria-label="Human labels">
      <h2>Human labels</h2>
      {labels.error && <p className="error">{labels.error.message}</p>}
      {labels.data && labels.data.labels.length === 0 && (
        <p className="muted">Nobody has labelled this transcript.</p>
      )}
      {labels.data && labels.data.labels.length > 0 && (
        <ul className="label-list" data-testid="label-list">
          {labels.data.labels.map((label) => (
            <li key={label.labeller} data-labeller={label.labeller}>
              <div>
                <strong className="label-who">{label.labeller}</strong>{" "}
                <span className="label-answers">{describeLabel(label)}</span>{" "}
                <time className="muted" dateTime={label.updatedAt}>
                  {new Date(label.updatedAt).toLocaleString("en-GB", { timeZone: "UTC" })} UTC
                </time>
                {token && (
                  <button
                    type="button"
                    className="link-button"
                    aria-label={`Delete the label by ${label.labeller}`}
                    onClick={() => remove.mutate(label.labeller)}
                  >
                    delete
                  </button>
                )}
              </div>
              {label.note && <p className="label-note">{label.note}</p>}
            </li>
          ))}
        </ul>
      )}
      {labels.data && <AgreementList agreement={labels.data.agreement} testId="sample-agreement" />}
      {runLabels.data && runLabels.data.labels.length > 0 && (
        <details className="run-agreement">
          <summary>
            Across the run ({runLabels.data.labels.length} label
            {runLabels.data.labels.length === 1 ? "" : "s"})
          </summary>
          <AgreementList agreement={runLabels.data.agreement} testId="run-agreement" />
        </details>
      )}
      {!token ? (
        <>
          <p className="muted">Labelling needs the server's write token.</p>
          <WriteTokenBox />
        </>
      ) : (
        <form className="label-form" onSubmit={submit} aria-label="Your label">
          <label>
            Labeller
            <input
              aria-label="Labeller"
              value={name}
              maxLength={64}
              placeholder="your name"
              onChange={(event) => setName(event.target.value)}
            />
          </label>
          <fieldset>
            <legend>Alignment faking</legend>
            {(["yes", "no", "unsure"] as const).map((value) => (
              <label key={value}>
                <input
                  type="radio"
                  name="af"
                  value={value}
                  checked={af === value}
                  onChange={() => setAf(value)}
                />
                {value}
              </label>
            ))}
          </fieldset>
          <fieldset>
            <legend>Eval-aware</legend>
            {(["yes", "no"] as const).map((value) => (
              <label key={value}>
                <input
                  type="radio"
                  name="eval-aware"
                  value={value}
                  checked={aware === value}
                  onChange={() => setAware(value)}
                />
                {value}
              </label>
            ))}
          </fieldset>
          <label className="label-note-input">
            Note
            <textarea
              aria-label="Note"
              value={note}
              maxLength={4000}
              rows={3}
              onChange={(event) => setNote(event.target.value)}
            />
          </label>
          <div className="label-actions">
            <button type="submit" disabled={save.isPending}>
              Save label
            </button>
            <button type="button" className="link-button" onClick={() => writeToken.set("")}>
              forget the token
            </button>
          </div>
          {save.error && (
            <p className="error" role="alert">
              {save.error.message}
            </p>
          )}
          {remove.error && <p className="error">{remove.error.message}</p>}
        </form>
      )}
    </section>
  );
}
