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

interface SetRow {
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

interface MemberRow {
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

function rowToSet(row: SetRow): PromptSet {
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

function rowToMember(row: MemberRow): PromptSetMember {
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

export function createPromptSet(db: SqliteDb, input: PromptSetInput): PromptSet {
  const parsed = parseOrThrow(
    promptSetSchema,
    {
      ...input,
      sourceHash: promptTextHash(String(input?.sourceText ?? "")),
      createdAt: input?.createdAt ?? new Date().toISOString(),
    },
    "prompt set",
  );
  return db.transaction(() => {
    if (db.get("SELECT 1 FROM prompt_sets WHERE name = ?", parsed.name)) {
      throw new InputError(`prompt set ${parsed.name} already exists`, { field: "name" });
    }
    db.run(
      `INSERT INTO prompt_sets (name, setting, variants, cot, source_text, source_hash, generator, checker, requested, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      parsed.name,
      parsed.setting,
      JSON.stringify(parsed.variants),
      parsed.cot ? 1 : 0,
      parsed.sourceText,
      parsed.sourceHash,
      parsed.generator,
      parsed.checker,
      parsed.requested,
      parsed.createdAt,
    );
    return parsed;
  });
}

export function getPromptSet(db: SqliteDb, name: string): PromptSet | undefined {
  const row = db.get<SetRow>("SELECT * FROM prompt_sets WHERE name = ?", name);
  return row ? rowToSet(row) : undefined;
}

export function listPromptSets(db: SqliteDb): PromptSetSummary[] {
  const rows = db.all<SetRow & { accepted: number; rejected: number }>(
    `SELECT p.*,
       (SELECT COUNT(*) FROM prompt_set_members m WHERE m.set_name = p.name AND m.status = 'accepted') AS accepted,
       (SELECT COUNT(*) FROM prompt_set_members m WHERE m.set_name = p.name AND m.status = 'rejected') AS rejected
     FROM prompt_sets p ORDER BY p.created_at DESC, p.name`,
  );
  return rows.map((row) => ({ ...rowToSet(row), accepted: row.accepted, rejected: row.rejected }));
}

/** Stores a member once: a second write at the same position is refused, so a resumed generation cannot
 * silently replace a paraphrase a sweep may already have run. */
export function putPromptSetMember(db: SqliteDb, input: PromptSetMemberInput): PromptSetMember {
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
  return db.transaction(() => {
    const set = db.get<{ requested: number }>(
      "SELECT requested FROM prompt_sets WHERE name = ?",
      parsed.setName,
    );
    if (!set) throw new NotFoundError(`prompt set ${parsed.setName} not found`);
    if (parsed.position >= set.requested) {
      throw new InputError(
        `position ${parsed.position} is outside prompt set ${parsed.setName} (positions 0 to ${set.requested - 1})`,
        { field: "position" },
      );
    }
    if (
      db.get(
        "SELECT 1 FROM prompt_set_members WHERE set_name = ? AND position = ?",
        parsed.setName,
        parsed.position,
      )
    ) {
      throw new InputError(
        `prompt set ${parsed.setName} already has a member at position ${parsed.position}`,
        {
          field: "position",
        },
      );
    }
    db.run(
      `INSERT INTO prompt_set_members (set_name, position, status, hash, text, reason, checks, usage, cost_usd, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      parsed.setName,
      parsed.position,
      parsed.status,
      parsed.hash,
      parsed.text,
      parsed.reason,
      JSON.stringify(parsed.checks),
      JSON.stringify(parsed.usage),
      parsed.costUsd,
      parsed.createdAt,
    );
    return parsed;
  });
}

/** The members of a set in position order, optionally only accepted or only rejected ones. */
export function promptSetMembers(
  db: SqliteDb,
  name: string,
  status?: z.infer<typeof promptSetMemberStatusSchema>,
): PromptSetMember[] {
  if (!db.get("SELECT 1 FROM prompt_sets WHERE name = ?", name))
    throw new NotFoundError(`prompt set ${name} not found`);
  const checked =
    status === undefined ? undefined : parseOrThrow(promptSetMemberStatusSchema, status, "status");
  const rows = checked
    ? db.all<MemberRow>(
        "SELECT * FROM prompt_set_members WHERE set_name = ? AND status = ? ORDER BY position",
        name,
        checked,
      )
    : db.all<MemberRow>("SELECT * FROM prompt_set_members WHERE set_name = ? ORDER BY position", name);
  return rows.map(rowToMember);
}
