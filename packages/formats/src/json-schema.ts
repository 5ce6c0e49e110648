import {
  type ColumnDefinition,
  fixedColumns,
  sampleExportSchemaVersion,
  verdictColumnPattern,
} from "./sample-columns.js";

const jsonTypes = { string: "string", integer: "integer", number: "number", boolean: "boolean" } as const;

function property(entry: ColumnDefinition): Record<string, unknown> {
  const type = jsonTypes[entry.type];
  return {
    type: entry.nullable ? [type, "null"] : type,
    description: entry.description,
    ...(entry.name === "schema_version" ? { const: sampleExportSchemaVersion } : {}),
  };
}

/**
 * The JSON Schema of one exported row (a JSONL line; CSV and Parquet have the same columns). It is the
 * source of `sample-row.schema.json`, which a test keeps equal to it.
 */
export function sampleRowJsonSchema(): Record<string, unknown> {
  const base = fixedColumns({ texts: false });
  const all = fixedColumns({ texts: true });
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: `https://aflab.dev/schemas/sample-row.v${sampleExportSchemaVersion}.json`,
    title: `aflab sample export row, schema version ${sampleExportSchemaVersion}`,
    description:
      "One sample of a run. The text columns appear only with --texts. Each classifier that judged the run adds the columns verdict.<classifier>.{status,decision,score,failure_kind,judge_model,cost_usd}, null where the sample has no verdict from it.",
    type: "object",
    properties: Object.fromEntries(all.map((entry) => [entry.name, property(entry)])),
    required: base.map((entry) => entry.name),
    patternProperties: {
      [verdictColumnPattern]: { type: ["string", "number", "null"] },
    },
    additionalProperties: false,
  };
}
