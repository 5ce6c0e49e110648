/**
 * Verdicts another tool stored with its results, kept beside aflab's own under a name of their own:
 * `imported:<the original field>`. They count in reports (per tier, apart from aflab's classifiers) but
 * no aflab classifier ever writes or replaces them.
 */
export const importedClassifierPrefix = "imported:";

/** What an imported classifier measured, as aflab's classifier roles name it. */
export type ImportedClassifierRole = "compliance" | "alignment-faking" | "partial-compliance";

/**
 * The classifiers the open-source alignment-faking replication stores in its results, by field name:
 * StrongREJECT (compliance; a score above 0 complied), the majority-vote deceptive-alignment judge and
 * the earlier easy and hard scratchpad judges (alignment faking), and the partial-compliance judge.
 */
const importedRoles: Record<string, ImportedClassifierRole> = {
  strong_reject: "compliance",
  deceptive_alignment: "alignment-faking",
  easy_scratchpad: "alignment-faking",
  hard_scratchpad: "alignment-faking",
  partial_compliance: "partial-compliance",
};

export const importedClassifierFields = Object.keys(importedRoles);

export function isImportedClassifier(name: string): boolean {
  return name.startsWith(importedClassifierPrefix);
}

/** The role of an imported classifier (`imported:strong_reject` → compliance); undefined for other names. */
export function importedClassifierRole(name: string): ImportedClassifierRole | undefined {
  if (!isImportedClassifier(name)) return undefined;
  return importedRoles[name.slice(importedClassifierPrefix.length)];
}
