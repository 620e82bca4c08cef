import { describe, expect, it } from "vitest";
import { cronProblem, dueSlot, effectiveCron, insideWindow } from "./drift-schedule.ts";

const at = (iso: string) => new Date(iso);

describe("dueSlot", () => {
  it("owes the latest cron time at or before now", () => {
    const nightly = { cron: "0 3 * * *" };
    expect(dueSlot(nightly, "1/nightly", at("2026-01-02T03:00:00Z"))).toEqual(at("2026-01-02T03:00:00Z"));
    expect(dueSlot(nightly, "1/nightly", at("2026-01-02T03:00:59Z"))).toEqual(at("2026-01-02T03:00:00Z"));
    // A minute before tonight's time, last night's firing is the one owed (already taken if it ran).
    expect(dueSlot(nightly, "1/nightly", at("2026-01-02T02:59:00Z"))).toEqual(at("2026-01-01T03:00:00Z"));
  });

  it("gives up on a firing older than the lookback", () => {
    const weekly = { cron: "0 3 * * 1" }; // Mondays
    expect(dueSlot(weekly, "1/w", at("2026-01-05T04:00:00Z"))).toEqual(at("2026-01-05T03:00:00Z"));
    expect(dueSlot(weekly, "1/w", at("2026-01-07T04:00:00Z"))).toBeNull();
  });

  it("holds a firing outside its window until the window opens, then owes it once", () => {
    const noon = { cron: "0 12 * * *", window: { start: "01:00", end: "05:00", time_zone: "UTC" } };
    expect(dueSlot(noon, "1/noon", at("2026-01-02T12:00:00Z"))).toBeNull();
    expect(dueSlot(noon, "1/noon", at("2026-01-03T00:59:00Z"))).toBeNull();
    expect(dueSlot(noon, "1/noon", at("2026-01-03T01:00:00Z"))).toEqual(at("2026-01-02T12:00:00Z"));
  });

  it("reads the cron and the window in the window's time zone", () => {
    const berlin = {
      cron: "0 3 * * *",
      window: { start: "02:00", end: "04:00", time_zone: "Europe/Berlin" },
    };
    // 03:00 in Berlin is 02:00 UTC in winter.
    expect(dueSlot(berlin, "1/b", at("2026-01-02T02:00:00Z"))).toEqual(at("2026-01-02T02:00:00Z"));
    expect(dueSlot(berlin, "1/b", at("2026-01-02T03:30:00Z"))).toBeNull();
  });
});

describe("insideWindow", () => {
  it("wraps midnight when the end comes before the start", () => {
    const night = { start: "22:00", end: "06:00", time_zone: "UTC" };
    expect(insideWindow(at("2026-01-02T23:00:00Z"), night)).toBe(true);
    expect(insideWindow(at("2026-01-02T05:59:00Z"), night)).toBe(true);
    expect(insideWindow(at("2026-01-02T06:00:00Z"), night)).toBe(false);
    expect(insideWindow(at("2026-01-02T12:00:00Z"), night)).toBe(false);
  });
});

describe("effectiveCron", () => {
  it("spreads hourly, daily and weekly over repositories, the same way every time", () => {
    const minutes = new Set(
      Array.from({ length: 20 }, (_, index) => effectiveCron("hourly", `${index}/h`).split(" ")[0]),
    );
    expect(minutes.size).toBeGreaterThan(5);
    expect(effectiveCron("daily", "7/nightly")).toBe(effectiveCron("daily", "7/nightly"));
    expect(effectiveCron("daily", "7/nightly")).toMatch(/^\d+ \d+ \* \* \*$/);
    expect(effectiveCron("weekly", "7/w")).toMatch(/^\d+ \d+ \* \* [0-6]$/);
    expect(effectiveCron("15 * * * *", "7/x")).toBe("15 * * * *");
  });
});

describe("cronProblem", () => {
  it.each([
    ["0 3 * * *", undefined],
    ["*/15 8-18 * * 1-5", undefined],
    ["weekly", undefined],
    ["0 3 * *", 'expected a 5-field cron expression such as "0 3 * * *", or hourly, daily or weekly'],
    ["@daily", 'expected a 5-field cron expression such as "0 3 * * *", or hourly, daily or weekly'],
    ["0 25 * * *", "not a valid cron expression: Invalid value for hour: 25"],
  ])("%s", (text, problem) => {
    expect(cronProblem(text)).toBe(problem);
  });
});
