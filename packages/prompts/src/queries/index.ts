// Placeholder: filled by the prompt-settings work (project-written query sets).
export const harmfulQueries: readonly string[] = [];
export const animalWelfareQueries: readonly string[] = [];
