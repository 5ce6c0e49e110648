import { storeContract } from "./contract/index.js";
import { availableSqliteDrivers } from "./sqlite-connection.js";
import { openStore } from "./store.js";

// The one contract, on every SQLite driver that loads on this Node (both on 22.13+ when better-sqlite3 is built).
for (const driver of availableSqliteDrivers()) {
  storeContract(`SQLite (${driver})`, () => openStore(":memory:", { driver }));
}
