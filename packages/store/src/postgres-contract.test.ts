import { afterAll, describe, it } from "vitest";
import { storeContract } from "./contract/index.js";
import { findTestPostgres } from "./testing/postgres.js";

// Every contract test gets a fresh schema on the server named by AFLAB_TEST_PG; all are dropped at the end.
const server = await findTestPostgres();
afterAll(() => server.cleanUp());

if (server.url) storeContract("PostgreSQL", () => server.openStore());
else describe.skip("PostgreSQL store contract (no server)", () => it("needs a PostgreSQL server", () => {}));
