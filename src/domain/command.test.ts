// Comment command grammar: trigger word, actions, tag queries, unlock arguments and suggestions.
import { describe, expect, it } from "vitest";
import { type Command, parseCommand } from "./command.ts";

describe("parseCommand", () => {
  const cases: Array<[string, Command]> = [
    ["terragate plan", { kind: "plan", tagQuery: { kind: "all" }, tagQueryText: "" }],
    ["Terragate PLAN", { kind: "plan", tagQuery: { kind: "all" }, tagQueryText: "" }],
    ["  `terragate plan`  ", { kind: "plan", tagQuery: { kind: "all" }, tagQueryText: "" }],
    ["```terragate apply```", { kind: "apply", tagQuery: { kind: "all" }, tagQueryText: "" }],
    [
      "terragate plan dir:aws/vpc prod",
      {
        kind: "plan",
        tagQuery: {
          kind: "and",
          operands: [
            { kind: "tag", tag: "dir:aws/vpc" },
            { kind: "tag", tag: "prod" },
          ],
        },
        tagQueryText: "dir:aws/vpc prod",
      },
    ],
    [
      "terragate apply-autoapprove staging\nthanks!",
      { kind: "apply-autoapprove", tagQuery: { kind: "tag", tag: "staging" }, tagQueryText: "staging" },
    ],
    [
      "terragate\tapply-force vpc in dir",
      { kind: "apply-force", tagQuery: { kind: "in-dir", segment: "vpc" }, tagQueryText: "vpc in dir" },
    ],
    ["terragate unlock", { kind: "unlock", pullRequests: [] }],
    ["terragate unlock 17 #18, 19 17", { kind: "unlock", pullRequests: [17, 18, 19] }],
    ["terragate help", { kind: "help" }],
    ["terragate", { kind: "help" }],
    ["TERRAGATE repo-config", { kind: "repo-config" }],
    ["\n\nterragate help\n", { kind: "help" }],
    ["please run terragate plan", { kind: "not-a-command" }],
    ["terragateplan", { kind: "not-a-command" }],
    ["", { kind: "not-a-command" }],
    ["LGTM\nterragate apply", { kind: "not-a-command" }],
    ["> terragate plan", { kind: "not-a-command" }],
    ["terragate pln", { kind: "invalid", message: "unknown action `pln`; did you mean `terragate plan`?" }],
    [
      "terragate aply dir:x",
      { kind: "invalid", message: "unknown action `aply`; did you mean `terragate apply`?" },
    ],
    [
      "terragate apply-forse",
      { kind: "invalid", message: "unknown action `apply-forse`; did you mean `terragate apply-force`?" },
    ],
    [
      "terragate destroy-everything",
      {
        kind: "invalid",
        message:
          "unknown action `destroy-everything`; expected one of plan, apply, apply-autoapprove, apply-force, unlock, help, repo-config; comment `terragate help` for usage.",
      },
    ],
    [
      "terragate plan (prod",
      {
        kind: "invalid",
        message: "invalid tag query in `terragate plan` at column 1: unclosed '('; add a ')'.",
      },
    ],
    [
      "terragate apply a and",
      {
        kind: "invalid",
        message:
          "invalid tag query in `terragate apply` at column 6: expected a tag after 'and', found the end of the query.",
      },
    ],
    [
      "terragate unlock seventeen",
      {
        kind: "invalid",
        message:
          "`terragate unlock` takes the numbers of the requests whose locks to release, such as `terragate unlock 17 18`, got `seventeen`.",
      },
    ],
    [
      "terragate unlock 0",
      {
        kind: "invalid",
        message:
          "`terragate unlock` takes the numbers of the requests whose locks to release, such as `terragate unlock 17 18`, got `0`.",
      },
    ],
    [
      "terragate unlock -3",
      {
        kind: "invalid",
        message:
          "`terragate unlock` takes the numbers of the requests whose locks to release, such as `terragate unlock 17 18`, got `-3`.",
      },
    ],
    ["terragate help me", { kind: "invalid", message: "`terragate help` takes no arguments, got `me`." }],
  ];
  it.each(cases)("%j", (body, expected) => {
    expect(parseCommand(body)).toEqual(expected);
  });
});
