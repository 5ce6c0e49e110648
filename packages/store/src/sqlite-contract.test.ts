import { storeContract } from "./contract/index.js";
import { openStore } from "./store.js";

storeContract("SQLite", () => openStore(":memory:"));
