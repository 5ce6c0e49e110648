import { z } from "zod";
import { sweepConfigSchema } from "./sweep.js";

/** The JSON Schema of sweep config files (published as sweep-config.schema.json for editors and validators). */
export function sweepConfigJsonSchema(): Record<string, unknown> {
  return {
    title: "aflab sweep config",
    description: "models × settings × variants × user formats, plus the run settings every cell shares",
    ...z.toJSONSchema(sweepConfigSchema, { io: "input" }),
  };
}
