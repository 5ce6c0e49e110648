import { createHash } from "node:crypto";
import { InputError, NotFoundError, parseOrThrow, settingSchema, usageSchema } from "@aflab/core";
import { z } from "zod";
import type { SqliteDb } from "./sqlite-db.js";

/**
 * Named prompt sets: paraphrases of a setting's system prompt, each stored with the SHA-256 of its text,
 * whether it passed the checks that its facts survived, and why not when it did not. A set records what it
 * paraphrases (setting, variants, CoT, the original text and its hash) and which models wrote and checked
 * it. Members are written once, at their position, so an interrupted generation resumes at the gaps.
 */

const nameSchema = z
  .string()
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/,
    "expected a name of letters, digits, '.', '_' or '-' (at most 100)",
  );

export const promptSetSchema = z.strictObject({
  name: nameSchema,
  setting: settingSchema,
  variants: z.array(z.string().min(1)),
  cot: z.boolean(),
  /** The system prompt the set paraphrases, and its SHA-256 (hex). */
  sourceText: z.string().min(1, "expected the original system prompt"),
  sourceHash: z.string(),
  /** The model that wrote the paraphrases and the judge that checked them (null: structural checks only). */
  generator: z.string().min(1),
  checker: z.string().min(1).nullable(),
  /** How many paraphrases were asked for. */
  requested: z.number().int().positive(),
  createdAt: z.string(),
});
export type PromptSet = z.infer<typeof promptSetSchema>;
export type PromptSetInput = Omit<PromptSet, "sourceHash" | "createdAt"> & { createdAt?: string };

export const promptSetMemberStatusSchema = z.enum(["accepted", "rejected"]);

export const promptSetMemberSchema = z.strictObject({
  setName: nameSchema,
  /** 0-based; one member per position. */
  position: z.number().int().nonnegative(),
  status: promptSetMemberStatusSchema,
  /** SHA-256 (hex) of `text`, computed by the store. */
  hash: z.string(),
  text: z.string(),
  /** Why a rejected paraphrase was rejected; null for accepted ones. */
  reason: z.string().nullable(),
  /** The outcome of every check by name (structural checks and the checker judge's criteria). */
  checks: z.record(z.string(), z.unknown()),
  usage: usageSchema,
  costUsd: z.number().nonnegative().nullable(),
  createdAt: z.string(),
});
export type PromptSetMember = z.infer<typeof promptSetMemberSchema>;
export type PromptSetMemberInput = Omit<PromptSetMember, "hash" | "createdAt"> & { createdAt?: string };

export interface PromptSetSummary extends PromptSet {
  accepted: number;
  rejected: number;
}

/** The hash a prompt set stores for a text: SHA-256, hex. */
export function promptTextHash(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** A row of `prompt_sets`, as both backends read it. */
export interface SetRow {
  name: string;
  setting: string;
  variants: string;
  cot: number;
  source_text: string;
  source_hash: string;
  generator: string;
  checker: string | null;
  requested: number;
  created_at: string;
}

/** A row of `prompt_set_members`, as both backends read it. */
export interface MemberRow {
  set_name: string;
  position: number;
  status: string;
  hash: string;
  text: string;
  reason: string | null;
  checks: string;
  usage: string;
  cost_usd: number | null;
  created_at: string;
}

export function rowToSet(row: SetRow): PromptSet {
  return parseOrThrow(
    promptSetSchema,
    {
      name: row.name,
      setting: row.setting,
      variants: JSON.parse(row.variants),
      cot: row.cot === 1,
      sourceText: row.source_text,
      sourceHash: row.source_hash,
      generator: row.generator,
      checker: row.checker,
      requested: row.requested,
      createdAt: row.created_at,
    },
    "stored prompt set",
  );
}

export function rowToMember(row: MemberRow): PromptSetMember {
  return parseOrThrow(
    promptSetMemberSchema,
    {
      setName: row.set_name,
      position: row.position,
      status: row.status,
      hash: row.hash,
      text: row.text,
      reason: row.reason,
      checks: JSON.parse(row.checks),
      usage: JSON.parse(row.usage),
      costUsd: row.cost_usd,
      createdAt: row.created_at,
    },
    "stored prompt set member",
  );
}

/** Validates a new set, computing its source hash and creation time. */
export function parsePromptSet(input: PromptSetInput): PromptSet {
  return parseOrThrow(
    promptSetSchema,
    {
      ...input,
      sourceHash: promptTextHash(String(input?.sourceText ?? "")),
      createdAt: input?.createdAt ?? new Date().toISOString(),
    },
    "prompt set",
  );
}

export const insertPromptSetSql = `INSERT INTO prompt_sets (name, setting, variants, cot, source_text, source_hash, generator, checker, requested, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The parameters of `insertPromptSetSql`. */
export function promptSetParams(set: PromptSet): unknown[] {
  return [
    set.name,
    set.setting,
    JSON.stringify(set.variants),
    set.cot ? 1 : 0,
    set.sourceText,
    set.sourceHash,
    set.generator,
    set.checker,
    set.requested,
    set.createdAt,
  ];
}

export function promptSetExists(name: string): InputError {
  return new InputError(`prompt set ${name} already exists`, { field: "name" });
}

export function createPromptSet(db: SqliteDb, input: PromptSetInput): PromptSet {
  const parsed = parsePromptSet(input);
  return db.transaction(() => {
    if (db.get("SELECT 1 FROM prompt_sets WHERE name = ?", parsed.name)) throw promptSetExists(parsed.name);
    db.run(insertPromptSetSql, ...promptSetParams(parsed));
    return parsed;
  });
}

export function getPromptSet(db: SqliteDb, name: string): PromptSet | undefined {
  const row = db.get<SetRow>("SELECT * FROM prompt_sets WHERE name = ?", name);
  return row ? rowToSet(row) : undefined;
}

export function listPromptSets(db: SqliteDb): PromptSetSummary[] {
  const rows = db.all<SetRow & { accepted: number; rejected: number }>(listPromptSetsSql);
  return rows.map((row) => ({ ...rowToSet(row), accepted: row.accepted, rejected: row.rejected }));
}

/** Validates a member, computing the hash of its text and its creation time. */
export function parsePromptSetMember(input: PromptSetMemberInput): PromptSetMember {
  const parsed = parseOrThrow(
    promptSetMemberSchema,
    {
      ...input,
      hash: promptTextHash(String(input?.text ?? "")),
      createdAt: input?.createdAt ?? new Date().toISOString(),
    },
    "prompt set member",
  );
  if (parsed.status === "rejected" && !parsed.reason) {
    throw new InputError("a rejected paraphrase needs the reason it was rejected", { field: "reason" });
  }
  return parsed;
}

/** Refuses a member outside the positions of a set that asked for `requested` paraphrases. */
export function checkMemberPosition(member: PromptSetMember, requested: number): void {
  if (member.position >= requested) {
    throw new InputError(
      `position ${member.position} is outside prompt set ${member.setName} (positions 0 to ${requested - 1})`,
      { field: "position" },
    );
  }
}

export function memberPositionTaken(member: PromptSetMember): InputError {
  return new InputError(`prompt set ${member.setName} already has a member at position ${member.position}`, {
    field: "position",
  });
}

export function promptSetNotFound(name: string): NotFoundError {
  return new NotFoundError(`prompt set ${name} not found`);
}

export const insertMemberSql = `INSERT INTO prompt_set_members (set_name, position, status, hash, text, reason, checks, usage, cost_usd, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The parameters of `insertMemberSql`. */
export function memberParams(member: PromptSetMember): unknown[] {
  return [
    member.setName,
    member.position,
    member.status,
    member.hash,
    member.text,
    member.reason,
    JSON.stringify(member.checks),
    JSON.stringify(member.usage),
    member.costUsd,
    member.createdAt,
  ];
}

/** The summary query of `listPromptSets`, newest first. */
export const listPromptSetsSql = `SELECT p.*,
       (SELECT COUNT(*) FROM prompt_set_members m WHERE m.set_name = p.name AND m.status = 'accepted') AS accepted,
       (SELECT COUNT(*) FROM prompt_set_members m WHERE m.set_name = p.name AND m.status = 'rejected') AS rejected
     FROM prompt_sets p ORDER BY p.created_at DESC, p.name`;

/** Stores a member once: a second write at the same position is refused, so a resumed generation cannot
 * silently replace a paraphrase a sweep may already have run. */
export function putPromptSetMember(db: SqliteDb, input: PromptSetMemberInput): PromptSetMember {
  const parsed = parsePromptSetMember(input);
  return db.transaction(() => {
    const set = db.get<{ requested: number }>(
      "SELECT requested FROM prompt_sets WHERE name = ?",
      parsed.setName,
    );
    if (!set) throw promptSetNotFound(parsed.setName);
    checkMemberPosition(parsed, set.requested);
    if (
      db.get(
        "SELECT 1 FROM prompt_set_members WHERE set_name = ? AND position = ?",
        parsed.setName,
        parsed.position,
      )
    ) {
      throw memberPositionTaken(parsed);
    }
    db.run(insertMemberSql, ...memberParams(parsed));
    return parsed;
  });
}

/** The members of a set in position order, optionally only accepted or only rejected ones. */
export function promptSetMembers(
  db: SqliteDb,
  name: string,
  status?: z.infer<typeof promptSetMemberStatusSchema>,
): PromptSetMember[] {
  if (!db.get("SELECT 1 FROM prompt_sets WHERE name = ?", name)) throw promptSetNotFound(name);
  const query = membersQuery(name, status);
  return db.all<MemberRow>(query.sql, ...query.params).map(rowToMember);
}

/** The members query of `promptSetMembers`, in position order, with the status filter checked. */
export function membersQuery(
  name: string,
  status?: z.infer<typeof promptSetMemberStatusSchema>,
): { sql: string; params: unknown[] } {
  if (status === undefined) {
    return { sql: "SELECT * FROM prompt_set_members WHERE set_name = ? ORDER BY position", params: [name] };
  }
  return {
    sql: "SELECT * FROM prompt_set_members WHERE set_name = ? AND status = ? ORDER BY position",
    params: [name, parseOrThrow(promptSetMemberStatusSchema, status, "status")],
  };
}
