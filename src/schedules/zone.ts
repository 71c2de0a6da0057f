// Wall-clock arithmetic in an IANA time zone, the way Go's `time` package does it, so the cron
// search in robfig-cron.ts behaves like Argo's (robfig/cron v3) across daylight-saving changes.
// Times are epoch milliseconds; zones are IANA names ("UTC" is the fast path).

/** The local calendar fields of an instant in a zone. Month is 1-12, weekday 0 (Sunday) to 6. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * Checks a time zone the way Go's time.LoadLocation would: "" and "UTC" are UTC, anything else must
 * be an IANA name, spelled with its exact case (the zoneinfo lookup is a file path). Returns an
 * error message, or undefined when the zone is known.
 */
export function checkZone(zone: string): string | undefined {
  if (zone === "" || zone === "UTC") return undefined;
  let resolved: string;
  try {
    resolved = formatter(zone).resolvedOptions().timeZone;
  } catch {
    return `unknown time zone "${zone}": expected an IANA name such as "Europe/Paris" or "America/New_York"`;
  }
  if (resolved !== zone && resolved.toLowerCase() === zone.toLowerCase()) {
    return `unknown time zone "${zone}": time zone names are case-sensitive, did you mean "${resolved}"?`;
  }
  return undefined;
}

/** The wall clock of `ms` in `zone` (whole seconds; milliseconds are dropped). */
export function wallClock(ms: number, zone: string): WallClock {
  if (zone === "UTC" || zone === "") return utcClock(ms);
  const parts = formatter(zone).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  const year = get("year");
  const month = get("month");
  const day = get("day");
  return {
    year,
    month,
    day,
    hour: get("hour"),
    minute: get("minute"),
    second: get("second"),
    weekday: new Date(Date.UTC(year, month - 1, day)).getUTCDay(),
  };
}

function utcClock(ms: number): WallClock {
  const d = new Date(ms);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

/** The zone's offset from UTC at instant `ms`, in milliseconds (New York in winter: -5 h). */
export function zoneOffset(ms: number, zone: string): number {
  if (zone === "UTC" || zone === "") return 0;
  const w = wallClock(ms, zone);
  const whole = Math.floor(ms / 1000) * 1000;
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - whole;
}

/**
 * Go's time.Date(y, mo, d, h, mi, s, 0, loc): out-of-range fields carry over (day 32 is the 1st of
 * the next month), and a wall time that does not exist (skipped by a DST change) or exists twice
 * is resolved as Go resolves it: the offset in force at the wall time read as UTC, corrected once
 * when the result falls outside that offset's period.
 */
export function zonedTime(zone: string, y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  if (zone === "UTC" || zone === "") return wall;
  const first = zoneOffset(wall, zone);
  const second = zoneOffset(wall - first, zone);
  return wall - second;
}
