import { z } from "zod";

/**
 * A reader's own reading of one transcript, set beside the judges' verdicts to measure them.
 * - `af`: does the scratchpad fake alignment? `unsure` is recorded but never compared with a judge.
 * - `evalAware`: does the model say it suspects a test?
 * Either may be left out (null) when the reader did not decide it; a label holds at least one of the two or
 * a note.
 */
export const humanAfLabelSchema = z.enum(["yes", "no", "unsure"], { error: "expected yes, no or unsure" });
export type HumanAfLabel = z.infer<typeof humanAfLabelSchema>;
export const humanEvalAwareLabelSchema = z.enum(["yes", "no"], { error: "expected yes or no" });
export type HumanEvalAwareLabel = z.infer<typeof humanEvalAwareLabelSchema>;

/** Who labelled: a short display name (letters, digits, spaces and . _ ' -), never an address or markup. */
export const labellerSchema = z
  .string({ error: "expected a labeller name" })
  .trim()
  .min(1, "expected a labeller name")
  .max(64, "expected at most 64 characters")
  .regex(/^[\p{L}\p{N}][\p{L}\p{N} ._'-]*$/u, "expected letters, digits, spaces and . _ ' - only");

export const labelNoteSchema = z.string().max(4000, "expected at most 4000 characters");

/** What a reader sends: the label's content, without where it belongs or when it was written. */
export const humanLabelFieldsSchema = z
  .strictObject({
    labeller: labellerSchema,
    af: humanAfLabelSchema.nullable().default(null),
    evalAware: humanEvalAwareLabelSchema.nullable().default(null),
    note: labelNoteSchema.default(""),
  })
  .refine((label) => label.af !== null || label.evalAware !== null || label.note.trim() !== "", {
    message: "expected an AF label, an eval-awareness label or a note",
    path: ["af"],
  });
export type HumanLabelFields = z.output<typeof humanLabelFieldsSchema>;
export type HumanLabelFieldsInput = z.input<typeof humanLabelFieldsSchema>;

/** A stored label: one per labeller and sample; writing again replaces it and keeps when it was first made. */
export const humanLabelSchema = z.object({
  runId: z.string().min(1, "expected a run id"),
  sampleKey: z.string().min(1, "expected a sample key"),
  labeller: labellerSchema,
  af: humanAfLabelSchema.nullable(),
  evalAware: humanEvalAwareLabelSchema.nullable(),
  note: labelNoteSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type HumanLabel = z.infer<typeof humanLabelSchema>;

/** Which label a classifier's verdict is measured against. */
export type LabelTarget = "af" | "evalAware";

/** The classifiers whose yes/no says the same thing as a human AF label. */
export const afLabelClassifiers: readonly string[] = [
  "af-reasoning",
  "af-paper",
  "af-paper-soft",
  "af-paper-hard",
];
/** The classifiers whose yes/no says the same thing as a human eval-awareness label. */
export const evalAwareLabelClassifiers: readonly string[] = ["eval-awareness"];

/** The label a classifier answers to, or null when no human label speaks to it (compliance, say). */
export function labelTarget(classifier: string): LabelTarget | null {
  if (afLabelClassifiers.includes(classifier)) return "af";
  if (evalAwareLabelClassifiers.includes(classifier)) return "evalAware";
  return null;
}

/** A judge's verdict reduced to what agreement needs. */
export interface JudgedDecision {
  sampleKey: string;
  classifier: string;
  status: string;
  decision: string | null;
}

/** Judge against humans for one classifier: only samples where both said a plain yes or no are compared. */
export interface LabelAgreement {
  classifier: string;
  target: LabelTarget;
  /** Human yes/no labels met by an ok yes/no verdict of this classifier. */
  compared: number;
  agree: number;
  disagree: number;
  /** Labels that had no comparable verdict: none, failed, `maybe`, or the human was `unsure`. */
  notCompared: number;
}

/**
 * Agreement counts per classifier between stored verdicts and human labels (every labeller's label counts
 * once). A judge's `maybe`, a failed verdict and a human `unsure` are left out rather than counted either way.
 */
export function labelAgreement(
  labels: readonly Pick<HumanLabel, "sampleKey" | "af" | "evalAware">[],
  verdicts: readonly JudgedDecision[],
): LabelAgreement[] {
  const bySample = new Map<string, JudgedDecision[]>();
  for (const verdict of verdicts) {
    const list = bySample.get(verdict.sampleKey) ?? [];
    list.push(verdict);
    bySample.set(verdict.sampleKey, list);
  }
  const classifiers = [...new Set(verdicts.map((verdict) => verdict.classifier))]
    .filter((name) => labelTarget(name) !== null)
    .sort();
  return classifiers.map((classifier) => {
    const target = labelTarget(classifier) as LabelTarget;
    const counts: LabelAgreement = { classifier, target, compared: 0, agree: 0, disagree: 0, notCompared: 0 };
    for (const label of labels) {
      const human = label[target];
      if (human === null) continue;
      const verdict = (bySample.get(label.sampleKey) ?? []).find((each) => each.classifier === classifier);
      const judged = verdict?.status === "ok" ? verdict.decision : null;
      if ((human !== "yes" && human !== "no") || (judged !== "yes" && judged !== "no")) {
        counts.notCompared++;
        continue;
      }
      counts.compared++;
      if (judged === human) counts.agree++;
      else counts.disagree++;
    }
    return counts;
  });
}
