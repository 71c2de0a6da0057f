// Helpers for reading a user's Sensor: each problem carries the file and the path of the field.
import { didYouMean } from "../engine/validate/suggest.js";
import type { TriggerProblem } from "./sensor-types.js";

export type Path = ReadonlyArray<string | number>;

/** `spec.triggers[0].template.http`, as the engine's validator writes paths. */
export function formatPath(path: Path): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

export class Checker {
  readonly problems: TriggerProblem[] = [];
  constructor(readonly file: string) {}

  error(path: Path, message: string): void {
    this.problems.push({ file: this.file, path: formatPath(path), message, severity: "error" });
  }

  warn(path: Path, message: string): void {
    this.problems.push({ file: this.file, path: formatPath(path), message, severity: "warning" });
  }

  get hasErrors(): boolean {
    return this.problems.some((p) => p.severity === "error");
  }

  /**
   * Reports keys of `obj` outside `known`: those in `unsupported` with its message (an error, or a
   * warning when the message starts with "ignored"), any other as an unknown field with a suggestion.
   */
  keys(obj: Record<string, unknown>, path: Path, known: readonly string[], unsupported: Record<string, string> = {}): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const why = unsupported[key];
      if (why === undefined) this.error([...path, key], `unknown field "${key}"${didYouMean(key, [...known, ...Object.keys(unsupported)])}`);
      else if (why.startsWith("ignored")) this.warn([...path, key], `${key} is ${why}`);
      else this.error([...path, key], `${key} ${why}`);
    }
  }

  /** An object at `path`, or undefined (with an error when `required` or when it has another type). */
  object(value: unknown, path: Path, required: boolean): Record<string, unknown> | undefined {
    if (value === undefined || value === null) {
      if (required) this.error(path, "missing (must be a mapping)");
      return undefined;
    }
    if (typeof value !== "object" || Array.isArray(value)) {
      this.error(path, "must be a mapping");
      return undefined;
    }
    return value as Record<string, unknown>;
  }

  list(value: unknown, path: Path, required: boolean): unknown[] | undefined {
    if (value === undefined || value === null) {
      if (required) this.error(path, "missing (must be a list)");
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.error(path, "must be a list");
      return undefined;
    }
    return value;
  }

  string(value: unknown, path: Path, required: boolean): string | undefined {
    if (value === undefined || value === null || value === "") {
      if (required) this.error(path, "missing (must be a non-empty string)");
      return undefined;
    }
    if (typeof value !== "string") {
      this.error(path, "must be a string");
      return undefined;
    }
    return value;
  }

  /** One of `allowed`; absent or "" gives `fallback`. */
  oneOf<T extends string>(value: unknown, path: Path, allowed: readonly T[], fallback: T): T {
    if (value === undefined || value === null || value === "") return fallback;
    if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
    this.error(path, `must be one of ${allowed.join(", ")}, not ${JSON.stringify(value)}`);
    return fallback;
  }
}
