// Repo config parsing: defaults, every error message with its line, column and key path, and merging.
import { describe, expect, it } from "vitest";
import { formatConfigProblem, parseRepoConfig } from "./parse-repo-config.ts";
import { accessPolicies, defaultRepoConfig, mergeRepoConfig, type RepoConfig } from "./repo-config.ts";

const D = "$" + "{DIR}";

function problems(text: string): string[] {
  const result = parseRepoConfig(text, "config.yml");
  if (result.ok) throw new Error("expected the config to be rejected");
  return result.problems.map(formatConfigProblem);
}

function config(text: string): RepoConfig {
  const result = parseRepoConfig(text, "config.yml");
  if (!result.ok) throw new Error(result.problems.map(formatConfigProblem).join("\n"));
  return result.config;
}

describe("workflow steps", () => {
  it("take the runner's step fields: a timeout per step and a name for a run step", () => {
    const parsed = config(
      "workflows:\n  - plan: [{ type: init, timeout_seconds: 600 }, { type: run, cmd: [make], name: lint }, { type: plan }]\n",
    );
    expect(parsed.workflows[0]!.plan).toEqual([
      { type: "init", extra_args: [], timeout_seconds: 600 },
      { type: "run", cmd: ["make"], name: "lint" },
      { type: "plan", extra_args: [] },
    ]);
  });
});

describe("parseRepoConfig defaults", () => {
  it.each(["", "# only a comment\n", "version: 1\n", "{}"])("%j gives every default", (text) => {
    expect(config(text)).toEqual(defaultRepoConfig());
  });

  it("documents each default", () => {
    const defaults = defaultRepoConfig();
    expect(defaults.ignore).toEqual(["**/modules/**"]);
    expect(defaults.when_modified).toEqual({
      file_patterns: [
        `\${DIR}/*.tf`,
        `\${DIR}/*.tfvars`,
        `\${DIR}/*.tofu`,
        `\${DIR}/terragrunt.hcl`,
        `\${DIR}/.terraform.lock.hcl`,
      ],
      autoplan: true,
      autoplan_draft_pr: true,
      depends_on_modules: true,
    });
    expect(defaults.stacks).toEqual({});
    expect(defaults.lock_policy).toBe("apply");
    expect(defaults.parallelism).toBe(4);
    expect(defaults.workflows).toEqual([]);
    expect(defaults.destination_branches).toBeUndefined();
    // No access_control means the safe default: pushers plan, apply and unlock; maintainers force.
    expect(defaults.access_control.policies).toBeUndefined();
    expect(accessPolicies(defaults)).toEqual({
      isDefault: true,
      policies: [
        {
          tag_query: "",
          plan: ["role:write"],
          apply: ["role:write"],
          apply_force: ["role:maintain"],
          apply_autoapprove: ["role:maintain"],
          unlock: ["role:write"],
          // Drift never reconciles unless a policy names it.
          reconcile: [],
          config_update: ["role:write"],
        },
      ],
    });
    expect(defaults.fork_prs).toBe("refuse");
    expect(defaults.apply_requirements).toEqual({
      approved: { enabled: false, any_of: [], all_of: [], any_of_count: 1, dismiss_stale: true },
      merge_conflicts: true,
      status_checks: { enabled: true, ignore_matching: [] },
      ready_for_review: true,
      apply_after_merge: false,
    });
    expect(defaults.automerge).toEqual({ enabled: false, merge_strategy: "squash", delete_branch: false });
    expect(defaults.drift).toEqual({ enabled: false, reconcile: false, schedules: {} });
  });

  it("fills workflow and policy defaults inside entries", () => {
    const parsed = config(
      ["workflows:", "  - tag_query: prod", "access_control:", "  policies:", "    - { plan: ['*'] }"].join(
        "\n",
      ),
    );
    expect(parsed.workflows).toEqual([
      {
        tag_query: "prod",
        engine: { name: "terraform" },
        plan: [
          { type: "init", extra_args: [] },
          { type: "plan", extra_args: [] },
        ],
        apply: [
          { type: "init", extra_args: [] },
          { type: "apply", extra_args: [] },
        ],
      },
    ]);
    expect(parsed.access_control.policies).toEqual([
      {
        tag_query: "",
        plan: ["*"],
        apply: [],
        apply_force: [],
        apply_autoapprove: [],
        unlock: [],
        reconcile: [],
        config_update: ["role:write"],
      },
    ]);
  });

  it("reads the documented example", () => {
    const parsed = config(`version: 1
ignore: ["**/modules/**"]
dirs:
  "infra/*":
    tags: [aws]
    workspaces:
      staging: { tags: [nonprod] }
      prod: { tags: [prod] }
  infra/special:
    workspaces: { default: {} }
    when_modified: { file_patterns: ["\${DIR}/**/*.tf", "shared/*.tfvars"] }
when_modified:
  file_patterns: ["\${DIR}/*.tf", "\${DIR}/*.tfvars", "!\${DIR}/ignored.tf"]
  autoplan: true
  autoplan_draft_pr: true
workflows:
  - tag_query: "prod"
    engine: { name: terraform }
    plan: [{ type: init }, { type: plan, extra_args: ["-lock-timeout=60s"] }]
    apply: [{ type: init }, { type: apply }]
  - tag_query: ""
    plan: [{ type: env, name: TF_LOG, value: info }, { type: run, cmd: [make, check] }, { type: plan }]
lock_policy: apply
apply_requirements:
  approved: { enabled: true, any_of: ["team:sre", "user:carol"], any_of_count: 1 }
  merge_conflicts: true
  status_checks: { enabled: true, ignore_matching: ["^optional/"] }
  ready_for_review: true
access_control:
  policies:
    - tag_query: "prod"
      plan: ["*"]
      apply: ["team:sre", "role:maintain"]
      apply_force: ["role:admin"]
      unlock: ["role:admin"]
automerge: { enabled: false, merge_strategy: squash, delete_branch: false }
drift: { enabled: false, schedules: { nightly: { cron: "0 3 * * *", tag_query: "prod" } } }
parallelism: 4
destination_branches: ["main"]
`);
    expect(Object.keys(parsed.dirs)).toEqual(["infra/*", "infra/special"]);
    expect(parsed.dirs["infra/*"]?.workspaces?.["prod"]?.tags).toEqual(["prod"]);
    expect(parsed.workflows[1]?.plan[1]).toEqual({ type: "run", cmd: ["make", "check"] });
    expect(parsed.drift.schedules["nightly"]).toEqual({ cron: "0 3 * * *", tag_query: "prod" });
    expect(parsed.destination_branches).toEqual(["main"]);
  });

  it("reads drift schedules with shorthands, windows and reconcile", () => {
    const parsed = config(`drift:
  enabled: true
  reconcile: true
  schedules:
    nightly: { cron: "30 2 * * 1-5", tag_query: prod, window: { start: "22:00", end: "06:00", time_zone: Europe/Berlin } }
    hourly-check: { cron: hourly, reconcile: false }
access_control:
  policies:
    - { tag_query: prod, reconcile: [app] }
`);
    expect(parsed.drift).toEqual({
      enabled: true,
      reconcile: true,
      schedules: {
        nightly: {
          cron: "30 2 * * 1-5",
          tag_query: "prod",
          window: { start: "22:00", end: "06:00", time_zone: "Europe/Berlin" },
        },
        "hourly-check": { cron: "hourly", tag_query: "", reconcile: false },
      },
    });
    expect(parsed.access_control.policies?.[0]?.reconcile).toEqual(["app"]);
  });
});

describe("parseRepoConfig errors", () => {
  const cases: Array<[string, string, string[]]> = [
    [
      "misspelt key with a suggestion",
      'dirs:\n  "aws/vpc":\n    workspces: { prod: {} }\n',
      ['config.yml:3:5: dirs."aws/vpc".workspces: unknown key; did you mean workspaces?'],
    ],
    [
      "unknown key without a close match",
      "frobnicate: true\n",
      [
        "config.yml:1:1: frobnicate: unknown key; expected one of version, ignore, dirs, when_modified, workflows, lock_policy, apply_requirements, access_control, fork_prs, automerge, drift, parallelism, destination_branches, stacks",
      ],
    ],
    [
      "two unknown keys in one mapping",
      "when_modified:\n  autoplna: true\n  file_pattern: []\n",
      [
        "config.yml:2:3: when_modified.autoplna: unknown key; did you mean autoplan?",
        "config.yml:3:3: when_modified.file_pattern: unknown key; did you mean file_patterns?",
      ],
    ],
    ["wrong type", "parallelism: many\n", ["config.yml:1:14: parallelism: expected number, got string"]],
    ["out of range", "parallelism: 0\n", ["config.yml:1:14: parallelism: must be at least 1"]],
    [
      "bad enum value",
      "lock_policy: strct\n",
      ["config.yml:1:14: lock_policy: expected one of apply, strict, merge, none"],
    ],
    [
      "unsupported version",
      "version: 2\n",
      ["config.yml:1:10: version: unsupported version; this Terragate reads `version: 1`"],
    ],
    [
      "tag with a space",
      'dirs:\n  a:\n    tags: [ok, "not ok"]\n',
      ["config.yml:3:16: dirs.a.tags[1]: a tag cannot contain spaces, quotes or parentheses"],
    ],
    [
      "a file pattern with an unclosed brace",
      `when_modified:\n  file_patterns: ["${D}/*.{tf,tfvars"]\n`,
      [
        "config.yml:2:19: when_modified.file_patterns[0]: not a valid file pattern: unclosed `{`; close the alternatives with `}` (character 10)",
      ],
    ],
    [
      "a file pattern with a POSIX class",
      `when_modified:\n  file_patterns:\n    - ${D}/[[:alpha:]]*.hcl\n`,
      [
        "config.yml:3:7: when_modified.file_patterns[0]: not a valid file pattern: POSIX classes such as [[:alpha:]] are not supported; write the range instead, e.g. [a-zA-Z] (character 8)",
      ],
    ],
    [
      `a file pattern with {DIR} instead of ${D}`,
      'when_modified: { file_patterns: ["{DIR}/*.tf"] }\n',
      [
        `config.yml:1:34: when_modified.file_patterns[0]: not a valid file pattern: {DIR} has one alternative; list at least two separated by commas ({a,b}), or write ${D} for the dir (character 1)`,
      ],
    ],
    [
      "a dirs key with an extended glob",
      'dirs:\n  "infra/@(a|b)": { tags: [x] }\n',
      [
        'config.yml:2:3: dirs."infra/@(a|b)": not a valid dir or glob: extended globs such as @(a|b) or !(x) are not supported; use {a,b} for alternatives (character 7)',
      ],
    ],
    [
      "an ignore glob with a negation",
      'ignore: ["!**/modules/**"]\n',
      [
        "config.yml:1:10: ignore[0]: not a valid glob: negation with ! works only in when_modified.file_patterns",
      ],
    ],
    [
      "a destination branch with a reversed range",
      'destination_branches: ["release/[9-0]*"]\n',
      [
        "config.yml:1:24: destination_branches[0]: not a valid branch pattern: the range 9-0 in a character class is reversed; write 0-9 (character 9)",
      ],
    ],
    [
      "reserved tag",
      "dirs:\n  a:\n    tags: [workspace:prod]\n",
      [
        "config.yml:3:12: dirs.a.tags[0]: dir: and workspace: tags are added by Terragate; choose another name",
      ],
    ],
    [
      "keyword tag",
      "dirs:\n  a:\n    tags: [and]\n",
      ["config.yml:3:12: dirs.a.tags[0]: and, or, not and in are tag query keywords, not tags"],
    ],
    [
      "dir key leaving the repository",
      'dirs:\n  "../other": {}\n',
      [
        'config.yml:2:3: dirs."../other": not a valid dir or glob: it contains `..`; paths must stay inside the repository',
      ],
    ],
    [
      "absolute dir key",
      'dirs:\n  "/etc": {}\n',
      [
        'config.yml:2:3: dirs."/etc": not a valid dir or glob: it is absolute; write it relative to the repository root',
      ],
    ],
    [
      "bad workspace name",
      "dirs:\n  a:\n    workspaces:\n      'pro d': {}\n",
      [
        'config.yml:4:7: dirs.a.workspaces."pro d": a workspace name uses letters, digits, _, . and - (at most 90 characters)',
      ],
    ],
    [
      "broken tag query",
      "workflows:\n  - tag_query: 'prod and'\n",
      [
        "config.yml:2:16: workflows[0].tag_query: invalid tag query at column 9: expected a tag after 'and', found the end of the query",
      ],
    ],
    [
      "unknown step type",
      "workflows:\n  - plan: [{ type: int }, { type: plan }]\n",
      ["config.yml:2:20: workflows[0].plan[0].type: unknown step type; did you mean init?"],
    ],
    [
      "step type far from any",
      "workflows:\n  - plan: [{ type: shell }, { type: plan }]\n",
      [
        "config.yml:2:20: workflows[0].plan[0].type: expected a step type: one of init, plan, apply, run, env",
      ],
    ],
    [
      "plan steps without a plan",
      "workflows:\n  - plan: [{ type: init }]\n",
      ["config.yml:2:11: workflows[0].plan: the plan steps need a { type: plan } step"],
    ],
    [
      "unknown key in a step",
      "workflows:\n  - apply: [{ type: apply, extra_arg: [] }]\n",
      ["config.yml:2:28: workflows[0].apply[0].extra_arg: unknown key; did you mean extra_args?"],
    ],
    [
      "bad engine",
      "workflows:\n  - engine: { name: opentofu }\n",
      ["config.yml:2:21: workflows[0].engine.name: expected one of terraform, tofu, terragrunt"],
    ],
    [
      "step timeout of zero",
      "workflows:\n  - plan: [{ type: plan, timeout_seconds: 0 }]\n",
      ["config.yml:2:43: workflows[0].plan[0].timeout_seconds: must be at least 1"],
    ],
    [
      "bad engine version",
      "workflows:\n  - engine: { version: '>= 1.2 < 2' }\n",
      [
        'config.yml:2:24: workflows[0].engine.version: ">= 1.2 < 2" is not a version constraint: write an operator (=, !=, >, >=, <, <=, ~>) and a version such as 1.5 or 1.5.7, several separated by commas',
      ],
    ],
    [
      "bad principal",
      "access_control:\n  policies:\n    - apply: [bob]\n",
      [
        'config.yml:3:15: access_control.policies[0].apply[0]: expected "*", "user:NAME", "team:SLUG" or "role:read|triage|write|maintain|admin"',
      ],
    ],
    [
      "bad regular expression",
      "apply_requirements:\n  status_checks: { ignore_matching: ['(unclosed'] }\n",
      [
        "config.yml:2:38: apply_requirements.status_checks.ignore_matching[0]: not a valid regular expression",
      ],
    ],
    [
      "bad cron",
      "drift:\n  schedules:\n    nightly: { cron: every day }\n",
      [
        'config.yml:3:22: drift.schedules.nightly.cron: expected a 5-field cron expression such as "0 3 * * *", or hourly, daily or weekly',
      ],
    ],
    [
      "cron field out of range",
      "drift:\n  schedules:\n    nightly: { cron: '61 3 * * *' }\n",
      [
        "config.yml:3:22: drift.schedules.nightly.cron: not a valid cron expression: Invalid value for minute: 61",
      ],
    ],
    [
      "drift window in an unknown time zone",
      "drift:\n  schedules:\n    nightly:\n      cron: daily\n      window: { start: '22:00', end: '06:00', time_zone: Mars/Olympus }\n",
      [
        'config.yml:5:58: drift.schedules.nightly.window.time_zone: unknown time zone; expected an IANA name such as "Europe/Berlin", or "UTC"',
      ],
    ],
    [
      "drift window time not HH:MM",
      "drift:\n  schedules:\n    nightly:\n      cron: hourly\n      window: { start: '9pm', end: '06:00' }\n",
      [
        'config.yml:5:24: drift.schedules.nightly.window.start: expected a time of day such as "22:00" (24-hour HH:MM)',
      ],
    ],
    [
      "drift schedule with an unknown key",
      "drift:\n  schedules:\n    nightly: { cron: daily, tagquery: prod }\n",
      ["config.yml:3:29: drift.schedules.nightly.tagquery: unknown key; did you mean tag_query?"],
    ],
    [
      "reconcile list naming a person",
      "access_control:\n  policies:\n    - reconcile: [user:alice]\n",
      [
        'config.yml:3:19: access_control.policies[0].reconcile[0]: scheduled drift runs reconcile as the app: expected "app" (or "*")',
      ],
    ],
    [
      "not a mapping",
      "- version: 1\n",
      ["config.yml:1:1: expected a mapping of settings at the top level, such as `version: 1`"],
    ],
    [
      "YAML syntax error",
      "dirs:\n  a: {tags: [x}\n",
      [
        "config.yml:2:15: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]",
        "config.yml:2:16: YAML syntax: Flow map in block collection must be sufficiently indented and end with a }",
      ],
    ],
    [
      "duplicate key",
      "parallelism: 1\nparallelism: 2\n",
      ["config.yml:2:1: YAML syntax: Map keys must be unique"],
    ],
    ["null where a list is expected", "ignore:\n", ["config.yml:1:1: ignore: expected array, got null"]],
  ];
  it.each(cases)("%s", (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });
});

describe("mergeRepoConfig", () => {
  it("takes every who-may-do-what key from the default branch and what runs from the PR", () => {
    const defaultBranch = config(
      [
        "apply_requirements: { approved: { enabled: true, any_of: ['team:sre'] } }",
        "access_control: { policies: [{ apply: ['team:sre'] }] }",
        "destination_branches: [main]",
        "parallelism: 2",
        "drift: { enabled: true, schedules: { nightly: { cron: '0 3 * * *' } } }",
      ].join("\n"),
    );
    const pr = config(
      [
        "apply_requirements: { approved: { enabled: false } }",
        "access_control: { policies: [{ apply: ['*'] }] }",
        "destination_branches: [feature]",
        "parallelism: 8",
        "lock_policy: none",
        "automerge: { enabled: true }",
        "fork_prs: allow",
        "drift: { enabled: false }",
        "workflows: [{ tag_query: prod }]",
      ].join("\n"),
    );
    const merged = mergeRepoConfig(defaultBranch, pr);
    expect(merged.apply_requirements).toEqual(defaultBranch.apply_requirements);
    expect(merged.access_control).toEqual(defaultBranch.access_control);
    expect(merged.destination_branches).toEqual(["main"]);
    // Who may do what, and when, is the default branch's: a PR cannot loosen it for itself.
    expect(merged.lock_policy).toBe("apply");
    expect(merged.automerge.enabled).toBe(false);
    expect(merged.fork_prs).toBe("refuse");
    expect(merged.drift).toEqual(defaultBranch.drift);
    // What runs is the PR's (guarded by config_update).
    expect(merged.parallelism).toBe(8);
    expect(merged.workflows).toEqual(pr.workflows);
  });

  it("drops a PR's destination branches when the default branch sets none", () => {
    const merged = mergeRepoConfig(defaultRepoConfig(), config("destination_branches: [anything]"));
    expect(merged.destination_branches).toBeUndefined();
  });
});
