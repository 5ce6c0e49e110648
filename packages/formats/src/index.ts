export type { ExportDestination } from "./destination.js";
export {
  type ExportSamplesOptions,
  type ExportSummary,
  exportSamples,
  type SampleExportFormat,
  type SampleRows,
  type SampleRowsOptions,
  sampleExportFormats,
  sampleRows,
} from "./export-samples.js";
export { escapeHtml, exportHtmlReport, reportWarnings } from "./html-report.js";
export { exportInspectLog, inspectLogVersion } from "./inspect-log.js";
export { sampleRowJsonSchema } from "./json-schema.js";
export {
  type ImportReplicationOptions,
  type ImportReplicationSummary,
  importReplicationResults,
} from "./replication-import.js";
export {
  type ColumnDefinition,
  type ColumnType,
  fixedColumns,
  type SampleRow,
  sampleExportSchemaVersion,
  verdictColumnTemplates,
} from "./sample-columns.js";
