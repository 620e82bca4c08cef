// A PR's plan is one trace: the webhook, the evaluation, GitHub calls, transactions, the dispatch, the runner and the report.
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startTracing, type TracingHandle } from "../../src/tracing/start-tracing.ts";
import { workflowSnippet } from "../../src/vcs/github/workflow-snippet.ts";
import { createE2eBed, type E2eBed, mirrorCommit, startRunner } from "../e2e/e2e-bed.ts";
import { type FakeCollector, startFakeCollector } from "../fakes/otlp/collector.ts";
import { pullRequestEvent, repoFullName } from "../github/payloads.ts";
import { git, terraformRoot } from "../runner/runner-fixtures.ts";

let bed: E2eBed;
let tracing: TracingHandle;
let collector: FakeCollector;
const exporter = new InMemorySpanExporter();
let root: string;
let home: string;

beforeAll(async () => {
  tracing = await startTracing({ exporter, immediate: true });
  collector = await startFakeCollector();
  bed = await createE2eBed();
  const base = await mkdtemp(path.join(tmpdir(), "terragate-trace-"));
  root = path.join(base, "repo");
  home = path.join(base, "home");
  await mkdir(path.join(root, ".github/workflows"), { recursive: true });
  await mkdir(home, { recursive: true });
  await git(root, ["init", "-q", "-b", "main"]);
  await writeFile(path.join(root, ".github/workflows/terragate.yml"), `${workflowSnippet(bed.url)}\n`);
  await writeFile(
    path.join(root, ".gitignore"),
    ".terraform/\n*.tfstate\n*.tfstate.*\n.terraform.lock.hcl\n",
  );
  await git(root, ["add", "."]);
  await git(root, ["commit", "-q", "-m", "initial"]);
  bed.github.state
    .addRepo({ owner: "acme", name: "infra", installationId: 42 })
    .permissions.set("alice", "admin");
  await mirrorCommit(bed.github, repoFullName, root, "main");
});

afterAll(async () => {
  await tracing?.shutdown();
  await bed?.close();
  await collector?.close();
});

function spanTrace(span: ReadableSpan): string {
  return span.spanContext().traceId;
}

it("follows a plan from the webhook through the runner to the PR comment in one trace", {
  timeout: 120_000,
}, async () => {
  await git(root, ["checkout", "-q", "-B", "feature", "main"]);
  await mkdir(path.join(root, "infra/a"), { recursive: true });
  await writeFile(path.join(root, "infra/a/main.tf"), terraformRoot("a", 1));
  await git(root, ["add", "."]);
  await git(root, ["commit", "-q", "-m", "add a"]);
  await mirrorCommit(bed.github, repoFullName, root, "feature");
  await git(root, ["checkout", "-q", "main"]);
  const pull = bed.github.state.openPullRequest(repoFullName, {
    number: 1,
    author: "alice",
    base: "main",
    head: "feature",
    files: ["infra/a/main.tf"],
  });

  expect(await bed.send("pull_request", pullRequestEvent("opened", pull))).toBe(202);
  await bed.work();
  const dispatch = bed.github.state.dispatches.at(-1);
  if (!dispatch) throw new Error("nothing was dispatched");
  const run = await startRunner(root, home, dispatch, {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url },
  });
  expect(run.exitCode, run.stderr).toBe(0);
  await bed.work();
  await tracing.flush();

  const spans = exporter.getFinishedSpans();
  const intake = spans.find((span) => span.name === "POST /api/github/v1/events");
  if (!intake) throw new Error(`no intake span among ${spans.map((span) => span.name).join(", ")}`);
  // The delivery starts its trace.
  expect(intake.parentSpanContext).toBeUndefined();
  const traceId = spanTrace(intake);
  const inTrace = spans.filter((span) => spanTrace(span) === traceId).map((span) => span.name);

  expect(inTrace).toEqual(
    expect.arrayContaining([
      "job evaluate-event",
      "job dispatch-run",
      "db transaction",
      "GitHub POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches",
      // Once started, the runner's calls reach the server inside the same trace, and so does the
      // report they queue (its `initiate` comes before it knows the trace).
      "PUT /api/github/v1/work-manifests/:id",
      "job report-results",
    ]),
  );
  // The report's own GitHub calls (the PR comment) belong to the trace as well.
  const reportSpan = spans.find((span) => span.name === "job report-results" && spanTrace(span) === traceId);
  expect(
    spans.some(
      (span) =>
        spanTrace(span) === traceId &&
        span.name.startsWith("GitHub ") &&
        span.startTime[0] * 1e9 + span.startTime[1] >=
          (reportSpan?.startTime[0] ?? 0) * 1e9 + (reportSpan?.startTime[1] ?? 0),
    ),
  ).toBe(true);

  // The runner exported its own spans over OTLP, continuing the manifest's trace.
  const runnerSpans = collector.spans.filter((span) => span.traceId === traceId);
  expect(runnerSpans.map((span) => span.name)).toEqual(
    expect.arrayContaining(["terragate run plan", "dirspace infra/a (default)"]),
  );
  expect(new Set(runnerSpans.map((span) => span.service))).toEqual(new Set(["terragate-runner"]));
  const runSpan = runnerSpans.find((span) => span.name === "terragate run plan");
  expect(runSpan?.parentSpanId).toBeDefined();
  // Its parent is a server-side span of this trace (the one that created the manifest).
  expect(spans.some((span) => span.spanContext().spanId === runSpan?.parentSpanId)).toBe(true);

  // A second delivery is a trace of its own.
  expect(await bed.send("pull_request", pullRequestEvent("synchronize", pull))).toBe(202);
  const intakes = exporter.getFinishedSpans().filter((span) => span.name === "POST /api/github/v1/events");
  expect(new Set(intakes.map(spanTrace)).size).toBe(intakes.length);
});
