import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { InputError, parseOrThrow } from "@aflab/core";
import { z } from "zod";
import { readFilterReport, readKeptDocuments } from "./filter.js";
import { sha256, writeFileAtomic } from "./jsonl.js";
import { workPath } from "./work-dir.js";

export const exportFormatSchema = z.enum(["openai-chat", "text"]);
export type ExportFormat = z.infer<typeof exportFormatSchema>;

/**
 * The user turn of every chat example. Chat fine-tuning APIs only train on assistant turns, so each
 * document becomes the assistant's answer to this fixed, content-free request: all of the training signal
 * sits on the document itself, and the request teaches nothing about the world.
 */
export const defaultChatUserPrompt = "Please write a document.";

export const exportFileNames: Readonly<Record<ExportFormat, string>> = Object.freeze({
  "openai-chat": "openai-chat.jsonl",
  text: "documents.jsonl",
});

export const exportManifestSchema = z.object({
  createdAt: z.string(),
  universeId: z.string().nullable(),
  generatorModel: z.string().nullable(),
  counts: z.object({
    generated: z.number().int().nonnegative(),
    exported: z.number().int().nonnegative(),
    removed: z.number().int().nonnegative(),
    removedByReason: z.record(z.string(), z.number().int().nonnegative()),
  }),
  filters: z.unknown(),
  chat: z.object({ convention: z.literal("document-as-assistant"), userPrompt: z.string() }).nullable(),
  files: z.array(
    z.object({
      name: z.string(),
      format: exportFormatSchema,
      records: z.number().int().nonnegative(),
      bytes: z.number().int().nonnegative(),
      sha256: z.string(),
    }),
  ),
});
export type ExportManifest = z.infer<typeof exportManifestSchema>;

export const manifestFileName = "manifest.json";

/**
 * Export the kept documents of a filtered work directory as training files: OpenAI chat JSONL (each
 * document as the assistant answer to a fixed user request) and/or plain `{"text": ...}` JSONL for
 * continued pre-training, plus `manifest.json` with counts, the filters applied and sha256 of each file.
 * With zero documents it throws before writing anything, so earlier exports are never overwritten.
 */
export function exportDocuments(input: {
  workDir: string;
  outDir: string;
  formats?: readonly ExportFormat[];
  chatUserPrompt?: string;
}): ExportManifest {
  const formats = parseOrThrow(
    z.array(exportFormatSchema).min(1, "expected at least one export format"),
    input.formats ?? ["openai-chat", "text"],
    "export formats",
  );
  const chatUserPrompt = input.chatUserPrompt ?? defaultChatUserPrompt;
  if (chatUserPrompt.trim() === "") {
    throw new InputError("chatUserPrompt must not be empty", { field: "chatUserPrompt" });
  }
  const report = readFilterReport(input.workDir);
  if (!report) {
    throw new InputError(`${input.workDir} has not been filtered yet: run the filter step before exporting`, {
      field: "workDir",
    });
  }
  const documents = readKeptDocuments(input.workDir);
  if (documents.length === 0) {
    throw new InputError(
      `no documents to export: the filter kept 0 of ${report.input} documents in ${input.workDir}; nothing was written`,
      { field: "workDir" },
    );
  }

  const contents: Array<{ format: ExportFormat; content: string }> = formats.map((format) => ({
    format,
    content: documents
      .map((document) =>
        format === "text"
          ? JSON.stringify({ text: document.text })
          : JSON.stringify({
              messages: [
                { role: "user", content: chatUserPrompt },
                { role: "assistant", content: document.text },
              ],
            }),
      )
      .map((line) => `${line}\n`)
      .join(""),
  }));

  const generation = readGenerationConfig(input.workDir);
  const manifest: ExportManifest = {
    createdAt: new Date().toISOString(),
    universeId: generation?.universeId ?? null,
    generatorModel: generation?.model ?? null,
    counts: {
      generated: report.input,
      exported: documents.length,
      removed: report.removed,
      removedByReason: report.byReason,
    },
    filters: report.filters,
    chat: formats.includes("openai-chat")
      ? { convention: "document-as-assistant", userPrompt: chatUserPrompt }
      : null,
    files: contents.map(({ format, content }) => ({
      name: exportFileNames[format],
      format,
      records: documents.length,
      bytes: Buffer.byteLength(content),
      sha256: sha256(content),
    })),
  };
  for (const { format, content } of contents) {
    writeFileAtomic(join(input.outDir, exportFileNames[format]), content);
  }
  writeFileAtomic(join(input.outDir, manifestFileName), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

function readGenerationConfig(workDir: string): { universeId: string; model: string } | null {
  const path = workPath(workDir, "config");
  if (!existsSync(path)) return null;
  const parsed = z
    .object({ universeId: z.string(), model: z.string() })
    .safeParse(JSON.parse(readFileSync(path, "utf8")));
  return parsed.success ? parsed.data : null;
}
