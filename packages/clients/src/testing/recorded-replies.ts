import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The recorded provider replies kept in `src/__fixtures__` (its README says where each one came from). */
export const recordedReplyNames = [
  "anthropic-thinking",
  "anthropic-thinking-tokens",
  "anthropic-redacted-thinking.1",
  "anthropic-redacted-thinking.2.request",
  "anthropic-redacted-thinking.2",
  "anthropic-text-blocks",
  "anthropic-refusal",
  "deepseek-reasoning-content",
  "xai-reasoning-content",
  "groq-reasoning",
  "openai-content-filter",
  "openai-refusal",
] as const;
export type RecordedReplyName = (typeof recordedReplyNames)[number];

// From the sources (src/testing) the folder is a sibling; from the build (dist/testing) it is in src.
const folders = ["../__fixtures__/", "../../src/__fixtures__/"];

/**
 * A recorded reply's body exactly as stored, for a fake server to send verbatim (`{ recordedBody }`).
 * Read from the repository's sources: the fixtures are not part of the published package.
 */
export function readRecordedReply(name: RecordedReplyName): string {
  for (const folder of folders) {
    const path = fileURLToPath(new URL(`${folder}${name}.json`, import.meta.url));
    if (existsSync(path)) return readFileSync(path, "utf8");
  }
  throw new Error(`recorded reply ${name} not found next to ${fileURLToPath(import.meta.url)}`);
}
