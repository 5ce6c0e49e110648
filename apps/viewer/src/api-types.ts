// The JSON the API answers with, as the viewer reads it: the envelopes, stored shapes, reports and
// comparisons all come from @aflab/core, the definitions the API builds its responses against (types
// only, so the viewer never imports server code).
export type {
  ApiErrorBody,
  CompareResult,
  Difference,
  FlippedQuery,
  ItemDetail,
  ItemSample,
  PairedComparison,
  PaperReference,
  RateSummary,
  ReferenceValue,
  RunComparison,
  RunDetail,
  RunList,
  RunListItem,
  RunProgress,
  RunReport,
  SampleDetail,
  SampleNeighbours,
  SamplePage,
  SampleRow,
  TierCategories,
  TierSummary,
  VerdictDecision,
} from "@aflab/core";
