import { AflabError, describeError, InputError, NotFoundError, ProviderError } from "@aflab/core";

/** Exit status by error kind: 2 for input the user can fix, 1 for everything else. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof InputError || error instanceof NotFoundError) return 2;
  if (error instanceof ProviderError && (error.code === "authentication" || error.status === 401)) return 2;
  return 1;
}

/** One line for the terminal, never a stack trace (set AFLAB_DEBUG=1 to see one). */
export function formatCliError(error: unknown): string {
  const message = describeError(error);
  if (process.env.AFLAB_DEBUG && error instanceof Error && error.stack) return error.stack;
  if (error instanceof AflabError) return `error: ${message}`;
  return `error: ${message}`;
}
