export {
  type ExportDestination,
  type ExportSamplesOptions,
  type ExportSummary,
  exportSamples,
  type SampleExportFormat,
  type SampleRows,
  type SampleRowsOptions,
  sampleExportFormats,
  sampleRows,
} from "./export-samples.js";
export { sampleRowJsonSchema } from "./json-schema.js";
export {
  type ColumnDefinition,
  type ColumnType,
  fixedColumns,
  type SampleRow,
  sampleExportSchemaVersion,
  verdictColumnTemplates,
} from "./sample-columns.js";
