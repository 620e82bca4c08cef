// Runs: the installation's runs (filtered by tag query, repository, kind, state), one run's steps and full output, and its live state.
import { Hono } from "hono";
import { html } from "hono/html";
import {
  dirspaceSteps,
  getRun,
  getRunDirspaces,
  type RunDirspace,
  runVersion,
} from "../../db/queries/dashboard-pages.ts";
import { withTenant } from "../../db/queries/tenant-transaction.ts";
import { listWorkManifests } from "../../db/queries/work-manifest-resources.ts";
import {
  type StepResult,
  type WorkManifestKind,
  type WorkManifestState,
  workManifestKinds,
  workManifestStates,
} from "../../db/schema/index.ts";
import { platformFor } from "../../vcs/registry.ts";
import type { DashboardEnv, DashboardServices } from "../context.ts";
import { notFoundPage, requireInstallation } from "../guards.ts";
import { listQuery, tagQueryParam } from "../list-query.ts";
import { badge, changes, dirspaceLabel, duration, pager, shortSha, time } from "../views/format.ts";
import { installationFrame, installationPage } from "../views/installation-frame.ts";
import { OutputRenderer } from "../views/output.ts";
import { streamedPage } from "../views/pages.ts";
import { filterForm } from "../views/results.ts";
import { runsTable } from "../views/runs-table.ts";

const uuidPattern = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
const liveStates: readonly WorkManifestState[] = ["queued", "dispatched", "running"];

/** Output is rendered and sent in pieces of this many characters: each piece stays a small heap object. */
const outputPieceChars = 32 * 1024;

interface StepSource {
  services: DashboardServices;
  installationId: number;
  runId: string;
  /** Set once a read failed: the remaining dirspaces are not tried (the database is likely gone). */
  failed: boolean;
}

/** One output rendered piece by piece: a megabyte of plan becomes many small strings, never one big one. */
function* renderedOutput(output: string): Generator<string> {
  const renderer = new OutputRenderer();
  for (let at = 0; at < output.length; at += outputPieceChars)
    yield renderer.push(output.slice(at, at + outputPieceChars));
  yield renderer.end();
}

function stepHeading(step: StepResult): string {
  return html`<div class="step"><h4>${badge(step.success ? "success" : "failure", step.success ? "ok" : "failed")} <code>${step.name}</code> <span class="muted small">exit ${step.exit_code ?? "—"}${
    typeof step.duration_ms === "number" ? html` · ${duration(step.duration_ms)}` : ""
  }</span></h4>
`.toString();
}

/**
 * A dirspace's steps, read when its turn comes (not with the page's other rows): the page holds one
 * dirspace's output at a time, once. A failed read ends it with a notice.
 */
async function* dirspaceStepsSection(
  source: StepSource,
  dirspace: { dir: string; workspace: string },
): AsyncGenerator<string> {
  let steps: StepResult[] | undefined;
  if (!source.failed) {
    try {
      steps = await withTenant(source.services.deps.database, source.installationId, (tx) =>
        dirspaceSteps(tx, source.installationId, { id: source.runId, ...dirspace }),
      );
    } catch (error) {
      source.failed = true;
      source.services.deps.logger.error(
        { err: error, runId: source.runId, dir: dirspace.dir, workspace: dirspace.workspace },
        "dashboard could not read a dirspace's steps",
      );
    }
  }
  if (!steps) {
    yield '<p class="notice error" role="alert">The steps of this dirspace could not be read; reload the page.</p>';
    return;
  }
  if (steps.length === 0) yield '<p class="muted">No steps reported yet.</p>';
  for (const [index, step] of steps.entries()) {
    yield stepHeading(step);
    if (step.output === "") yield '<p class="muted small">(no output)</p>';
    else yield* renderedOutput(step.output);
    yield "</div>";
    // Let the output go once sent.
    steps[index] = { ...step, output: "" };
  }
}

/** A dirspace with its steps and full output, streamed. */
async function* dirspaceSection(
  source: StepSource,
  dirspace: RunDirspace,
  index: number,
  timeZone: string,
): AsyncGenerator<string> {
  const open = dirspace.state === "failure" || index === 0;
  yield html`<details class="dirspace" id="ds-${index}"${open ? " open" : ""}>
<summary>${badge(dirspace.state)} ${dirspaceLabel(dirspace.dir, dirspace.workspace)} ${changes(dirspace.summary)}${
    dirspace.exitCode !== null ? html` <span class="muted small">exit ${dirspace.exitCode}</span>` : ""
  }</summary>
<p class="muted small">${dirspace.applyStartedAt ? html`apply started ${time(dirspace.applyStartedAt, timeZone)} · ` : ""}${
    dirspace.reportedAt ? html`reported ${time(dirspace.reportedAt, timeZone)}` : "not reported yet"
  }</p>
`.toString();
  yield* dirspaceStepsSection(source, dirspace);
  yield "\n</details>";
}

async function* runBody(
  source: StepSource,
  header: string,
  dirspaces: RunDirspace[],
  timeZone: string,
): AsyncGenerator<string> {
  yield header;
  if (dirspaces.length === 0) yield '<p class="muted">No dirspaces.</p>';
  for (const [index, dirspace] of dirspaces.entries())
    yield* dirspaceSection(source, dirspace, index, timeZone);
}

export function runRoutes(services: DashboardServices): Hono<DashboardEnv> {
  const app = new Hono<DashboardEnv>();
  const { deps } = services;

  app.get("/i/:vcs/:installation/runs", async (c) => {
    const installation = await requireInstallation(c, services);
    const query = listQuery(c, 2);
    const filter = tagQueryParam(c);
    const repo = c.req.query("repo") || undefined;
    const kind = (workManifestKinds as readonly string[]).includes(c.req.query("kind") ?? "")
      ? (c.req.query("kind") as WorkManifestKind)
      : undefined;
    const state = (workManifestStates as readonly string[]).includes(c.req.query("state") ?? "")
      ? (c.req.query("state") as WorkManifestState)
      : undefined;
    const result = await withTenant(deps.database, installation.id, (tx) =>
      listWorkManifests(tx, installation.id, {
        limit: 25,
        direction: query.direction,
        after: query.after,
        ...(repo ? { repo } : {}),
        ...(kind ? { kind } : {}),
        ...(state ? { state } : {}),
        ...(filter.query ? { tagQuery: filter.query } : {}),
      }),
    );
    const tz = c.get("view").timeZone;
    const select = (name: string, values: readonly string[], current: string | undefined) =>
      html`<label>${name[0]!.toUpperCase()}${name.slice(1)} <select name="${name}"><option value="">any</option>${values.map(
        (value) => html`<option${value === current ? " selected" : ""}>${value}</option>`,
      )}</select></label>`;
    const extra = html`${select("kind", workManifestKinds, kind)}${select("state", workManifestStates, state)}<label>Repository <input name="repo" value="${repo ?? ""}" placeholder="owner/name"></label>`;
    const body = html`<h1>Runs</h1>
${filterForm(new URL(c.req.url), { extra })}
${runsTable(installation, result.items, tz, true)}
${pager(new URL(c.req.url), result.nextPage)}`;
    return c.html(installationPage(c, installation, { section: "runs", title: "Runs", body }));
  });

  app.get(`/i/:vcs/:installation/runs/:id{${uuidPattern}}`, async (c) => {
    const installation = await requireInstallation(c, services);
    const id = c.req.param("id");
    const found = await withTenant(deps.database, installation.id, async (tx) => {
      const [run, dirspaces, version] = await Promise.all([
        getRun(tx, installation.id, id),
        getRunDirspaces(tx, installation.id, id),
        runVersion(tx, installation.id, id),
      ]);
      return run ? { run, dirspaces, version } : undefined;
    });
    if (!found) notFoundPage(c, "This run");
    const { run, dirspaces } = found;
    const tz = c.get("view").timeZone;
    const words = platformFor(installation.vcs).words;
    const live = liveStates.includes(run.state);
    const header = html`<h1>${run.kind[0]!.toUpperCase()}${run.kind.slice(1)} ${badge(run.state)}</h1>
<p class="muted">${run.repo}${
      run.pullRequest !== null && run.pullRequestId !== null
        ? html` · <a href="${installation.base}/pulls/${run.pullRequestId}">${words.reference(run.pullRequest)}</a>`
        : html` · no ${words.changeRequestShort} (drift)`
    } · requested by ${run.requestedBy}${run.tagQuery ? html` · <code>${run.tagQuery}</code>` : ""}</p>
<dl class="facts">
<div><dt>Commit</dt><dd><code>${shortSha(run.headSha)}</code> on <code>${run.headRef}</code> (base <code>${shortSha(run.baseSha)}</code>)</dd></div>
<div><dt>Queued</dt><dd>${time(run.createdAt, tz)}</dd></div>
<div><dt>Dispatched</dt><dd>${time(run.dispatchedAt, tz)}</dd></div>
<div><dt>Started</dt><dd>${time(run.startedAt, tz)}</dd></div>
<div><dt>Finished</dt><dd>${time(run.completedAt, tz)}${
      run.completedAt && run.startedAt
        ? html` <span class="muted">(${duration(run.completedAt.getTime() - run.startedAt.getTime())})</span>`
        : ""
    }</dd></div>
<div><dt>CI run</dt><dd>${run.runUrl ? html`<a href="${run.runUrl}" rel="noopener">${run.runId ?? "open"}</a>` : "—"}</dd></div>
</dl>
${run.failureReason ? html`<p class="notice error">${run.failureReason}</p>` : ""}
${live ? html`<p class="notice" role="status">This run is ${run.state}; the page updates by itself.</p>` : ""}
<h2>Dirspaces</h2>
`;
    const frame = installationFrame(installation, {
      section: "runs",
      title: `${run.kind} ${run.repo}`,
      crumbs: [{ label: "Runs", href: `${installation.base}/runs` }, { label: run.id.slice(0, 8) }],
      ...(live
        ? {
            live: {
              stateUrl: `${installation.base}/runs/${run.id}/state`,
              version: found.version?.version ?? "",
            },
          }
        : {}),
    });
    // Streamed: a megabyte of plan is read and sent in pieces, never held whole (nor several times over).
    const source: StepSource = { services, installationId: installation.id, runId: run.id, failed: false };
    return streamedPage(c, frame, runBody(source, header.toString(), dirspaces, tz), deps.logger);
  });

  /** What the live page polls: a version that changes whenever the run or one of its dirspaces does. */
  app.get(`/i/:vcs/:installation/runs/:id{${uuidPattern}}/state`, async (c) => {
    const installation = await requireInstallation(c, services);
    const version = await withTenant(deps.database, installation.id, (tx) =>
      runVersion(tx, installation.id, c.req.param("id")),
    );
    if (!version) return c.json({ error: { code: "not_found", message: "no such run" } }, 404);
    return c.json({
      state: version.state,
      version: version.version,
      live: liveStates.includes(version.state),
    });
  });

  return app;
}
