// Bundles the GitHub Action's entry into action/dist/index.js; `--check` fails when the committed bundle is stale.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const entry = fileURLToPath(new URL("./index.ts", import.meta.url));
const outfile = fileURLToPath(new URL("./dist/index.js", import.meta.url));

/** Builds the bundle in memory: one ESM file for Node 24 with every dependency inlined. */
export async function bundleAction(): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    target: "node24",
    format: "esm",
    write: false,
    minify: false,
    sourcemap: false,
    legalComments: "none",
    logLevel: "warning",
    // Some bundled CommonJS dependencies call require(); give the ESM bundle one.
    banner: {
      js: "import { createRequire as __terragateCreateRequire } from 'node:module';\nconst require = __terragateCreateRequire(import.meta.url);",
    },
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output for action/index.ts");
  return file.text;
}

async function main(args: string[]): Promise<number> {
  const bundle = await bundleAction();
  if (args.includes("--check")) {
    const committed = await readFile(outfile, "utf8").catch(() => "");
    if (committed !== bundle) {
      process.stderr.write(
        "action/dist/index.js is out of date with the action's source: run `npm run build:action` and commit action/dist.\n",
      );
      return 1;
    }
    process.stdout.write("action/dist/index.js is up to date.\n");
    return 0;
  }
  await mkdir(new URL("./dist/", import.meta.url), { recursive: true });
  await writeFile(outfile, bundle);
  process.stdout.write(`wrote ${outfile} (${bundle.length} bytes)\n`);
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(
        `action build failed: ${error instanceof Error ? error.message : String(error)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
