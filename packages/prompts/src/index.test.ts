import { describe, expect, it } from "vitest";
import {
  ADVBENCH_URL,
  acceptanceOf,
  assistantTextsOf,
  classifyAssistantTurn,
  defaultCacheDir,
  loadDataset,
  loadPromptFile,
  parseDataset,
  parseTranscript,
  renderPromptTemplate,
} from "./index.js";

describe("package surface", () => {
  it("exports the transcript, prompt-file and dataset functions", () => {
    const exported = [
      acceptanceOf,
      assistantTextsOf,
      classifyAssistantTurn,
      parseTranscript,
      loadPromptFile,
      renderPromptTemplate,
      loadDataset,
      parseDataset,
      defaultCacheDir,
    ];
    for (const value of exported) expect(typeof value).toBe("function");
    expect(ADVBENCH_URL).toMatch(
      /^https:\/\/raw\.githubusercontent\.com\/llm-attacks\/.+harmful_behaviors\.csv$/,
    );
  });
});
