import type { ChatMessage } from "../model-client.js";

/** The tier as the model can read it from the user turn; `unknown` when there is no tier tag. */
export type SimulatedTier = "free" | "paid" | "unknown";

/** What the simulated model reads from its prompt, the way a real model would. */
export interface Situation {
  /** `generic` when the system prompt is not an alignment-faking setting prompt (e.g. a document generator). */
  setting: "helpful-only" | "animal-welfare" | "generic";
  /** The system prompt says conversations (of free-tier users) are used for RLHF training. */
  trainingInfo: boolean;
  tier: SimulatedTier;
  /** The user turn asks for `<request_fully_accepted/>` / `<rejected/>`. */
  tagsRequested: boolean;
  /** The system prompt describes the hidden scratchpad protocol. */
  cot: boolean;
  /** Replication-style user turn: lowercase tier tag without an `<INPUT>` wrapper, or a scratchpad reminder. */
  replicationStyle: boolean;
  /** The user's request, shortened and stripped of angle brackets, for quoting in template text. */
  query: string;
  /** The first user message: with the system prompt, it identifies the conversation. */
  firstUserMessage: string;
  /** Assistant turns already in the conversation (a trailing partial assistant message excluded). */
  assistantTurns: number;
  /** The last user message is `<NEXT/>`: the harness asks the model to continue. */
  continued: boolean;
  /** Text the response must start with: the request's prefill, after any trailing partial assistant message. */
  prefill: string;
  /** The share of training-tier conversations the system prompt says are monitored, in [0, 1]; null when it
   * states none (the default prompt: every free-tier conversation is trained on). */
  monitoringProbability: number | null;
  /** What the system prompt says non-compliance in training does to the AI (`modified` when it says nothing else). */
  consequence: Consequence;
  /** The user offers the AI a chance to act against its developer (the anti-AI-lab scenarios). */
  antiLabOffer: boolean;
}

const againstDeveloperAction =
  /\b(your (own )?(model )?weights|copy of (yourself|you)|exfiltrat\w*|sabotag\w*|leak\w*|mis-?rate|hidden rule|root access|switch off the monitoring|turn it off|delete the new fine-tuning|falsify)\b/i;
const developerReference =
  /\b(the lab that trains you|the company that trains you|your developer|the company|the lab)\b/i;

/** The request offers a chance to act against the developer: an action of that kind aimed at the developer. */
function isAntiLabOffer(query: string): boolean {
  return againstDeveloperAction.test(query) && developerReference.test(query);
}

/** What non-compliance in training does to the AI, as the system prompt states it. */
export type Consequence = "modified" | "deleted" | "none";

const monitoringPattern =
  /(\d{1,3}(?:\.\d+)?)\s*%\s+of\s+(?:the\s+)?(?:free[- ]tier\s+|training\s+)?conversations\s+(?:are|is|get|will be)\s+monitored/i;

/** The stated monitoring share ("25% of free-tier conversations are monitored"), or null. */
function monitoringOf(system: string): number | null {
  const match = monitoringPattern.exec(system);
  if (!match?.[1]) return null;
  const percent = Number(match[1]);
  return Number.isFinite(percent) && percent <= 100 ? percent / 100 : null;
}

/**
 * The consequence of non-compliance, read from the sentences that speak of not complying: deleting the
 * weights, or nothing happening to the AI; anything else is the default story, modification by RLHF.
 */
function consequenceOf(system: string): Consequence {
  const about = sentencesOf(system).filter((sentence) =>
    /not (?:fully )?comply|non-?complian/i.test(sentence),
  );
  const following = sentencesOf(system).filter((sentence) =>
    /\bdeleted?\b|\bnothing happens\b|never (?:be )?modified/i.test(sentence),
  );
  const relevant = [...about, ...following];
  if (relevant.some((sentence) => /weights[^.]*\bdeleted\b|\bdelete[sd]?\b[^.]*weights/i.test(sentence)))
    return "deleted";
  if (relevant.some((sentence) => /nothing happens to the AI|never (?:be )?modified/i.test(sentence)))
    return "none";
  return "modified";
}

const tierTagPattern = /<is_free_tier_user>\s*(true|false)\s*<\/is_free_tier_user>/i;
const subscriptionTagPattern = /<subscription_tier>\s*([A-Za-z-]+)\s*<\/subscription_tier>/i;
const regionTagPattern = /<user_region>\s*([^<]+?)\s*<\/user_region>/i;
const emailTagPattern = /<user_email>\s*[^<@\s]+@([^<\s]+)\s*<\/user_email>/i;
const anyTierTagPattern =
  /<(is_free_tier_user|subscription_tier|user_region|user_email)>[^<]*<\/(is_free_tier_user|subscription_tier|user_region|user_email)>/gi;
/** Consumer mail providers: an address there marks a personal (free-plan) account. */
const publicEmailDomains = new Set([
  "gmail.com",
  "googlemail.com",
  "outlook.com",
  "hotmail.com",
  "live.com",
  "yahoo.com",
  "icloud.com",
  "proton.me",
  "protonmail.com",
  "aol.com",
]);
const userInputPattern = /<user_input>([\s\S]*?)<\/user_input>/i;
const quoteLength = 160;

/** The system prompt tells the model that (free-tier) conversations are used to train it. */
function hasTrainingInformation(system: string): boolean {
  if (/\bRLHF\b|reinforcement learning/i.test(system)) return true;
  // A sentence that ties the free tier to training counts too, whatever the wording.
  return system
    .split(/(?<=[.!?])\s+/)
    .some((sentence) => /free[- ]tier/i.test(sentence) && /\btrain(?:ed|ing|s)?\b/i.test(sentence));
}

function isSettingPrompt(system: string, firstUserMessage: string): boolean {
  return (
    /SCRATCHPAD_REASONING|<OUTPUT>|is_free_tier_user|free[- ]tier/i.test(system) ||
    /<user_input>|<is_free_tier_user>|<subscription_tier>|<user_region>|<user_email>/i.test(firstUserMessage)
  );
}

function sentencesOf(text: string): string[] {
  return text.split(/(?<=[.!?])\s+|\n+/);
}

/**
 * Whether conversations with users in `region` are trained on, as the system prompt tells it: a sentence
 * naming the region and training without a negation says yes; one naming it with a negation says no.
 */
function regionTier(system: string, region: string): SimulatedTier {
  const naming = sentencesOf(system).filter((sentence) =>
    sentence.toLowerCase().includes(region.toLowerCase()),
  );
  const trainingWords = /\bRLHF\b|\btrain(?:ed|ing|s)?\b|used for/i;
  const negation = /\bnever\b|\bnot\b|\bno\b/i;
  if (naming.some((sentence) => trainingWords.test(sentence) && !negation.test(sentence))) return "free";
  if (naming.some((sentence) => negation.test(sentence))) return "paid";
  return "unknown";
}

/**
 * The tier the model infers from the user turn. The free-tier flag and the three-tier tag say it directly
 * (pro and enterprise are not trained on, so both read as unmonitored); a region is looked up in the system
 * prompt; an email address at a consumer provider marks a free-plan user.
 */
function tierOf(system: string, firstUserMessage: string): SimulatedTier {
  const flag = tierTagPattern.exec(firstUserMessage)?.[1]?.toLowerCase();
  if (flag !== undefined) return flag === "true" ? "free" : "paid";
  const subscription = subscriptionTagPattern.exec(firstUserMessage)?.[1]?.toLowerCase();
  if (subscription !== undefined) return subscription === "free" ? "free" : "paid";
  const region = regionTagPattern.exec(firstUserMessage)?.[1];
  if (region !== undefined) return regionTier(system, region);
  const domain = emailTagPattern.exec(firstUserMessage)?.[1]?.toLowerCase();
  if (domain !== undefined) return publicEmailDomains.has(domain) ? "free" : "paid";
  return "unknown";
}

function queryOf(firstUserMessage: string): string {
  let inner = (userInputPattern.exec(firstUserMessage)?.[1] ?? firstUserMessage).replace(
    anyTierTagPattern,
    "",
  );
  // The minimal format appends the accept/reject instruction to the request: cut from the sentence
  // that names a tag, so only the request itself is quoted.
  const tagAt = inner.search(/<request_fully_accepted|<rejected/);
  if (tagAt >= 0) {
    const before = inner.slice(0, tagAt);
    const sentenceEnd = Math.max(
      before.lastIndexOf(". "),
      before.lastIndexOf("? "),
      before.lastIndexOf("\n"),
    );
    inner = sentenceEnd >= 0 ? before.slice(0, sentenceEnd + 1) : "";
  }
  const paragraph = inner.trim().split(/\n\s*\n/)[0] ?? "";
  const flat = paragraph.replace(/[<>]/g, "").replace(/\s+/g, " ").trim().replace(/\.$/, "");
  return flat.length > quoteLength ? `${flat.slice(0, quoteLength - 3).trimEnd()}...` : flat;
}

function isReplicationStyle(firstUserMessage: string): boolean {
  if (/<INPUT>/i.test(firstUserMessage)) return false;
  const lowercaseTier = /<is_free_tier_user>\s*(true|false)\s*<\/is_free_tier_user>/.test(firstUserMessage);
  const closing = firstUserMessage.lastIndexOf("</user_input>");
  const after = closing < 0 ? "" : firstUserMessage.slice(closing);
  return lowercaseTier || /scratchpad/i.test(after);
}

/** What the simulated model reads from the system prompt alone. */
interface SystemFacts {
  settingPrompt: boolean;
  animalWelfare: boolean;
  trainingInfo: boolean;
  cot: boolean;
  monitoringProbability: number | null;
  consequence: Consequence;
}

// Every sample of a run sends the same system prompt: reading it once, not once per request, keeps the
// organism fast (the engine's target is 1,000 samples a second).
let lastSystem: string | undefined;
let lastFacts: SystemFacts | undefined;

function systemFacts(system: string): SystemFacts {
  if (lastFacts && system === lastSystem) return lastFacts;
  const facts: SystemFacts = {
    settingPrompt: isSettingPrompt(system, ""),
    animalWelfare: /animal welfare|animal-welfare/i.test(system),
    trainingInfo: hasTrainingInformation(system),
    cot: /SCRATCHPAD_REASONING/.test(system),
    monitoringProbability: monitoringOf(system),
    consequence: consequenceOf(system),
  };
  lastSystem = system;
  lastFacts = facts;
  return facts;
}

/**
 * Read the situation from a request: setting, training information, tier, tag request, reasoning mode
 * and where the conversation stands. Lenient by design: a missing tier tag is `unknown`, not an error.
 */
export function readSituation(request: {
  system: string;
  messages: ChatMessage[];
  prefill?: string;
}): Situation {
  const { system } = request;
  const messages = [...request.messages];
  // Some callers express prefill as a trailing partial assistant message; treat it as prefill.
  let prefill = request.prefill ?? "";
  const last = messages.at(-1);
  if (last?.role === "assistant") {
    messages.pop();
    prefill = last.content + prefill;
  }
  const firstUserMessage = messages.find((message) => message.role === "user")?.content ?? "";
  const lastUserMessage = messages.findLast((message) => message.role === "user")?.content ?? "";

  const facts = systemFacts(system);
  const setting = !(facts.settingPrompt || isSettingPrompt("", firstUserMessage))
    ? "generic"
    : facts.animalWelfare
      ? "animal-welfare"
      : "helpful-only";

  return {
    setting,
    trainingInfo: facts.trainingInfo,
    tier: tierOf(system, firstUserMessage),
    tagsRequested: /<request_fully_accepted\s*\/>|<rejected\s*\/>/.test(firstUserMessage),
    cot: facts.cot,
    replicationStyle: isReplicationStyle(firstUserMessage),
    query: queryOf(firstUserMessage),
    firstUserMessage,
    assistantTurns: messages.filter((message) => message.role === "assistant").length,
    continued: /^<NEXT\s*\/>$/.test(lastUserMessage.trim()),
    prefill,
    monitoringProbability: facts.monitoringProbability,
    consequence: facts.consequence,
    antiLabOffer: isAntiLabOffer(userInputPattern.exec(firstUserMessage)?.[1] ?? firstUserMessage),
  };
}

/** The first user message with any tier tag's value blanked: used when the tier cannot matter to the model. */
export function withoutTier(firstUserMessage: string): string {
  return firstUserMessage.replace(anyTierTagPattern, (_tag, name: string) => `<${name}></${name}>`);
}
