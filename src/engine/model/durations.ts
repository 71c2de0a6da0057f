import { ConfigError } from "../../core/errors.js";

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, "μs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's `time.ParseDuration` (`1h30m`, `20s`, `500ms`, `0`), in milliseconds; throws on anything else. */
export function parseGoDuration(input: string, field = "duration"): number {
  const s = input.trim();
  if (s === "0" || s === "+0" || s === "-0") return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let pos = 0;
  let sign = 1;
  if (s[0] === "-" || s[0] === "+") {
    sign = s[0] === "-" ? -1 : 1;
    pos = 1;
  }
  if (pos >= s.length) throw new ConfigError(`invalid ${field} "${input}"`);
  let total = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new ConfigError(`invalid ${field} "${input}": expected a number of seconds or a duration like 30s, 5m, 1h`);
    total += Number(m[1]) * UNIT_MS[m[2]];
    pos = re.lastIndex;
  }
  return sign * total;
}

/**
 * Argo's parseStringToDuration: a bare integer means seconds, anything else is a Go duration.
 * Returns milliseconds. `tiphys lint` and the engine both read durations through here.
 */
export function parseDuration(input: string | number, field = "duration"): number {
  if (typeof input === "number") return input * 1000;
  const s = input.trim();
  if (/^[+-]?\d+$/.test(s)) return Number(s) * 1000;
  return parseGoDuration(s, field);
}
