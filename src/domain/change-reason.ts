// Why a dirspace counts as changed in a PR: its own files, a module it uses, or a Terragrunt file it includes or reads.

export type ChangeReason =
  | { kind: "file"; file: string }
  | { kind: "module"; module: string; via: readonly string[] }
  | { kind: "include"; file: string }
  | { kind: "read"; file: string };

/** One short line, as the CLI and PR comments show it ("uses modules/network, changed"). */
export function describeChangeReason(reason: ChangeReason): string {
  switch (reason.kind) {
    case "file":
      return `${reason.file} changed`;
    case "module":
      return reason.via.length === 0
        ? `uses ${reason.module}, changed`
        : `uses ${reason.module} (through ${reason.via.join(" → ")}), changed`;
    case "include":
      return `includes ${reason.file}, changed`;
    case "read":
      return `reads ${reason.file}, changed`;
    default: {
      const unreachable: never = reason;
      return unreachable;
    }
  }
}
