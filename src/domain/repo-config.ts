// The repo config (`.terragate/config.yml`): zod schema with every default, merge rules and JSON Schema.
import { z } from "zod";
import { defaultSteps, engineNames, Engine as RunnerEngine, workflowStepShapes } from "../runner/protocol.ts";
import { cronProblem, isTimeZone } from "./drift-schedule.ts";
import { globProblem } from "./glob.ts";
import { didYouMean } from "./suggest.ts";
import { parseTagQuery, TagQueryError } from "./tag-query.ts";
import { parseVersionConstraint, VersionConstraintError } from "./version-constraint.ts";

/** The message for a key the schema does not know, with the nearest known key when one is close. */
export function unknownKeyMessage(key: string, known: readonly string[]): string {
  const suggestion = didYouMean(key, known);
  return suggestion
    ? `unknown key; did you mean ${suggestion}?`
    : `unknown key; expected one of ${known.join(", ")}`;
}

/**
 * A strict object whose unknown-key issue carries one message per key, in the order of the issue's
 * `keys`, separated by newlines (the config parser splits them into one problem per key).
 */
function strict<Shape extends z.ZodRawShape>(shape: Shape) {
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys"
        ? issue.keys.map((key) => unknownKeyMessage(key, known)).join("\n")
        : undefined,
  });
}

const reservedTagPrefixes = ["dir:", "workspace:"];

/** A user tag: no spaces, quotes or parentheses, not a query keyword, not an implicit tag. */
export const Tag = z
  .string()
  .min(1, "a tag cannot be empty")
  .regex(/^[^\s()'"]+$/, "a tag cannot contain spaces, quotes or parentheses")
  .refine((tag) => !["and", "or", "not", "in"].includes(tag.toLowerCase()), {
    error: "and, or, not and in are tag query keywords, not tags",
  })
  .refine((tag) => !reservedTagPrefixes.some((prefix) => tag.startsWith(prefix)), {
    error: "dir: and workspace: tags are added by Terragate; choose another name",
  });

/** A tag query as text; checked here so a typo is reported with the file's line and column. */
export const TagQueryText = z
  .string()
  .default("")
  .check((context) => {
    try {
      parseTagQuery(context.value);
    } catch (error) {
      if (!(error instanceof TagQueryError)) throw error;
      context.issues.push({
        code: "custom",
        input: context.value,
        message: `invalid tag query at column ${error.column}: ${error.reason}`,
      });
    }
  });

/** Who may do something: everyone, a user, a team (or GitLab group), or a repository role. */
export const Principal = z
  .string()
  .regex(
    /^(\*|user:[A-Za-z0-9_.-]+(\[bot\])?|team:[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*|role:(read|triage|write|maintain|admin))$/,
    {
      error: 'expected "*", "user:NAME", "team:SLUG" or "role:read|triage|write|maintain|admin"',
    },
  );

/** A terraform workspace name. */
export const WorkspaceName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,89}$/, {
  error: "a workspace name uses letters, digits, _, . and - (at most 90 characters)",
});

/** The placeholder a file pattern uses for the dirspace's dir. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: this is the literal placeholder users write.
export const dirPlaceholder = "${DIR}";

/** The issue for a glob the config cannot use, if any; `what` names the kind of value in the message. */
function checkGlobText(context: z.core.ParsePayload<string>, what: string, placeholder?: string): void {
  const push = (message: string) => context.issues.push({ code: "custom", input: context.value, message });
  const glob = placeholder === undefined ? context.value : context.value.replace(/^!/, "");
  if (placeholder === undefined && glob.startsWith("!")) {
    push(`not a valid ${what}: negation with ! works only in when_modified.file_patterns`);
    return;
  }
  const problem = globProblem(glob, placeholder);
  if (problem !== undefined) push(`not a valid ${what}: ${problem}`);
}

/**
 * A glob over repository paths that stays inside the repository: `*` and `?` within one segment,
 * `**` any depth, `[a-z]` classes and `{a,b}` alternatives.
 */
export const GlobText = z.string().check((context) => checkGlobText(context, "glob"));

/** A file pattern: a glob, optionally starting with `!` (exclude) and using `${DIR}` for the dir. */
export const FilePatternText = z
  .string()
  .min(1, "a file pattern cannot be empty")
  .check((context) => checkGlobText(context, "file pattern", dirPlaceholder));

/** Which changed files make a dirspace "changed", and whether that plans it automatically. */
export const WhenModifiedOverride = strict({
  file_patterns: z.array(FilePatternText).optional(),
  autoplan: z.boolean().optional(),
  autoplan_draft_pr: z.boolean().optional(),
  depends_on_modules: z.boolean().optional(),
});
export type WhenModifiedOverride = z.infer<typeof WhenModifiedOverride>;

/** Default `when_modified.file_patterns`: the dir's own terraform files. */
export const defaultFilePatterns = [
  `${dirPlaceholder}/*.tf`,
  `${dirPlaceholder}/*.tfvars`,
  `${dirPlaceholder}/*.tofu`,
  `${dirPlaceholder}/terragrunt.hcl`,
  `${dirPlaceholder}/.terraform.lock.hcl`,
];

export const WhenModified = strict({
  file_patterns: z.array(FilePatternText).default(defaultFilePatterns),
  autoplan: z.boolean().default(true),
  autoplan_draft_pr: z.boolean().default(true),
  /** A change in a local module, Terragrunt source or included file the dir uses changes the dir. */
  depends_on_modules: z.boolean().default(true),
});
export type WhenModified = z.infer<typeof WhenModified>;

/** A `dirs` key: a repository-relative dir or glob that stays inside the repository. */
export const DirKey = z.string().check((context) => checkGlobText(context, "dir or glob"));

/** A branch name or a glob of branch names (`release/*`: `*` stays within one `/`-separated segment). */
export const BranchPattern = z
  .string()
  .min(1, "a branch pattern cannot be empty")
  .check((context) => checkGlobText(context, "branch pattern"));

export const WorkspaceConfig = strict({
  tags: z.array(Tag).default([]),
  when_modified: WhenModifiedOverride.optional(),
});
export type WorkspaceConfig = z.infer<typeof WorkspaceConfig>;

export const DirConfig = strict({
  tags: z.array(Tag).default([]),
  workspaces: z.record(WorkspaceName, WorkspaceConfig).optional(),
  when_modified: WhenModifiedOverride.optional(),
  /** Dirs (or globs) whose changes must be applied before this dir's; read from the default branch. */
  depends_on: z.array(DirKey).default([]),
});
export type DirConfig = z.infer<typeof DirConfig>;

const stepTypes = Object.keys(workflowStepShapes);

/** A workflow step as the config writes it: the runner's step fields, unknown keys refused by name. */
export const Step = z.discriminatedUnion(
  "type",
  [
    strict(workflowStepShapes.init),
    strict(workflowStepShapes.plan),
    strict(workflowStepShapes.apply),
    strict(workflowStepShapes.run),
    strict(workflowStepShapes.env),
  ],
  {
    error: (issue) => {
      if (issue.code !== "invalid_union") return undefined;
      const given = (issue.input as { type?: unknown } | undefined)?.type;
      const suggestion = typeof given === "string" ? didYouMean(given, stepTypes) : undefined;
      return suggestion
        ? `unknown step type; did you mean ${suggestion}?`
        : `expected a step type: one of ${stepTypes.join(", ")}`;
    },
  },
);
export type Step = z.infer<typeof Step>;

export const EngineName = z.enum(engineNames);
export type EngineName = z.infer<typeof EngineName>;

/** A Terraform-style version constraint (`~> 1.5`, `>= 1.2, < 2.0`), checked by the runner before any step. */
export const EngineVersion = z.string().check((context) => {
  try {
    parseVersionConstraint(context.value);
  } catch (error) {
    if (!(error instanceof VersionConstraintError)) throw error;
    context.issues.push({ code: "custom", input: context.value, message: error.message });
  }
});

/** The runner's engine fields, strict, with the version constraint checked when the config is read. */
export const Engine = strict({
  ...RunnerEngine.shape,
  version: EngineVersion.optional(),
});
export type Engine = z.infer<typeof Engine>;

const needsStep = (type: "plan" | "apply") => (steps: Step[]) => steps.some((step) => step.type === type);

export const Workflow = strict({
  tag_query: TagQueryText,
  engine: Engine.prefault({}),
  plan: z
    .array(Step)
    .default(defaultSteps.plan)
    .refine(needsStep("plan"), { error: "the plan steps need a { type: plan } step" }),
  apply: z
    .array(Step)
    .default(defaultSteps.apply)
    .refine(needsStep("apply"), { error: "the apply steps need a { type: apply } step" }),
});
export type Workflow = z.infer<typeof Workflow>;

export const LockPolicy = z.enum(["apply", "strict", "merge", "none"]);
export type LockPolicy = z.infer<typeof LockPolicy>;

export const ApplyRequirements = strict({
  approved: strict({
    enabled: z.boolean().default(false),
    any_of: z.array(Principal).default([]),
    all_of: z.array(Principal).default([]),
    any_of_count: z.number().int().min(1).default(1),
    dismiss_stale: z
      .boolean()
      .default(true)
      .describe("Only approvals of the PR's current head commit count; false also counts older ones."),
  }).prefault({}),
  merge_conflicts: z.boolean().default(true),
  status_checks: strict({
    enabled: z.boolean().default(true),
    ignore_matching: z
      .array(
        z.string().refine(
          (source) => {
            try {
              new RegExp(source);
              return true;
            } catch {
              return false;
            }
          },
          { error: "not a valid regular expression" },
        ),
      )
      .default([]),
  }).prefault({}),
  ready_for_review: z.boolean().default(true),
  apply_after_merge: z.boolean().default(false),
});
export type ApplyRequirements = z.infer<typeof ApplyRequirements>;

const principals = z.array(Principal).default([]);

/** Who may run anything for a PR that changes Terragate's config or workflow, unless a policy says otherwise. */
export const defaultConfigUpdate = ["role:write"];

export const AccessPolicy = strict({
  tag_query: TagQueryText,
  plan: principals,
  apply: principals,
  apply_force: principals,
  apply_autoapprove: principals,
  unlock: principals,
  reconcile: z
    .array(
      z.enum(["app", "*"], {
        error: 'scheduled drift runs reconcile as the app: expected "app" (or "*")',
      }),
    )
    .default([])
    .describe(
      "Whether scheduled drift runs may apply their plan here (drift.reconcile): `app` (or `*`) lets them; empty, the default, never.",
    ),
  config_update: z
    .array(Principal)
    .default(defaultConfigUpdate)
    .describe(
      "Who may run anything for a PR that changes .terragate/** or .github/workflows/terragate.yml (default role:write).",
    ),
});
export type AccessPolicy = z.infer<typeof AccessPolicy>;

/**
 * Without access_control: people who can push may plan, apply and unlock; forcing and
 * autoapproving take maintainers. `*` (anyone, even without access to the repository) is never a
 * default; it means anyone only where a config writes it.
 */
export const defaultAccessPolicy: AccessPolicy = {
  tag_query: "",
  plan: ["role:write"],
  apply: ["role:write"],
  apply_force: ["role:maintain"],
  apply_autoapprove: ["role:maintain"],
  unlock: ["role:write"],
  reconcile: [],
  config_update: defaultConfigUpdate,
};

export const AccessControl = strict({
  /** Unset: the safe default policy (defaultAccessPolicy). */
  policies: z.array(AccessPolicy).optional(),
});
export type AccessControl = z.infer<typeof AccessControl>;

/** Whether PRs whose head lives in a fork may run anything (on a trusted person's comment only). */
export const ForkPrs = z.enum(["allow", "refuse"]);
export type ForkPrs = z.infer<typeof ForkPrs>;

export const Automerge = strict({
  enabled: z.boolean().default(false),
  merge_strategy: z.enum(["merge", "squash", "rebase"]).default("squash"),
  delete_branch: z.boolean().default(false),
});

/** A drift schedule's cron: 5 fields, or hourly | daily | weekly (at a minute Terragate picks per repository). */
export const DriftCron = z.string().check((context) => {
  const problem = cronProblem(context.value);
  if (problem !== undefined) context.issues.push({ code: "custom", input: context.value, message: problem });
});

const TimeOfDay = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, {
  error: 'expected a time of day such as "22:00" (24-hour HH:MM)',
});

/** Hours of the day in which a schedule may start a drift run; its cron is read in this time zone too. */
export const DriftWindow = strict({
  start: TimeOfDay,
  end: TimeOfDay,
  time_zone: z.string().default("UTC").refine(isTimeZone, {
    error: 'unknown time zone; expected an IANA name such as "Europe/Berlin", or "UTC"',
  }),
}).refine((window) => window.start !== window.end, {
  error: "start and end are the same time; the window would be empty",
});

export const DriftScheduleName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, {
  error: "a schedule name uses letters, digits, _, . and - (at most 64 characters)",
});

export const DriftSchedule = strict({
  cron: DriftCron,
  tag_query: TagQueryText,
  window: DriftWindow.optional(),
  /** Overrides `drift.reconcile` for this schedule. */
  reconcile: z.boolean().optional(),
});
export type DriftSchedule = z.infer<typeof DriftSchedule>;

export const Drift = strict({
  enabled: z.boolean().default(false),
  /** Apply the drift plan on the default branch, where the access policy's `reconcile` list allows it. */
  reconcile: z.boolean().default(false),
  schedules: z.record(DriftScheduleName, DriftSchedule).default({}),
});
export type Drift = z.infer<typeof Drift>;

/** A stack name, as `depends_on` lists refer to it. */
export const StackName = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$/, {
  error: "a stack name uses letters, digits, _, . and - (at most 100 characters)",
});

/** A named group of dirspaces (the first stack whose tag query matches), applied after its dependencies. */
export const StackConfig = strict({
  tag_query: TagQueryText,
  depends_on: z.array(StackName).default([]),
});
export type StackConfig = z.infer<typeof StackConfig>;

/** The whole `.terragate/config.yml`. Every key is optional; `RepoConfig.parse({})` gives the defaults. */
export const RepoConfig = strict({
  version: z
    .literal(1, { error: "unsupported version; this Terragate reads `version: 1`" })
    .default(1)
    .describe("Config format version; only 1 exists."),
  ignore: z
    .array(GlobText)
    .default(["**/modules/**"])
    .describe("Globs of terraform roots that are not dirs (* = one segment, ** = any depth, [a-z], {a,b})."),
  dirs: z
    .record(DirKey, DirConfig)
    .default({})
    .describe(
      "Settings per dir; keys are dirs or globs. An exact key beats a glob, a longer glob a shorter one.",
    ),
  when_modified: WhenModified.prefault({}).describe(
    `Which changed files affect a dir (${dirPlaceholder} = the dir, ! excludes) and whether they autoplan it.`,
  ),
  workflows: z
    .array(Workflow)
    .default([])
    .describe("Engine and steps; the first entry whose tag_query matches a dirspace is used."),
  lock_policy: LockPolicy.default("apply").describe(
    "apply: an apply locks what it applies; strict: any apply locks all the PR's dirspaces; merge: lock at merge; none. Read from the default branch.",
  ),
  apply_requirements: ApplyRequirements.prefault({}).describe(
    "What a PR needs before apply. Always read from the default branch.",
  ),
  access_control: AccessControl.prefault({}).describe(
    "Who may plan, apply, force, autoapprove, unlock and update the config, per tag query. Always read from the default branch.",
  ),
  fork_prs: ForkPrs.default("refuse").describe(
    "refuse: nothing runs for a PR from a fork; allow: it runs on a comment by someone the access policy allows (never on push). Read from the default branch.",
  ),
  automerge: Automerge.prefault({}).describe(
    "Merge the PR once every changed dirspace is applied. Read from the default branch.",
  ),
  drift: Drift.prefault({}).describe("Scheduled plans that report drift. Read from the default branch."),
  parallelism: z
    .number()
    .int()
    .min(1)
    .max(64)
    .default(4)
    .describe("Dirspaces planned or applied at once inside one run."),
  destination_branches: z
    .array(BranchPattern)
    .optional()
    .describe(
      "Branches or branch globs (release/*: * stays within one segment); PRs into other branches are ignored. Unset means the default branch. Read from the default branch.",
    ),
  stacks: z
    .record(StackName, StackConfig)
    .default({})
    .describe(
      "Named groups of dirspaces (first matching tag_query) whose changes are applied after the stacks in depends_on. Read from the default branch.",
    ),
});
export type RepoConfig = z.infer<typeof RepoConfig>;

/** The configuration of a repository without a config file. */
export function defaultRepoConfig(): RepoConfig {
  return RepoConfig.parse({});
}

/**
 * Keys that decide who may do what, and when; always read from the default branch so that a PR
 * cannot loosen them for itself.
 */
export const defaultBranchKeys = [
  "access_control",
  "apply_requirements",
  "destination_branches",
  "automerge",
  "lock_policy",
  "fork_prs",
  "drift",
  // Ordering rules, so a PR cannot drop them; the stack graph also resolves dirs' depends_on against
  // the default branch's config (see buildStackGraph).
  "stacks",
] as const satisfies ReadonlyArray<keyof RepoConfig>;

/** The config a PR runs with: the PR's own, except defaultBranchKeys, which come from the default branch. */
export function mergeRepoConfig(defaultBranch: RepoConfig, pr: RepoConfig): RepoConfig {
  const merged: RepoConfig = { ...pr };
  for (const key of defaultBranchKeys) {
    (merged as Record<string, unknown>)[key] = defaultBranch[key];
  }
  return merged;
}

/** The access policies in force: the config's, or the safe default when it has none. */
export function accessPolicies(config: RepoConfig): { policies: AccessPolicy[]; isDefault: boolean } {
  const written = config.access_control.policies;
  return written === undefined
    ? { policies: [defaultAccessPolicy], isDefault: true }
    : { policies: written, isDefault: false };
}

/** JSON Schema of the config file, for editors (`terragate config schema`, schema/config.json). */
export function repoConfigJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(RepoConfig, { io: "input", target: "draft-2020-12" }),
    title: "Terragate repo config (.terragate/config.yml)",
  };
}
