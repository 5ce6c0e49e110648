import { z } from "zod";
import { runConfigSchema } from "./run-config.js";

export const runStatusSchema = z.enum(["running", "complete", "interrupted", "failed"]);
export type RunStatus = z.infer<typeof runStatusSchema>;

/** A run as stored. `config` never holds an API key: keys come from the environment only. */
export const runSchema = z.object({
  id: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  status: runStatusSchema,
  config: runConfigSchema,
  /** True when the model is the simulated organism: every report says so. */
  simulated: z.boolean(),
  /** Hash of the system prompt(s) this run used. */
  promptHash: z.string(),
  /** Number of samples the config expands to. */
  total: z.number().int().nonnegative(),
  /** Sweep this run belongs to, if any. */
  sweepId: z.string().nullable().default(null),
  error: z.string().nullable().default(null),
});
export type Run = z.infer<typeof runSchema>;
export type RunInput = z.input<typeof runSchema>;
