import { parseDuration, parseGoDuration } from "../model/durations.js";

/** Checks of single values: durations, cron schedules, time zones, names. Each returns an error text or undefined. */

/** Go's `time.ParseDuration` syntax ("90s", "1h30m", "0"). */
export function checkGoDuration(text: string): string | undefined {
  try {
    parseGoDuration(text);
    return undefined;
  } catch {
    if (/^[-+]?(\d+(\.\d*)?|\.\d+)$/.test(text)) return `missing unit in duration "${text}"`;
    return `invalid duration "${text}": expected a Go duration such as "30s", "5m" or "1h30m"`;
  }
}

/** Argo's parseStringToDuration: a bare integer is seconds, anything else a Go duration. */
export function checkArgoDuration(text: string): string | undefined {
  try {
    parseDuration(text);
    return undefined;
  } catch {
    return `invalid duration "${text}": expected seconds ("30") or a Go duration ("30s", "5m", "1h30m")`;
  }
}

export function hasTag(text: string): boolean {
  return text.includes("{{");
}

interface CronField {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const CRON_FIELDS: readonly CronField[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12, names: MONTHS },
  { name: "day of week", min: 0, max: 6, names: DAYS },
];
const DESCRIPTORS = new Set(["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"]);

function cronNumber(text: string, field: CronField): number | string {
  const byName = field.names?.indexOf(text.toLowerCase()) ?? -1;
  if (byName >= 0) return byName + field.min;
  if (!/^\d+$/.test(text))
    return /^-\d+$/.test(text) ? `negative number (${text}) not allowed` : `failed to parse int from ${text}`;
  return Number(text);
}

function checkCronRange(expr: string, field: CronField): string | undefined {
  const rangeAndStep = expr.split("/");
  if (rangeAndStep.length > 2) return `too many slashes: ${expr}`;
  const lowAndHigh = rangeAndStep[0].split("-");
  if (lowAndHigh.length > 2) return `too many hyphens: ${expr}`;
  let start: number;
  let end: number;
  if (lowAndHigh[0] === "*" || lowAndHigh[0] === "?") {
    if (lowAndHigh.length > 1) return `failed to parse int from ${lowAndHigh[0]}`;
    start = field.min;
    end = field.max;
  } else {
    const s = cronNumber(lowAndHigh[0], field);
    if (typeof s === "string") return s;
    start = s;
    end = s;
    if (lowAndHigh.length === 2) {
      const e = cronNumber(lowAndHigh[1], field);
      if (typeof e === "string") return e;
      end = e;
    }
  }
  if (rangeAndStep.length === 2) {
    const step = cronNumber(rangeAndStep[1], { ...field, names: undefined });
    if (typeof step === "string") return step;
    if (step === 0) return "step of range should be a positive number";
    if (lowAndHigh.length === 1 && lowAndHigh[0] !== "*" && lowAndHigh[0] !== "?") end = field.max;
  }
  if (start < field.min) return `beginning of range (${start}) below minimum (${field.min}): ${expr}`;
  if (end > field.max) return `end of range (${end}) above maximum (${field.max}): ${expr}`;
  if (start > end) return `beginning of range (${start}) beyond end of range (${end}): ${expr}`;
  return undefined;
}

/** A schedule as robfig/cron's ParseStandard reads it: 5 fields, or a descriptor (`@daily`, `@every 1h`). */
export function checkCronSchedule(schedule: string): string | undefined {
  let spec = schedule.trim();
  const tz = /^(CRON_TZ|TZ)=(\S+)\s+/.exec(spec);
  if (tz) {
    const err = checkTimezone(tz[2]);
    if (err) return err;
    spec = spec.slice(tz[0].length);
  }
  if (spec === "") return "empty spec string";
  if (spec.startsWith("@")) {
    if (DESCRIPTORS.has(spec)) return undefined;
    if (spec.startsWith("@every ")) {
      const d = spec.slice("@every ".length).trim();
      const err = checkGoDuration(d);
      return err ? `failed to parse duration ${spec}: ${err}` : undefined;
    }
    return `unrecognized descriptor: ${spec}`;
  }
  const fields = spec.split(/\s+/);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]`;
  for (let i = 0; i < 5; i++) {
    for (const expr of fields[i].split(",")) {
      const err = checkCronRange(expr, CRON_FIELDS[i]);
      if (err) return `${CRON_FIELDS[i].name}: ${err}`;
    }
  }
  return undefined;
}

/** An IANA time zone name, as Go's time.LoadLocation accepts it. */
export function checkTimezone(tz: string): string | undefined {
  if (tz === "" || tz === "UTC" || tz === "Local") return undefined;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return undefined;
  } catch {
    return `unknown time zone "${tz}": expected an IANA name such as "Europe/Paris" or "America/New_York"`;
  }
}

const WORKFLOW_FIELD_NAME = /^[a-zA-Z0-9][-a-zA-Z0-9]*$/;
const PARAM_NAME = /^[-a-zA-Z0-9_]+$/;

/** Argo's isValidWorkflowFieldName (template, step and task names). */
export function checkWorkflowFieldName(name: string): string | undefined {
  if (name.length > 128) return "must be no more than 128 characters";
  if (!WORKFLOW_FIELD_NAME.test(name)) {
    return "name must consist of alpha-numeric characters or '-', and must start with an alpha-numeric character (e.g. My-name1-2, 123-NAME)";
  }
  return undefined;
}

/** Argo's isValidParamOrArtifactName. */
export function checkParamName(name: string): string | undefined {
  return PARAM_NAME.test(name)
    ? undefined
    : "Parameter/Artifact name must consist of alpha-numeric characters, '_' or '-' e.g. my_param_1, MY-PARAM-1";
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A Kubernetes object name (RFC 1123 subdomain). */
export function checkObjectName(name: string): string | undefined {
  if (name.length > 253) return "must be no more than 253 characters";
  if (!DNS_SUBDOMAIN.test(name)) {
    return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

export function checkGenerateName(prefix: string): string | undefined {
  return /^[a-z0-9]([-a-z0-9.]*)?$/.test(prefix)
    ? undefined
    : "must consist of lower case alphanumeric characters, '-' or '.', and must start with an alphanumeric character";
}
