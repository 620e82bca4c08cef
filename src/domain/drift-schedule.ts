// When a drift schedule fires: its cron (or hourly|daily|weekly), read in its window's time zone, and the window it waits for.
import { Cron } from "croner";

export const driftShorthands = ["hourly", "daily", "weekly"] as const;
export type DriftShorthand = (typeof driftShorthands)[number];

/** A window of the day (local to `time_zone`) in which drift runs; `end` before `start` wraps midnight. */
export interface DriftWindow {
  start: string;
  end: string;
  time_zone: string;
}

export interface DriftScheduleTiming {
  cron: string;
  window?: DriftWindow | undefined;
}

/**
 * A firing is looked for this far back: a firing missed while no worker ran (or a window that opens
 * hours after the cron time) still runs once; anything older is skipped.
 */
export const driftLookbackMs = 25 * 60 * 60 * 1000;

/** Why a cron text cannot be used, or undefined when it can. */
export function cronProblem(text: string): string | undefined {
  if ((driftShorthands as readonly string[]).includes(text)) return undefined;
  if (!/^\S+(\s+\S+){4}$/.test(text.trim())) {
    return 'expected a 5-field cron expression such as "0 3 * * *", or hourly, daily or weekly';
  }
  try {
    new Cron(text, { paused: true, mode: "5-part" });
    return undefined;
  } catch (error) {
    const reason = (error as Error).message.replace(/^CronPattern: /, "");
    return `not a valid cron expression: ${reason}`;
  }
}

/** Whether `name` is a time zone this runtime knows (IANA names such as Europe/Berlin, or UTC). */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** A small stable hash (FNV-1a), so a shorthand's minute and hour are spread over repositories and schedules. */
function spread(seed: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < seed.length; index++) {
    hash ^= seed.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * The 5-field cron a schedule runs on. `hourly`, `daily` and `weekly` pick a minute (and hour, and
 * weekday) from `seed` (the repository and schedule), so a thousand repositories do not all plan at 00:00.
 */
export function effectiveCron(cron: string, seed: string): string {
  const hash = spread(seed);
  const minute = hash % 60;
  const hour = Math.floor(hash / 60) % 24;
  const weekday = Math.floor(hash / 1440) % 7;
  switch (cron as DriftShorthand) {
    case "hourly":
      return `${minute} * * * *`;
    case "daily":
      return `${minute} ${hour} * * *`;
    case "weekly":
      return `${minute} ${hour} * * ${weekday}`;
    default:
      return cron;
  }
}

/** Minutes since local midnight of `at` in `timeZone`. */
function localMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone,
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const value = (type: string) => Number(parts.find((part) => part.type === type)?.value ?? 0);
  return value("hour") * 60 + value("minute");
}

function minutesOf(time: string): number {
  const [hours, minutes] = time.split(":").map(Number) as [number, number];
  return hours * 60 + minutes;
}

/** Whether `at` falls inside the window (start included, end excluded). */
export function insideWindow(at: Date, window: DriftWindow): boolean {
  const now = localMinutes(at, window.time_zone);
  const start = minutesOf(window.start);
  const end = minutesOf(window.end);
  return start <= end ? now >= start && now < end : now >= start || now < end;
}

/**
 * The firing a schedule owes at `now`: its latest cron time at or before `now` (within the lookback),
 * provided `now` is inside its window. A cron time outside the window waits for the window to open;
 * several waiting cron times become one firing (the latest). The slot (that cron time) names the
 * firing, so whoever records it first runs it and everyone else sees it taken.
 */
export function dueSlot(timing: DriftScheduleTiming, seed: string, now: Date): Date | null {
  if (timing.window && !insideWindow(now, timing.window)) return null;
  const cron = new Cron(effectiveCron(timing.cron, seed), {
    paused: true,
    mode: "5-part",
    timezone: timing.window?.time_zone ?? "UTC",
  });
  const [latest] = cron.previousRuns(1, new Date(now.getTime() + 1));
  if (!latest || now.getTime() - latest.getTime() > driftLookbackMs) return null;
  return latest;
}
