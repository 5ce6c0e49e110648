import type { Store } from "../types.js";

/** Opens a fresh, empty store of the backend under test. Each call must give an independent store. */
export type StoreFactory = () => Store | Promise<Store>;
