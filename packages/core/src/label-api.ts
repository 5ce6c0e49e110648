import type { HumanLabel, LabelAgreement } from "./human-label.js";

/** `GET /api/runs/:id/samples/:key/labels` and the answer to `PUT`: the sample's labels beside its verdicts. */
export interface SampleLabels {
  runId: string;
  sampleKey: string;
  /** One per labeller, oldest first. */
  labels: HumanLabel[];
  /** This sample's judges against its labels, per classifier that a label speaks to. */
  agreement: LabelAgreement[];
}

/** `GET /api/runs/:id/labels`: every label of a run with the run's agreement counts. */
export interface RunLabels {
  runId: string;
  labels: HumanLabel[];
  agreement: LabelAgreement[];
}

/** `DELETE /api/runs/:id/samples/:key/labels/:labeller`. */
export interface DeletedLabel {
  runId: string;
  sampleKey: string;
  labeller: string;
  deleted: true;
}
