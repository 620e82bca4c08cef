// The run comment's notes: why dirspaces are included, the stack layers with each dirspace's state, warnings.
import { type DirspaceRef, dirspaceKey } from "../domain/dirspace.ts";
import type { RunNotes } from "../domain/run-notes.ts";
import type { DirspaceRunState } from "../domain/stack-layers.ts";
import { dirspaceList, dirspaceName, escapeHtml, inlineCode, listedPerLine, shortList } from "./markdown.ts";

const stateText: Record<DirspaceRunState | "waiting", string> = {
  applied: "✅ applied",
  planned: "📝 planned",
  unplanned: "not planned",
  waiting: "⏳ waiting",
};

function layersBlock(notes: RunNotes, states: ReadonlyMap<string, DirspaceRunState>): string[] {
  // One layer orders nothing: the table already lists it.
  if (notes.layers.length <= 1) return [];
  const stateOf = (dirspace: DirspaceRef) => states.get(dirspaceKey(dirspace)) ?? "unplanned";
  const lines = ["**Stack layers** (each is applied before the next is planned)"];
  let reachedOpen = false;
  notes.layers.forEach((layer, index) => {
    const done = layer.every((dirspace) => stateOf(dirspace) === "applied");
    const waiting = reachedOpen;
    if (!done) reachedOpen = true;
    const entries = layer.map((dirspace) => {
      const state = stateOf(dirspace);
      return `${dirspaceName(dirspace)} ${stateText[waiting && state !== "applied" ? "waiting" : state]}`;
    });
    lines.push(`${index + 1}. ${shortList(entries, " · ")}`);
  });
  return lines;
}

/** Markdown for the notes, or undefined when there is nothing to say. */
export function renderRunNotes(
  notes: RunNotes,
  states: ReadonlyMap<string, DirspaceRunState>,
): string | undefined {
  const blocks: string[] = [];
  if (notes.reasons.length > 0) {
    const lines = notes.reasons
      .slice(0, listedPerLine)
      .map((entry) => `- ${dirspaceName(entry)}: ${escapeHtml(entry.reasons.join("; "))}`);
    if (notes.reasons.length > listedPerLine)
      lines.push(`- and ${notes.reasons.length - listedPerLine} more`);
    blocks.push(["**Included because**", ...lines].join("\n"));
  }
  const layers = layersBlock(notes, states);
  if (layers.length > 0) blocks.push(layers.join("\n"));
  for (const wait of notes.waits.slice(0, listedPerLine)) {
    blocks.push(
      `:warning: ${dirspaceName(wait.dirspace)} was planned before ${dirspaceList(wait.waitsFor)} ${wait.waitsFor.length === 1 ? "was" : "were"} applied: its plan may change once ${wait.waitsFor.length === 1 ? "it is" : "they are"} — plan it again after that apply`,
    );
  }
  if (notes.indexErrors.length > 0) {
    blocks.push(
      [
        ":warning: Could not parse (read as if empty; module changes through them are not seen):",
        ...notes.indexErrors.map((error) => `- ${inlineCode(error)}`),
      ].join("\n"),
    );
  }
  return blocks.length === 0 ? undefined : blocks.join("\n\n");
}
