/**
 * Error classes decide what happens next (see ARCHITECTURE.md):
 * ConfigError: the user must fix the input; no retry.
 * TransientError: retry with backoff. WaitingError: retry after a delay.
 * ExternalError: a system we depend on failed; retry, and say so.
 */

/** Where in a user's file something is. Lines and columns are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export interface ConfigProblem {
  message: string;
  /** Dotted/indexed path of the field, e.g. `spec.templates[2].dag.tasks[0].depends`. */
  field?: string;
  pos?: SourcePos;
  severity: "error" | "warning";
}

export function formatPos(pos: SourcePos | undefined): string {
  return pos ? `${pos.file}:${pos.line}:${pos.column}` : "";
}

export function formatProblem(p: ConfigProblem): string {
  const where = formatPos(p.pos);
  const field = p.field ? ` (${p.field})` : "";
  return `${where ? where + ": " : ""}${p.severity}: ${p.message}${field}`;
}

export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    message: string,
    readonly problems: ConfigProblem[] = [],
  ) {
    super(message);
  }
  /** The message with every problem on its own line, each starting with file:line:column. */
  describe(): string {
    if (this.problems.length === 0) return this.message;
    return [this.message, ...this.problems.map((p) => "  " + formatProblem(p))].join("\n");
  }
}

export class TransientError extends Error {
  override name = "TransientError";
}

export class WaitingError extends Error {
  override name = "WaitingError";
  constructor(
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

export class ExternalError extends Error {
  override name = "ExternalError";
  /** The HTTP status the system answered with, when there was one. */
  readonly status?: number;
  /** When the system said when to try again (Retry-After, rate-limit reset). */
  readonly retryAfterMs?: number;
  constructor(
    message: string,
    readonly system: string,
    options?: { cause?: unknown; status?: number; retryAfterMs?: number },
  ) {
    super(message, options);
    this.status = options?.status;
    this.retryAfterMs = options?.retryAfterMs;
  }
}
