import { InputError } from "@aflab/core";
import { afterAll, describe, expect, it } from "vitest";
import { openStoreUrl } from "../open-store-url.js";
import { findTestPostgres } from "../testing/postgres.js";
import { parsePostgresUrl } from "./connection.js";
import { postgresSchemaVersion } from "./migrations.js";
import { openPostgresStore } from "./store.js";

const server = await findTestPostgres();
afterAll(() => server.cleanUp());

describe("PostgreSQL connection errors", () => {
  it("names host and database of an unreachable server in one line, never the password", async () => {
    const error = await openStoreUrl("postgres://alice:s3cret-pw@127.0.0.1:1/teamdb").catch(
      (caught) => caught,
    );
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe(
      "cannot open PostgreSQL store at 127.0.0.1:1 database teamdb: connection refused (is PostgreSQL running? apt-get install postgresql)",
    );
    expect(error.message).not.toContain("s3cret");
  });

  it("shows the URL without its password", () => {
    const target = parsePostgresUrl("postgres://alice:s3cret-pw@db.example:6543/team");
    expect(target.display).toBe("postgres://alice@db.example:6543/team");
    expect(target).toMatchObject({ host: "db.example", port: "6543", database: "team" });
  });
});

describe.skipIf(!server.url)("PostgreSQL store on a server", () => {
  it("refuses a database that does not exist, naming it", async () => {
    const url = new URL(server.url ?? "");
    url.pathname = "/aflab_no_such_database";
    url.password = "hunter2";
    const error = await openStoreUrl(url.toString()).catch((caught) => caught);
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toContain("database aflab_no_such_database: database does not exist");
    expect(error.message).not.toContain("hunter2");
  });

  it("lets concurrent openers of a new schema migrate it once", async () => {
    const schema = server.newSchema();
    const stores = await Promise.all(
      [1, 2, 3, 4].map(() => openPostgresStore(server.url ?? "", { schema, maxConnections: 2 })),
    );
    for (const store of stores) expect(store.schemaVersion).toBe(postgresSchemaVersion);
    await Promise.all(stores.map((store) => store.close()));
    const reader = await openPostgresStore(server.url ?? "", { schema, readOnly: true });
    expect(reader.readOnly).toBe(true);
    await expect(reader.listRuns()).resolves.toEqual({ runs: [], total: 0 });
    await expect(reader.deleteRun("x")).rejects.toThrow("is open read-only");
    await reader.close();
  });
});
