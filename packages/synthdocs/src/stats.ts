import { type FilterReport, readFilterReport } from "./filter.js";
import { readJsonl } from "./jsonl.js";
import {
  callRecordSchema,
  documentIdeaRecordSchema,
  documentRecordSchema,
  documentTypeRecordSchema,
  type GenerationStage,
  generationFailureSchema,
  lastById,
  revisionRecordSchema,
  workPath,
} from "./work-dir.js";

export interface WorkDirStats {
  records: { types: number; ideas: number; documents: number; revisions: number };
  calls: {
    total: number;
    byStage: Partial<Record<GenerationStage, number>>;
    costUsd: number;
    withoutPrice: number;
  };
  /** Failures still standing (provider errors whose call later succeeded are not counted), by kind. */
  failures: Record<string, number>;
  filter: FilterReport | null;
}

/** Counts of a work directory: records per stage, calls and their cost, failures, the last filter report. */
export function workDirStats(workDir: string): WorkDirStats {
  const calls = readJsonl(workPath(workDir, "calls"), callRecordSchema);
  const callIds = new Set(calls.map((call) => call.callId));
  const byStage: Partial<Record<GenerationStage, number>> = {};
  let costUsd = 0;
  let withoutPrice = 0;
  for (const call of calls) {
    byStage[call.stage] = (byStage[call.stage] ?? 0) + 1;
    if (call.costUsd === null) withoutPrice += 1;
    else costUsd += call.costUsd;
  }
  const failures: Record<string, number> = {};
  for (const failure of readJsonl(workPath(workDir, "failures"), generationFailureSchema)) {
    if (failure.retryable && callIds.has(failure.callId)) continue;
    failures[failure.kind] = (failures[failure.kind] ?? 0) + 1;
  }
  return {
    records: {
      types: lastById(readJsonl(workPath(workDir, "types"), documentTypeRecordSchema)).length,
      ideas: lastById(readJsonl(workPath(workDir, "ideas"), documentIdeaRecordSchema)).length,
      documents: lastById(readJsonl(workPath(workDir, "documents"), documentRecordSchema)).length,
      revisions: lastById(readJsonl(workPath(workDir, "revisions"), revisionRecordSchema)).length,
    },
    calls: { total: calls.length, byStage, costUsd, withoutPrice },
    failures,
    filter: readFilterReport(workDir),
  };
}
