import { join } from "node:path";

/**
 * Where the store lives when no path is given: `AFLAB_DB` if set, else `.aflab/aflab.db` under the
 * current directory (so each project keeps its own results next to its configs).
 */
export function defaultDbPath(env: Record<string, string | undefined> = process.env): string {
  const configured = env.AFLAB_DB;
  if (configured && configured.trim() !== "") return configured;
  return join(process.cwd(), ".aflab", "aflab.db");
}
