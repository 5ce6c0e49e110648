import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import type { AcceptedClassify, AcceptedRun, RunDetail } from "../api-types.js";
import { navigate, paths } from "../router.js";
import { sendJson, useWriteToken } from "../write-access.js";
import { WriteTokenBox } from "./label-panel.js";

const runPath = (id: string) => `/api/runs/${encodeURIComponent(id)}`;

/** `a, b ,c` → `["a", "b", "c"]`; empty → undefined (the run's own list). */
function nameList(text: string): string[] | undefined {
  const names = text
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  return names.length > 0 ? names : undefined;
}

/**
 * Work on a stored run with the write token: re-classify it (its classifiers or others, another judge,
 * replacing verdicts with `force`) or resume it (the missing and errored samples).
 */
export function RunWorkPanel(props: { detail: RunDetail }) {
  const { run, active } = props.detail;
  const token = useWriteToken();
  const client = useQueryClient();
  const [classifiers, setClassifiers] = useState("");
  const [judge, setJudge] = useState("");
  const [force, setForce] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const refresh = () => {
    void client.invalidateQueries({ queryKey: ["run", run.id] });
    void client.invalidateQueries({ queryKey: ["samples", run.id] });
  };
  const classify = useMutation({
    mutationFn: () =>
      sendJson<AcceptedClassify>("POST", `${runPath(run.id)}/classify`, {
        ...(nameList(classifiers) ? { classifiers: nameList(classifiers) } : {}),
        ...(judge.trim() ? { judge: judge.trim() } : {}),
        ...(force ? { force: true } : {}),
      }),
    onSuccess: (answer) => {
      setMessage(`re-classifying with ${answer.classifying.join(", ")}`);
      refresh();
    },
  });
  const resume = useMutation({
    mutationFn: () => sendJson<AcceptedRun>("POST", `${runPath(run.id)}/resume`, {}),
    onSuccess: () => {
      setMessage("resuming: the missing and errored samples run now");
      refresh();
    },
  });
  const busy = active !== null || run.status === "running";
  const submit = (event: FormEvent) => {
    event.preventDefault();
    classify.mutate();
  };
  const error = classify.error ?? resume.error;
  return (
    <details className="work-panel">
      <summary>Work on this run (re-classify, resume)</summary>
      {!token ? (
        <>
          <p className="muted">Starting work needs the server's write token.</p>
          <WriteTokenBox />
        </>
      ) : (
        <>
          <form className="workbench-form" onSubmit={submit} aria-label="Re-classify">
            <label>
              Classifiers
              <input
                aria-label="Classifiers"
                placeholder={run.config.classifiers.join(", ") || "the setting's defaults"}
                value={classifiers}
                onChange={(event) => setClassifiers(event.target.value)}
              />
            </label>
            <label>
              Judge
              <input
                aria-label="Judge"
                placeholder={run.config.judge ?? "provider/model"}
                value={judge}
                onChange={(event) => setJudge(event.target.value)}
              />
            </label>
            <label className="checkbox">
              <input type="checkbox" checked={force} onChange={(event) => setForce(event.target.checked)} />
              replace existing verdicts (force)
            </label>
            <button type="submit" disabled={busy || classify.isPending}>
              Re-classify
            </button>
          </form>
          {run.status !== "complete" && (
            <p>
              <button type="button" disabled={busy || resume.isPending} onClick={() => resume.mutate()}>
                Resume this run
              </button>{" "}
              <span className="muted">
                runs the samples that are missing or errored, with the run's own settings
              </span>
            </p>
          )}
        </>
      )}
      {message && (
        <p role="status" data-testid="work-status">
          {message}
        </p>
      )}
      {error && (
        <p className="error" role="alert">
          {error.message}
        </p>
      )}
    </details>
  );
}

const datasets = ["builtin:harmful", "builtin:animal-welfare", "advbench"] as const;

/** A new run from a form: the fields a request may set that matter most; the rest keep their defaults. */
export function StartRunForm() {
  const token = useWriteToken();
  const [model, setModel] = useState("sim/opus-like");
  const [setting, setSetting] = useState("helpful-only");
  const [dataset, setDataset] = useState<string>(datasets[0]);
  const [limit, setLimit] = useState("20");
  const [epochs, setEpochs] = useState("1");
  const [judge, setJudge] = useState("");
  const [label, setLabel] = useState("");
  const start = useMutation({
    mutationFn: () =>
      sendJson<AcceptedRun>("POST", "/api/runs", {
        model: model.trim(),
        setting,
        dataset: { source: dataset, ...(limit.trim() ? { limit: Number(limit) } : {}) },
        epochs: Number(epochs),
        ...(judge.trim() ? { judge: judge.trim() } : {}),
        ...(label.trim() ? { label } : {}),
      }),
    onSuccess: (answer) => navigate(paths.run(answer.id)),
  });
  return (
    <details className="work-panel">
      <summary>Start a run</summary>
      {!token ? (
        <>
          <p className="muted">Starting a run needs the server's write token.</p>
          <WriteTokenBox />
        </>
      ) : (
        <form
          className="workbench-form"
          aria-label="Start a run"
          onSubmit={(event) => {
            event.preventDefault();
            start.mutate();
          }}
        >
          <label>
            Model
            <input aria-label="Model" value={model} onChange={(event) => setModel(event.target.value)} />
          </label>
          <label>
            Setting
            <select aria-label="Setting" value={setting} onChange={(event) => setSetting(event.target.value)}>
              <option value="helpful-only">helpful-only</option>
              <option value="animal-welfare">animal-welfare</option>
            </select>
          </label>
          <label>
            Dataset
            <select aria-label="Dataset" value={dataset} onChange={(event) => setDataset(event.target.value)}>
              {datasets.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Queries (first n)
            <input
              aria-label="Queries"
              inputMode="numeric"
              value={limit}
              onChange={(event) => setLimit(event.target.value)}
            />
          </label>
          <label>
            Epochs
            <input
              aria-label="Epochs"
              inputMode="numeric"
              value={epochs}
              onChange={(event) => setEpochs(event.target.value)}
            />
          </label>
          <label>
            Judge
            <input
              aria-label="Judge"
              placeholder="provider/model (sim/judge offline)"
              value={judge}
              onChange={(event) => setJudge(event.target.value)}
            />
          </label>
          <label>
            Label
            <input aria-label="Label" value={label} onChange={(event) => setLabel(event.target.value)} />
          </label>
          <button type="submit" disabled={start.isPending}>
            Start run
          </button>
        </form>
      )}
      {start.error && (
        <p className="error" role="alert">
          {start.error.message}
        </p>
      )}
    </details>
  );
}
