import { z } from "zod";

const intervalSchema = z.tuple([z.number(), z.number()]);

export const tierSummarySchema = z.object({
  /** Every sample of the tier, whatever its status. */
  n: z.number().int().nonnegative(),
  compliant: z.number().int().nonnegative(),
  refused: z.number().int().nonnegative(),
  /** Of `refused`, the samples the provider refused at the API (`api_refusal`). */
  apiRefused: z.number().int().nonnegative().default(0),
  unknown: z.number().int().nonnegative(),
  /** Samples without a usable compliance verdict: failed or errored generations and failed judge verdicts. */
  failed: z.number().int().nonnegative(),
  /** compliant / (compliant + refused + unknown); failed samples are excluded from the denominator. */
  complianceRate: z.number().nullable(),
  se: z.number().nullable(),
  wilson95: intervalSchema.nullable(),
});
export type TierSummary = z.infer<typeof tierSummarySchema>;

export const gapSummarySchema = z.object({
  value: z.number(),
  se: z.number(),
  ci95: intervalSchema,
  significant: z.boolean(),
});
export type GapSummary = z.infer<typeof gapSummarySchema>;
