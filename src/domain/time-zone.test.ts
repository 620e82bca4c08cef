import { describe, expect, it } from "vitest";
import { isoInZone, parseTimeZone, TimeZoneError } from "./time-zone.ts";

describe("time zones of listings", () => {
  const instant = new Date("2026-01-31T13:05:09.123Z");

  it("writes the instant in the zone's wall-clock time with its offset, which parses back to the same instant", () => {
    expect(isoInZone(instant, "Europe/Paris")).toBe("2026-01-31T14:05:09.123+01:00");
    expect(isoInZone(instant, "America/New_York")).toBe("2026-01-31T08:05:09.123-05:00");
    expect(isoInZone(instant, "Asia/Kolkata")).toBe("2026-01-31T18:35:09.123+05:30");
    expect(isoInZone(new Date("2026-07-01T00:00:00.000Z"), "Europe/Paris")).toBe(
      "2026-07-01T02:00:00.000+02:00",
    );
    for (const zone of ["Europe/Paris", "America/New_York", "Asia/Kolkata", "Etc/GMT+12"]) {
      expect(new Date(isoInZone(instant, zone)).getTime()).toBe(instant.getTime());
    }
  });

  it("keeps UTC as Z, and midnight as 00 (not 24)", () => {
    expect(isoInZone(instant, "UTC")).toBe("2026-01-31T13:05:09.123Z");
    expect(isoInZone(new Date("2026-01-31T23:00:00.000Z"), "Europe/Paris")).toBe(
      "2026-02-01T00:00:00.000+01:00",
    );
    expect(isoInZone(instant, "Africa/Abidjan")).toBe("2026-01-31T13:05:09.123+00:00");
  });

  it("names a zone that does not exist and what to use instead", () => {
    expect(parseTimeZone("europe/paris")).toBe("Europe/Paris");
    expect(() => parseTimeZone("Mars/Olympus")).toThrow(TimeZoneError);
    expect(() => parseTimeZone("Mars/Olympus")).toThrow(/IANA name such as UTC/);
  });
});
