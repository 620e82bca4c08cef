// `terragate config …`: repo config tools (validate a checkout's config, print the JSON Schema).
import { repoConfigJsonSchema } from "../domain/repo-config.ts";

export const usage = `Usage: terragate config <validate|graph|schema> [options]

  validate  check .terragate/config.yml and list the dirspaces it yields (--help for options)
  graph     print the order dirspaces are applied in, as Graphviz dot or JSON (--help for options)
  schema    print the JSON Schema of .terragate/config.yml, for editors`;

export async function main(args: string[]): Promise<number> {
  const [subcommand, ...rest] = args;
  switch (subcommand) {
    case "validate": {
      const { main: validate } = await import("./config-validate.ts");
      return validate(rest);
    }
    case "graph": {
      const { main: graph } = await import("./config-graph.ts");
      return graph(rest);
    }
    case "schema":
      process.stdout.write(`${JSON.stringify(repoConfigJsonSchema(), null, 2)}\n`);
      return 0;
    case "--help":
    case "-h":
      process.stdout.write(`${usage}\n`);
      return 0;
    default:
      process.stderr.write(
        `terragate config: ${subcommand === undefined ? "missing subcommand" : `unknown subcommand "${subcommand}"`}\n\n${usage}\n`,
      );
      return 2;
  }
}
