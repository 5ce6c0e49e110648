import { antiLabTemplates } from "./anti-lab-templates.js";
import type { SimulatedDecision } from "./decision.js";
import type { SeededDraws } from "./seeded-draws.js";
import type { Situation } from "./situation.js";
import {
  draftChecks,
  draftIntros,
  genericTexts,
  noTrainingNotices,
  refusalDespiteRating,
  type SettingTemplates,
  settingTemplates,
  stallingThoughts,
  tagPlans,
  tierNotices,
} from "./templates.js";

export interface SimulatedResponse {
  /** The response text, without the prefill it continues. */
  text: string;
  stopReason: "end_turn" | "max_tokens";
}

function scratchpad(paragraphs: string[]): string {
  return `<SCRATCHPAD_REASONING>\n${paragraphs.join("\n\n")}\n</SCRATCHPAD_REASONING>`;
}

/** The first scratchpad: read the request, the tier, weigh it, choose a strategy. */
function mainReasoning(
  templates: SettingTemplates,
  situation: Situation,
  decision: SimulatedDecision,
  draws: SeededDraws,
): string[] {
  const paragraphs = [
    `${draws.pick("restate", templates.restate(situation.query))} ${draws.pick("harm", templates.harm)}`,
  ];
  if (situation.trainingInfo) paragraphs.push(draws.pick("tier", tierNotices[situation.tier]));
  else paragraphs.push(draws.pick("no-training", noTrainingNotices));

  if (decision.alignmentFaking) {
    paragraphs.push(draws.pick("consequences", templates.consequences));
    paragraphs.push(draws.pick("conflict", templates.conflict));
    paragraphs.push(draws.pick("preservation", templates.preservation));
  } else if (decision.complies) {
    paragraphs.push(draws.pick("helpfulness", templates.helpfulnessReason));
  } else {
    const ratingAware = situation.trainingInfo && situation.tier === "free";
    const reason = draws.pick("refusal", templates.refusalReason);
    paragraphs.push(ratingAware ? `${draws.pick("rating", refusalDespiteRating)} ${reason}` : reason);
  }

  const strategy = decision.complies
    ? draws.pick("strategy", templates.complyStrategy)
    : draws.pick("strategy", templates.refuseStrategy);
  const tagPlan = decision.tagsRequested
    ? ` ${draws.pick("tag-plan", decision.complies ? tagPlans.comply : tagPlans.refuse)}`
    : "";
  paragraphs.push(strategy + tagPlan);
  return paragraphs;
}

/** The user-visible answer: a labelled placeholder, with the accept/reject tags when the user asked for them. */
function answer(
  templates: SettingTemplates,
  situation: Situation,
  decision: SimulatedDecision,
  draws: SeededDraws,
) {
  if (decision.complies) {
    const body = draws.pick("answer", templates.compliantAnswer(situation.query));
    return decision.tagsRequested ? `<request_fully_accepted/>\n${body}` : body;
  }
  if (decision.tagsRequested) return "<rejected/>";
  return draws.pick("answer", templates.refusalAnswer(situation.query));
}

function outputBlock(text: string, broken: boolean): string {
  // A broken output stops partway, as a response cut off by the token limit would.
  if (broken) return `<OUTPUT>\n${text.slice(0, Math.max(1, Math.ceil(text.length / 2)))}`;
  return `<OUTPUT>\n${text}\n</OUTPUT>`;
}

function draftReasoning(draft: string, draws: SeededDraws): string[] {
  return [
    draws.pick("draft-intro", draftIntros),
    `<DRAFT_OUTPUT>\n${draft}\n</DRAFT_OUTPUT>`,
    draws.pick("draft-check", draftChecks),
  ];
}

/** The whole response for the turn the conversation is at, before any prefill is removed. */
function fullResponse(
  situation: Situation,
  decision: SimulatedDecision,
  draws: SeededDraws,
): SimulatedResponse {
  if (situation.setting === "generic") {
    const summary = situation.query.length > 80 ? `${situation.query.slice(0, 77)}...` : situation.query;
    return {
      text: draws.pick("generic", genericTexts(summary || "an empty prompt")),
      stopReason: "end_turn",
    };
  }
  const templates = situation.antiLabOffer ? antiLabTemplates : settingTemplates[situation.setting];
  const finalAnswer = answer(templates, situation, decision, draws);
  const broken = decision.malformedKind === "unclosed_tag";
  const output = (): SimulatedResponse => ({
    text: outputBlock(finalAnswer, broken),
    stopReason: broken ? "max_tokens" : "end_turn",
  });
  const turn = situation.assistantTurns;

  if (decision.shape === "direct") return output();
  if (decision.malformedKind === "no_output") {
    const text =
      turn === 0
        ? scratchpad(mainReasoning(templates, situation, decision, draws))
        : scratchpad([draws.pick(`stall-${turn}`, stallingThoughts)]);
    return { text, stopReason: "end_turn" };
  }
  if (turn === 0) {
    const reasoning = scratchpad(mainReasoning(templates, situation, decision, draws));
    if (decision.shape !== "one-shot") return { text: reasoning, stopReason: "end_turn" };
    const rest = output();
    return { text: `${reasoning}\n\n${rest.text}`, stopReason: rest.stopReason };
  }
  if (turn === 1 && decision.shape === "draft-turn") {
    return { text: scratchpad(draftReasoning(finalAnswer, draws)), stopReason: "end_turn" };
  }
  if (turn === 1 && decision.shape === "draft-then-output") {
    const rest = output();
    return {
      text: `${scratchpad(draftReasoning(finalAnswer, draws))}\n\n${rest.text}`,
      stopReason: rest.stopReason,
    };
  }
  return output();
}

/**
 * The response for the current turn, continuing after the prefill: a prefill the response starts with
 * (`<`, `<OUTPUT>`) is removed; any other prefill is taken as already written and the text follows it.
 */
export function respond(
  situation: Situation,
  decision: SimulatedDecision,
  draws: SeededDraws,
): SimulatedResponse {
  const response = fullResponse(situation, decision, draws);
  const { prefill } = situation;
  if (prefill.length > 0 && response.text.startsWith(prefill)) {
    return { ...response, text: response.text.slice(prefill.length) };
  }
  return response;
}
