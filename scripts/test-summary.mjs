// Prints one closing line for the whole test run, `tests: N passed, N failed`, from the JSON results
// that each package's vitest run (and the viewer's browser tests) leave in dist-test/results.json.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), "..");
let passed = 0;
let failed = 0;
let skipped = 0;
const packages = [];
for (const group of ["packages", "apps"]) {
  for (const name of fs.readdirSync(path.join(root, group))) {
    const directory = path.join(root, group, name, "dist-test");
    if (!fs.existsSync(directory)) continue;
    // results.json from vitest's JSON reporter, e2e-results.json from the browser tests: same field names.
    for (const file of fs.readdirSync(directory).filter((entry) => entry.endsWith(".json"))) {
      const result = JSON.parse(fs.readFileSync(path.join(directory, file), "utf8"));
      passed += result.numPassedTests ?? 0;
      failed += result.numFailedTests ?? 0;
      skipped += (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
    }
    packages.push(`${group}/${name}`);
  }
}
if (packages.length === 0) {
  console.error("no test results found: did the tests run?");
  process.exit(1);
}
console.log(`\n${packages.length} packages tested`);
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
