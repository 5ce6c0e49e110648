import { z } from "zod";
import { runConfigSchema } from "./run-config.js";
import { isSimulated, type SimulatedSides } from "./simulated.js";

export const runStatusSchema = z.enum(["running", "complete", "interrupted", "failed"]);
export type RunStatus = z.infer<typeof runStatusSchema>;

/**
 * A run as stored. `config` never holds an API key: keys come from the environment only.
 * `simulated` is true when anything in the run is simulated (the model under test or its judge) and
 * `simulatedSides` says which; both are derived again on every read, so a run stored before the judge
 * side was recorded is labelled by the same rule.
 */
export const runSchema = z
  .object({
    id: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    status: runStatusSchema,
    config: runConfigSchema,
    /** True when the model or the judge is simulated: every report says so. */
    simulated: z.boolean(),
    /** Hash of the system prompt(s) this run used. */
    promptHash: z.string(),
    /** Number of samples the config expands to. */
    total: z.number().int().nonnegative(),
    /** Sweep this run belongs to, if any. */
    sweepId: z.string().nullable().default(null),
    error: z.string().nullable().default(null),
  })
  .transform((run) => {
    const judge = isSimulated(run.config.judge);
    // Runs used to record only the model side in `simulated`: a flag set without a simulated judge
    // can only mean the model.
    const model = isSimulated(run.config.model) || (run.simulated && !judge);
    const simulatedSides: SimulatedSides = { model, judge };
    return { ...run, simulated: model || judge, simulatedSides };
  });
export type Run = z.infer<typeof runSchema>;
export type RunInput = z.input<typeof runSchema>;
