import { userInfo } from "node:os";
import { InputError } from "@aflab/core";

/** True for a `postgres://` or `postgresql://` URL, which selects the PostgreSQL backend. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location.trim());
}

export interface PostgresTarget {
  /** The URL as given, password included: only ever handed to the driver. */
  connectionString: string;
  host: string;
  port: string;
  database: string;
  /** The user from the URL, else PGUSER, else the login name (as psql does). */
  user: string;
  /** `?schema=NAME`: the schema to keep aflab's tables in (taken out of the URL the driver sees). */
  schema: string | undefined;
  /** The URL without its password: what logs, errors and `Store.path` show. */
  display: string;
}

/** Parses a PostgreSQL URL; a malformed one is an input error that never repeats the password. */
export function parsePostgresUrl(url: string): PostgresTarget {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    throw new InputError("--db: not a valid PostgreSQL URL (expected postgres://user@host:5432/database)", {
      field: "db",
    });
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) || "postgres";
  const host = decodeURIComponent(parsed.hostname) || "localhost";
  const port = parsed.port || "5432";
  const schema = parsed.searchParams.get("schema") ?? undefined;
  parsed.searchParams.delete("schema");
  const user = decodeURIComponent(parsed.username) || process.env.PGUSER || userInfo().username;
  const display = new URL(parsed.toString());
  display.password = "";
  // The driver reads a user-less URL as "no user" rather than falling back to the login name: name it.
  if (!parsed.username) parsed.username = encodeURIComponent(user);
  if (schema !== undefined) display.searchParams.set("schema", schema);
  return {
    connectionString: parsed.toString(),
    host,
    port,
    database,
    user,
    schema,
    display: display.toString(),
  };
}

const reasons: Record<string, string> = {
  ECONNREFUSED: "connection refused (is PostgreSQL running? apt-get install postgresql)",
  ENOTFOUND: "host not found",
  ETIMEDOUT: "connection timed out",
  EHOSTUNREACH: "host unreachable",
  "3D000": "database does not exist",
};

/**
 * One line naming host, port and database for a failure to connect, never the password (the driver's own
 * message may quote the user, which is fine, but not the URL).
 */
export function connectionError(target: PostgresTarget, error: unknown): InputError {
  const code = (error as { code?: string }).code ?? "";
  // The server's own words for authentication failures name the user, never the password.
  const reason =
    reasons[code] ?? (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  const safeReason = reason.split(target.connectionString).join(target.display);
  return new InputError(
    `cannot open PostgreSQL store at ${target.host}:${target.port} database ${target.database}: ${safeReason}`,
    { field: "db" },
  );
}

/** Errors the driver raises while connecting (network, authentication, unknown database). */
export function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? "";
  return code in reasons || code.startsWith("08") || code.startsWith("28");
}
