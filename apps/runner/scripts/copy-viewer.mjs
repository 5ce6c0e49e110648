// Copies the built viewer into this package (dist/viewer), so the published CLI serves it with no repository
// around it. The viewer is a dev dependency: the build system builds it before this package.
import { cpSync, existsSync, rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const source = fileURLToPath(new URL("../../viewer/dist", import.meta.url));
const target = fileURLToPath(new URL("../dist/viewer", import.meta.url));
if (!existsSync(`${source}/index.html`)) {
  console.error(`the viewer is not built (no ${source}/index.html): build @aflab/viewer first`);
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
cpSync(source, target, { recursive: true });
