import { AflabError } from "@aflab/core";

/**
 * A stored row that no longer parses: the file was edited by hand or written by incompatible code.
 * It is an internal error, not bad user input, and it is never turned into a plausible default.
 */
export function corrupt(message: string): AflabError {
  return new AflabError("internal", `corrupt store: ${message}`);
}
