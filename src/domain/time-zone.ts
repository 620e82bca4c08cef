// Time zones of listings (`tz`): IANA names checked once, instants written as ISO 8601 with that zone's offset.

export class TimeZoneError extends Error {
  override name = "TimeZoneError";
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      timeZoneName: "longOffset",
    });
    if (formatters.size > 200) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The zone's canonical name, or a TimeZoneError saying what was expected. */
export function parseTimeZone(name: string): string {
  try {
    return formatterFor(name).resolvedOptions().timeZone;
  } catch {
    throw new TimeZoneError(
      `${JSON.stringify(name)} is not a time zone: use an IANA name such as UTC, Europe/Paris or America/New_York`,
    );
  }
}

/** `2026-01-31T14:05:09.123+01:00`: the instant as the zone's wall-clock time and offset (`Z` for UTC itself). */
export function isoInZone(date: Date, timeZone: string): string {
  if (timeZone === "UTC") return date.toISOString();
  const parts = Object.fromEntries(
    formatterFor(timeZone)
      .formatToParts(date)
      .map((part) => [part.type, part.value]),
  );
  const offset = (parts["timeZoneName"] ?? "GMT").replace("GMT", "") || "+00:00";
  const millis = String(date.getUTCMilliseconds()).padStart(3, "0");
  return `${parts["year"]}-${parts["month"]}-${parts["day"]}T${parts["hour"]}:${parts["minute"]}:${parts["second"]}.${millis}${offset}`;
}
