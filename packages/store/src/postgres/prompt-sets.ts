import type { z } from "zod";
import {
  checkMemberPosition,
  insertMemberSql,
  insertPromptSetSql,
  listPromptSetsSql,
  type MemberRow,
  memberParams,
  memberPositionTaken,
  membersQuery,
  type PromptSet,
  type PromptSetInput,
  type PromptSetMember,
  type PromptSetMemberInput,
  type PromptSetSummary,
  parsePromptSet,
  parsePromptSetMember,
  promptSetExists,
  type promptSetMemberStatusSchema,
  promptSetNotFound,
  promptSetParams,
  rowToMember,
  rowToSet,
  type SetRow,
} from "../prompt-sets.js";
import type { PgDb } from "./pg-db.js";

// The PostgreSQL twin of `../prompt-sets.ts`, sharing its validation, SQL and row mapping. "Written once"
// holds across processes by `ON CONFLICT DO NOTHING` on the primary keys, not by a read before the write.

export async function createPromptSet(db: PgDb, input: PromptSetInput): Promise<PromptSet> {
  const parsed = parsePromptSet(input);
  const inserted = await db.run(
    `${insertPromptSetSql} ON CONFLICT (name) DO NOTHING`,
    ...promptSetParams(parsed),
  );
  if (inserted === 0) throw promptSetExists(parsed.name);
  return parsed;
}

export async function getPromptSet(db: PgDb, name: string): Promise<PromptSet | undefined> {
  const row = await db.get<SetRow>("SELECT * FROM prompt_sets WHERE name = ?", name);
  return row ? rowToSet(row) : undefined;
}

export async function listPromptSets(db: PgDb): Promise<PromptSetSummary[]> {
  const rows = await db.all<SetRow & { accepted: number; rejected: number }>(listPromptSetsSql);
  return rows.map((row) => ({ ...rowToSet(row), accepted: row.accepted, rejected: row.rejected }));
}

export async function putPromptSetMember(db: PgDb, input: PromptSetMemberInput): Promise<PromptSetMember> {
  const parsed = parsePromptSetMember(input);
  return db.transaction(async (tx) => {
    const set = await tx.get<{ requested: number }>(
      "SELECT requested FROM prompt_sets WHERE name = ?",
      parsed.setName,
    );
    if (!set) throw promptSetNotFound(parsed.setName);
    checkMemberPosition(parsed, set.requested);
    const inserted = await tx.run(
      `${insertMemberSql} ON CONFLICT (set_name, position) DO NOTHING`,
      ...memberParams(parsed),
    );
    if (inserted === 0) throw memberPositionTaken(parsed);
    return parsed;
  });
}

export async function promptSetMembers(
  db: PgDb,
  name: string,
  status?: z.infer<typeof promptSetMemberStatusSchema>,
): Promise<PromptSetMember[]> {
  if (!(await db.get("SELECT 1 FROM prompt_sets WHERE name = ?", name))) throw promptSetNotFound(name);
  const query = membersQuery(name, status);
  return (await db.all<MemberRow>(query.sql, ...query.params)).map(rowToMember);
}
