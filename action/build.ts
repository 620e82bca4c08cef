// Bundles the GitHub Action's entry into action/dist/index.js and `terragate run` into action/dist/terragate-run.js
// (what the GitLab CI component downloads); `--check` fails when a committed bundle is stale.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const bundles = [
  { entry: "./index.ts", outfile: "./dist/index.js" },
  { entry: "./run-cli.ts", outfile: "./dist/terragate-run.js" },
].map((bundle) => ({
  entry: fileURLToPath(new URL(bundle.entry, import.meta.url)),
  outfile: fileURLToPath(new URL(bundle.outfile, import.meta.url)),
}));

/** Builds a bundle in memory: one ESM file for Node 24 with every dependency inlined. */
export async function bundleAction(entry = bundles[0]!.entry): Promise<string> {
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
  if (!file) throw new Error(`esbuild produced no output for ${entry}`);
  return file.text;
}

async function main(args: string[]): Promise<number> {
  await mkdir(new URL("./dist/", import.meta.url), { recursive: true });
  for (const { entry, outfile } of bundles) {
    const bundle = await bundleAction(entry);
    if (args.includes("--check")) {
      const committed = await readFile(outfile, "utf8").catch(() => "");
      if (committed !== bundle) {
        process.stderr.write(
          `${outfile} is out of date with its source: run \`npm run build:action\` and commit action/dist.\n`,
        );
        return 1;
      }
      process.stdout.write(`${outfile} is up to date.\n`);
      continue;
    }
    await writeFile(outfile, bundle);
    process.stdout.write(`wrote ${outfile} (${bundle.length} bytes)\n`);
  }
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
