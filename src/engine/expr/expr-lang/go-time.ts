// Go's time.Duration and reference-time layouts ("2006-01-02T15:04:05Z07:00"), as far as expr-lang
// and sprig expose them. Times are JS Dates and always rendered in UTC (Argo's controller runs in UTC).

/** A Go time.Duration, in nanoseconds. */
export class GoDuration {
  constructor(readonly ns: number) {}

  toString(): string {
    return formatGoDuration(this.ns);
  }
}

const UNIT_NS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, "μs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

export function parseGoDuration(text: string): GoDuration {
  const invalid = (): Error => new Error(`time: invalid duration ${JSON.stringify(text)}`);
  let s = text;
  let sign = 1;
  if (s.startsWith("-") || s.startsWith("+")) {
    sign = s[0] === "-" ? -1 : 1;
    s = s.slice(1);
  }
  if (s === "0") return new GoDuration(0);
  if (s === "") throw invalid();
  let total = 0;
  const part = /^([0-9]*(?:\.[0-9]*)?)([^0-9.]+)/;
  while (s !== "") {
    const m = part.exec(s);
    if (!m || m[1] === "" || m[1] === ".") throw invalid();
    const unit = UNIT_NS[m[2]];
    if (unit === undefined) throw new Error(`time: unknown unit ${JSON.stringify(m[2])} in duration ${JSON.stringify(text)}`);
    total += Number(m[1]) * unit;
    s = s.slice(m[0].length);
  }
  return new GoDuration(sign * Math.round(total));
}

function trimFraction(value: number, digits: number): string {
  return value.toFixed(digits).replace(/\.?0+$/, "");
}

export function formatGoDuration(ns: number): string {
  if (ns === 0) return "0s";
  const sign = ns < 0 ? "-" : "";
  let u = Math.abs(ns);
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${trimFraction(u / 1e3, 3)}µs`;
  if (u < 1e9) return `${sign}${trimFraction(u / 1e6, 6)}ms`;
  let out = "";
  const hours = Math.floor(u / 3600e9);
  u -= hours * 3600e9;
  const minutes = Math.floor(u / 60e9);
  u -= minutes * 60e9;
  if (hours > 0) out += `${hours}h`;
  if (hours > 0 || minutes > 0) out += `${minutes}m`;
  return `${sign}${out}${trimFraction(u / 1e9, 9)}s`;
}

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

// Longest first, so that "2006" wins over "2" and "Z07:00" over "Z07".
const LAYOUT_TOKENS = [
  "January", "Monday", "Z07:00:00", "-07:00:00", "Z070000", "-070000", "Z07:00", "-07:00", "Z0700", "-0700",
  "2006", "Jan", "Mon", "MST", "002", "Z07", "-07", "_2", "01", "02", "03", "04", "05", "06", "15", "PM", "pm",
  "1", "2", "3", "4", "5",
];

type Chunk = { literal: string } | { token: string } | { fraction: string };

function layoutChunks(layout: string): Chunk[] {
  const chunks: Chunk[] = [];
  let i = 0;
  while (i < layout.length) {
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    if (frac) {
      chunks.push({ fraction: frac[0] });
      i += frac[0].length;
      continue;
    }
    const token = LAYOUT_TOKENS.find((t) => layout.startsWith(t, i));
    if (token !== undefined) {
      chunks.push({ token });
      i += token.length;
    } else {
      chunks.push({ literal: layout[i] });
      i++;
    }
  }
  return chunks;
}

const pad = (n: number, width: number, fill = "0"): string => String(n).padStart(width, fill);

export function formatGoTime(date: Date, layout: string): string {
  const hour = date.getUTCHours();
  const parts = layoutChunks(layout).map((c) => {
    if ("literal" in c) return c.literal;
    if ("fraction" in c) {
      const ms = pad(date.getUTCMilliseconds(), 3) + "000000";
      const digits = c.fraction.length - 1;
      if (c.fraction[1] === "0") return c.fraction[0] + ms.slice(0, digits);
      const trimmed = ms.slice(0, digits).replace(/0+$/, "");
      return trimmed === "" ? "" : c.fraction[0] + trimmed;
    }
    switch (c.token) {
      case "2006": return pad(date.getUTCFullYear(), 4);
      case "06": return pad(date.getUTCFullYear() % 100, 2);
      case "January": return MONTHS[date.getUTCMonth()];
      case "Jan": return MONTHS[date.getUTCMonth()].slice(0, 3);
      case "01": return pad(date.getUTCMonth() + 1, 2);
      case "1": return String(date.getUTCMonth() + 1);
      case "Monday": return DAYS[date.getUTCDay()];
      case "Mon": return DAYS[date.getUTCDay()].slice(0, 3);
      case "02": return pad(date.getUTCDate(), 2);
      case "_2": return pad(date.getUTCDate(), 2, " ");
      case "2": return String(date.getUTCDate());
      case "002": return pad(Math.floor((date.getTime() - Date.UTC(date.getUTCFullYear(), 0, 1)) / 864e5) + 1, 3);
      case "15": return pad(hour, 2);
      case "03": return pad(hour % 12 === 0 ? 12 : hour % 12, 2);
      case "3": return String(hour % 12 === 0 ? 12 : hour % 12);
      case "04": return pad(date.getUTCMinutes(), 2);
      case "4": return String(date.getUTCMinutes());
      case "05": return pad(date.getUTCSeconds(), 2);
      case "5": return String(date.getUTCSeconds());
      case "PM": return hour >= 12 ? "PM" : "AM";
      case "pm": return hour >= 12 ? "pm" : "am";
      case "MST": return "UTC";
      default: return c.token.startsWith("Z") ? "Z" : "+" + c.token.slice(1).replace(/[0-9]/g, "0");
    }
  });
  return parts.join("");
}

const TOKEN_PATTERNS: Record<string, string> = {
  "2006": "(\\d{4})", "06": "(\\d{2})", January: `(${MONTHS.join("|")})`, Jan: `(${MONTHS.map((m) => m.slice(0, 3)).join("|")})`,
  "01": "(\\d{2})", "1": "(\\d{1,2})", Monday: `(${DAYS.join("|")})`, Mon: `(${DAYS.map((d) => d.slice(0, 3)).join("|")})`,
  "02": "(\\d{2})", _2: " ?(\\d{1,2})", "2": "(\\d{1,2})", "002": "(\\d{3})", "15": "(\\d{2})", "03": "(\\d{2})", "3": "(\\d{1,2})",
  "04": "(\\d{2})", "4": "(\\d{1,2})", "05": "(\\d{2})", "5": "(\\d{1,2})", PM: "(AM|PM)", pm: "(am|pm)", MST: "([A-Z]{3,5})",
};

const compiledLayouts = new Map<string, { re: RegExp; names: string[] }>();

function compileLayout(layout: string): { re: RegExp; names: string[] } {
  const hit = compiledLayouts.get(layout);
  if (hit) return hit;
  const names: string[] = [];
  const pattern = layoutChunks(layout).map((c) => {
    if ("literal" in c) return c.literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    if ("fraction" in c) {
      names.push("fraction");
      return c.fraction[1] === "9" ? "(?:[.,](\\d+))?" : `[.,](\\d{${c.fraction.length - 1}})`;
    }
    names.push(c.token);
    if (/^[-Z]07/.test(c.token)) return `(${c.token.startsWith("Z") ? "Z|" : ""}[-+]\\d{2}(?::?\\d{2}){0,2})`;
    return TOKEN_PATTERNS[c.token];
  });
  const compiled = { re: new RegExp(`^${pattern.join("")}$`), names };
  if (compiledLayouts.size > 100) compiledLayouts.clear();
  compiledLayouts.set(layout, compiled);
  return compiled;
}

/** Parses `text` with a Go layout; zones given as offsets are honoured, zone abbreviations are taken as UTC. */
export function parseGoTime(text: string, layout: string): Date {
  const { re, names } = compileLayout(layout);
  const m = re.exec(text);
  if (!m) throw new Error(`parsing time ${JSON.stringify(text)} as ${JSON.stringify(layout)}: cannot parse`);
  let year = 1, month = 0, day = 1, hour = 0, minute = 0, second = 0, ms = 0, offsetMin = 0, pm: boolean | undefined;
  names.forEach((name, k) => {
    const v = m[k + 1];
    if (v === undefined) return;
    const num = Number(v);
    switch (name) {
      case "2006": year = num; break;
      case "06": year = num >= 69 ? 1900 + num : 2000 + num; break;
      case "January": case "Jan": month = MONTHS.findIndex((mm) => mm.startsWith(v)); break;
      case "01": case "1": month = num - 1; break;
      case "02": case "_2": case "2": day = num; break;
      case "15": hour = num; break;
      case "03": case "3": hour = num % 12; break;
      case "04": case "4": minute = num; break;
      case "05": case "5": second = num; break;
      case "PM": case "pm": pm = v.toUpperCase() === "PM"; break;
      case "fraction": ms = Math.round(Number(`0.${v}`) * 1000); break;
      case "MST": case "002": case "Monday": case "Mon": break;
      default:
        if (v !== "Z") {
          const digits = v.replace(/[-+:]/g, "");
          offsetMin = (v[0] === "-" ? -1 : 1) * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || "0"));
        }
    }
  });
  if (pm) hour += 12;
  const date = new Date(0);
  date.setUTCFullYear(year, month, day);
  date.setUTCHours(hour, minute, second, ms);
  return new Date(date.getTime() - offsetMin * 60000);
}
