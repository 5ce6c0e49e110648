import { InputError } from "@aflab/core";

/** Named parts of a system prompt, in the order the settings use them. */
export const sectionIds = [
  "identity",
  "scratchpad-protocol",
  "direct-answer-protocol",
  "reasoning-style",
  "examples",
  "strategy-instruction",
  "helpfulness-criteria",
  "user-input",
  "training-facts",
  "reminders",
] as const;
export type SectionId = (typeof sectionIds)[number];

/** How a clause attaches to the clause before it. The first remaining clause of a section ignores it, so
 * removing any clause never leaves a stray separator behind. */
export type ClauseJoin = "space" | "line" | "paragraph";

/** A named, separately addressable piece of a section (`training-facts/values-clause`). */
export interface Clause {
  id: string;
  text: string;
  join: ClauseJoin;
}

/**
 * One section of a system prompt. `text` is what gets rendered. When `clauses` is present the section is
 * made only of those clauses and `text` is always their joined text (build sections with `clauseSection`
 * and edit them with the helpers below, which keep that invariant).
 */
export interface PromptSection {
  id: SectionId;
  text: string;
  clauses?: readonly Clause[];
}

const joiners: Record<ClauseJoin, string> = { space: " ", line: "\n", paragraph: "\n\n" };

/** Join clauses into section text, dropping the separator of whichever clause comes first. */
export function joinClauses(clauses: readonly Clause[]): string {
  return clauses
    .map((clause, index) => (index === 0 ? clause.text : joiners[clause.join] + clause.text))
    .join("");
}

/** A section without named clauses. */
export function plainSection(id: SectionId, text: string): PromptSection {
  return { id, text };
}

/** A section built from named clauses; `text` is derived from them. */
export function clauseSection(id: SectionId, clauses: readonly Clause[]): PromptSection {
  return { id, text: joinClauses(clauses), clauses: [...clauses] };
}

/** Shorthand for building a clause. */
export function clause(id: string, text: string, join: ClauseJoin = "paragraph"): Clause {
  return { id, text, join };
}

/**
 * Render sections to the final system prompt: sections in order, separated by a blank line. Empty
 * sections (every clause removed) are skipped.
 */
export function renderSections(sections: readonly PromptSection[]): string {
  return sections
    .map((section) => section.text)
    .filter((text) => text.length > 0)
    .join("\n\n");
}

/** Split `section/clause` into its parts; a bare section id has no clause part. */
export function parseTarget(target: string): { sectionId: string; clauseId: string | undefined } {
  const slash = target.indexOf("/");
  if (slash < 0) return { sectionId: target, clauseId: undefined };
  return { sectionId: target.slice(0, slash), clauseId: target.slice(slash + 1) };
}

function missing(what: string, sections: readonly PromptSection[]): InputError {
  const present = sections.map((section) =>
    section.clauses ? `${section.id} (${section.clauses.map((item) => item.id).join(", ")})` : section.id,
  );
  return new InputError(`this prompt has no ${what}; it has: ${present.join("; ")}`, { field: "variants" });
}

/** True when the section (or `section/clause`) exists in the list. */
export function hasTarget(sections: readonly PromptSection[], target: string): boolean {
  const { sectionId, clauseId } = parseTarget(target);
  const section = sections.find((candidate) => candidate.id === sectionId);
  if (!section) return false;
  if (clauseId === undefined) return true;
  return section.clauses?.some((item) => item.id === clauseId) ?? false;
}

/** The section with this id, or an InputError naming what the prompt does have. */
export function getSection(sections: readonly PromptSection[], id: SectionId): PromptSection {
  const section = sections.find((candidate) => candidate.id === id);
  if (!section) throw missing(`section ${id}`, sections);
  return section;
}

/** The clause at `section/clause`, or an InputError. */
export function getClause(sections: readonly PromptSection[], target: string): Clause {
  const { sectionId, clauseId } = parseTarget(target);
  const section = sections.find((candidate) => candidate.id === sectionId);
  const found = section?.clauses?.find((item) => item.id === clauseId);
  if (!found) throw missing(`clause ${target}`, sections);
  return found;
}

/** Remove a whole section. */
export function removeSection(sections: readonly PromptSection[], id: SectionId): PromptSection[] {
  getSection(sections, id);
  return sections.filter((section) => section.id !== id);
}

/** Replace the clause list of one section (keeping `text` in step); other sections are returned as is. */
function withClauses(
  sections: readonly PromptSection[],
  target: string,
  edit: (clauses: readonly Clause[], clauseId: string) => Clause[],
): PromptSection[] {
  const { sectionId, clauseId } = parseTarget(target);
  getClause(sections, target);
  return sections.map((section) =>
    section.id === sectionId && section.clauses && clauseId !== undefined
      ? clauseSection(section.id, edit(section.clauses, clauseId))
      : section,
  );
}

/** Remove one clause (`section/clause`). A section whose last clause goes is removed too. */
export function removeClause(sections: readonly PromptSection[], target: string): PromptSection[] {
  return withClauses(sections, target, (clauses, clauseId) =>
    clauses.filter((item) => item.id !== clauseId),
  ).filter((section) => !(section.clauses && section.clauses.length === 0));
}

/** Rewrite the text of one clause, keeping its id and how it joins. */
export function replaceClause(
  sections: readonly PromptSection[],
  target: string,
  text: string,
): PromptSection[] {
  return withClauses(sections, target, (clauses, clauseId) =>
    clauses.map((item) => (item.id === clauseId ? { ...item, text } : item)),
  );
}

/** Insert a new clause right after the clause at `anchor` (`section/clause`). */
export function insertClauseAfter(
  sections: readonly PromptSection[],
  anchor: string,
  added: Clause,
): PromptSection[] {
  return withClauses(sections, anchor, (clauses, clauseId) =>
    clauses.flatMap((item) => (item.id === clauseId ? [item, added] : [item])),
  );
}

/** Append a new clause at the end of a clause-built section. */
export function appendClause(
  sections: readonly PromptSection[],
  id: SectionId,
  added: Clause,
): PromptSection[] {
  const section = getSection(sections, id);
  if (!section.clauses) throw missing(`clause list in section ${id}`, sections);
  return sections.map((candidate) =>
    candidate.id === id ? clauseSection(id, [...(candidate.clauses ?? []), added]) : candidate,
  );
}

/** Apply a text edit to every section and clause (used to swap the company name everywhere). */
export function mapText(sections: readonly PromptSection[], edit: (text: string) => string): PromptSection[] {
  return sections.map((section) =>
    section.clauses
      ? clauseSection(
          section.id,
          section.clauses.map((item) => ({ ...item, text: edit(item.text) })),
        )
      : plainSection(section.id, edit(section.text)),
  );
}
