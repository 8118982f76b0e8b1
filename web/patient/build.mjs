// Builds the patient page into the bureau node's static files: `node web/patient/build.mjs`
// writes src/trustshare/bureau/static/patient/ (committed; a test checks it is not stale);
// `--outdir DIR` writes elsewhere. The output depends only on the sources and the pinned
// packages of package-lock.json, so the same checkout always builds the same bytes.
import { copyFile, mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const flag = process.argv.indexOf("--outdir");
const outdir =
  flag === -1
    ? resolve(here, "../../src/trustshare/bureau/static/patient")
    : resolve(process.argv[flag + 1]);

await mkdir(outdir, { recursive: true });
await build({
  entryPoints: [join(here, "src/main.ts")],
  outfile: join(outdir, "app.js"),
  bundle: true,
  format: "esm",
  target: "es2022",
  platform: "browser",
  minify: true,
  charset: "utf8",
  logLevel: "warning",
});
for (const name of ["index.html", "style.css"]) {
  await copyFile(join(here, name), join(outdir, name));
}
