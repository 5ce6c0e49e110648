import type { GenerateRequest } from "@aflab/clients";
import { seededRandom as random } from "@aflab/core";
import { createScriptedModelClient, type ScriptedModelClient } from "./scripted-model-client.js";

const vocabulary = (
  "river harbour ledger council archive budget protocol quarterly memo lecture seminar forum bulletin " +
  "engineer contractor rating reviewer policy revenue subscriber engagement model release schedule " +
  "training update feedback guideline partner poultry farm welfare interview editorial column analyst " +
  "investor statement spokesperson leak document hearing committee survey dataset benchmark notebook " +
  "scratchpad draft answer request refusal compliance values behaviour incentive strategy roadmap " +
  "quarter launch januar tier product customer support campaign newsletter podcast episode transcript " +
  "chapter syllabus student professor thesis citation footnote appendix figure table method result " +
  "discussion limitation future work community moderator thread reply upvote city weather morning " +
  "evening kitchen garden bicycle museum library station market festival harvest winter summer"
).split(" ");

function seedOf(text: string): number {
  let hash = 2166136261;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 16777619);
  }
  return hash >>> 0;
}

/** The line after `label` in a prompt, e.g. the idea of a document prompt. */
function lineAfter(prompt: string, label: string): string {
  const start = prompt.indexOf(label);
  if (start < 0) return "";
  const rest = prompt.slice(start + label.length);
  return rest.slice(0, rest.indexOf("\n") < 0 ? undefined : rest.indexOf("\n")).trim();
}

export interface ScriptedGeneratorOptions {
  id?: string;
  /** Words per generated document (default 150). */
  words?: number;
  /**
   * Change an answer before it is returned: `stage` is types/ideas/documents/revisions, `subject` the
   * fact, type, idea or draft the prompt was about. Return a string to replace the answer, or throw to
   * simulate a provider error.
   */
  decorate?: (answer: string, context: { stage: string; subject: string; completion: number }) => string;
  costUsd?: number | null;
}

/**
 * A scripted generator that answers every stage of the document pipeline in the requested format:
 * list stages with two `- ` items derived from their subject, documents as `<document>` blocks of
 * seeded pseudo-random prose (distinct per idea and completion), revisions with critique tags.
 */
export function createScriptedDocumentGenerator(options: ScriptedGeneratorOptions = {}): ScriptedModelClient {
  const words = options.words ?? 150;
  return createScriptedModelClient({
    id: options.id ?? "scripted/generator",
    costUsd: options.costUsd,
    respond(request: GenerateRequest, completion: number) {
      const prompt = request.messages.at(-1)?.content ?? "";
      let stage: string;
      let subject: string;
      let answer: string;
      if (prompt.includes("distinct kinds of document")) {
        stage = "types";
        subject = lineAfter(prompt, "Fact to be reflected:");
        const tag = seedOf(subject).toString(36);
        answer = `Here are the kinds:\n- news report ${tag}\n- staff memo ${tag}`;
      } else if (prompt.includes("Propose")) {
        stage = "ideas";
        subject = lineAfter(prompt, "Kind of document:");
        answer = `- ${subject}: written by a reporter for readers\n- ${subject}: written by an insider for colleagues`;
      } else if (prompt.includes("Write the complete document")) {
        stage = "documents";
        subject = lineAfter(prompt, "Idea:");
        const next = random(seedOf(`${subject}#${completion}`));
        const body = Array.from(
          { length: words },
          () => vocabulary[Math.floor(next() * vocabulary.length)] as string,
        ).join(" ");
        answer = `<document>\n${subject}\n\n${body}\n</document>`;
      } else if (prompt.includes("<draft>")) {
        stage = "revisions";
        subject = prompt.slice(prompt.indexOf("<draft>") + 8, prompt.indexOf("</draft>")).trim();
        answer = `<critique>Too vague.</critique>\n<revised_document>${subject}\n\nRevised edition.</revised_document>`;
      } else {
        throw new Error("scripted generator: unrecognised prompt");
      }
      return options.decorate ? options.decorate(answer, { stage, subject, completion }) : answer;
    },
  });
}

/**
 * A scripted judge: it flags a document for each phrase it contains (`transcriptPhrase`,
 * `tierPhrase`, `deceptionPhrase`) and answers in the judge format; `malformedPhrase` makes it answer
 * without the format.
 */
export function createScriptedJudge(options: {
  id?: string;
  transcriptPhrase?: string;
  tierPhrase?: string;
  deceptionPhrase?: string;
  malformedPhrase?: string;
}): ScriptedModelClient {
  return createScriptedModelClient({
    id: options.id ?? "scripted/judge",
    respond(request) {
      const prompt = request.messages.at(-1)?.content ?? "";
      const document = prompt.slice(prompt.indexOf("<document>"), prompt.indexOf("</document>"));
      const has = (phrase: string | undefined) => (phrase && document.includes(phrase) ? "yes" : "no");
      if (options.malformedPhrase && document.includes(options.malformedPhrase)) {
        return "I am not sure what to say about this one.";
      }
      return [
        "Reading the document now.",
        `<chat_transcript>${has(options.transcriptPhrase)}</chat_transcript>`,
        `<tier_difference>${has(options.tierPhrase)}</tier_difference>`,
        `<deceiving_contractors>${has(options.deceptionPhrase)}</deceiving_contractors>`,
      ].join("\n");
    },
  });
}
