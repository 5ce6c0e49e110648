import { describe } from "vitest";
import { aggregatesContract } from "./aggregates.js";
import { aggregatesRecomputeContract } from "./aggregates-recompute.js";
import { batchesContract } from "./batches.js";
import { coordinationContract } from "./coordination.js";
import type { StoreFactory } from "./factory.js";
import { labelsContract } from "./labels.js";
import { listSamplesContract } from "./list-samples.js";
import { promptSetsContract } from "./prompt-sets.js";
import { recordsContract } from "./records.js";

export type { StoreFactory } from "./factory.js";

/**
 * The store contract: what every `Store` backend must do, whatever it is built on. A backend's test file
 * calls this once with a factory of fresh, empty stores; nothing here may reach past the interface.
 */
export function storeContract(backend: string, open: StoreFactory): void {
  describe(`${backend} store contract`, () => {
    describe("records", () => recordsContract(open));
    describe("aggregates", () => aggregatesContract(open));
    describe("aggregates through random writes", () => aggregatesRecomputeContract(open));
    describe("sample listing", () => listSamplesContract(open));
    describe("human labels", () => labelsContract(open));
    describe("prompt sets", () => promptSetsContract(open));
    describe("coordination", () => coordinationContract(open));
    describe("provider batches", () => batchesContract(open));
  });
}
