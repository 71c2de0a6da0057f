// Container logs, written by the (simulated) kubelet and read through `pods/<name>/log`.
// Lines are kept with the time they were written; followers get new lines until the container's log
// is closed (the container terminated) or the pod goes away.

export interface LogLine {
  time: number;
  text: string;
}

export interface ReadLogOptions {
  tailLines?: number;
  timestamps?: boolean;
  sinceSeconds?: number;
  sinceTime?: string;
  limitBytes?: number;
  previous?: boolean;
}

interface ContainerLog {
  lines: LogLine[];
  partial: string;
  closed: boolean;
  previous?: LogLine[];
  followers: Set<Follower>;
}

interface Follower {
  line(l: LogLine): void;
  end(): void;
}

/** `2026-01-02T03:04:05.123000000Z`, the RFC 3339 nano form the kubelet prefixes lines with. */
export function nanoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

export function formatLine(l: LogLine, timestamps: boolean | undefined): string {
  return `${timestamps ? nanoTimestamp(l.time) + " " : ""}${l.text}\n`;
}

export class LogStore {
  private readonly logs = new Map<string, ContainerLog>();

  constructor(private readonly now: () => number) {}

  private entry(ns: string, pod: string, container: string, create: boolean): ContainerLog | undefined {
    const key = `${ns}/${pod}/${container}`;
    let log = this.logs.get(key);
    if (!log && create) this.logs.set(key, (log = { lines: [], partial: "", closed: false, followers: new Set() }));
    return log;
  }

  has(ns: string, pod: string, container: string): boolean {
    return this.logs.has(`${ns}/${pod}/${container}`);
  }

  /** Appends output; complete lines become visible at once, a trailing partial line when completed or closed. */
  append(ns: string, pod: string, container: string, text: string): void {
    const log = this.entry(ns, pod, container, true) as ContainerLog;
    log.closed = false;
    const parts = (log.partial + text).split("\n");
    log.partial = parts.pop() ?? "";
    for (const p of parts) this.push(log, p);
  }

  private push(log: ContainerLog, text: string): void {
    const line = { time: this.now(), text };
    log.lines.push(line);
    for (const f of log.followers) f.line(line);
  }

  /** The container terminated: flush a partial line and end followers. */
  close(ns: string, pod: string, container: string): void {
    const log = this.entry(ns, pod, container, true) as ContainerLog;
    if (log.partial) this.push(log, log.partial);
    log.partial = "";
    log.closed = true;
    for (const f of log.followers) f.end();
    log.followers.clear();
  }

  /** The container restarted: the current log becomes `previous`, and a new one starts. */
  restart(ns: string, pod: string, container: string): void {
    const log = this.entry(ns, pod, container, true) as ContainerLog;
    if (log.partial) this.push(log, log.partial);
    log.previous = log.lines;
    log.lines = [];
    log.partial = "";
    log.closed = false;
  }

  isClosed(ns: string, pod: string, container: string): boolean {
    return this.entry(ns, pod, container, false)?.closed ?? false;
  }

  hasPrevious(ns: string, pod: string, container: string): boolean {
    return this.entry(ns, pod, container, false)?.previous !== undefined;
  }

  lines(ns: string, pod: string, container: string, opts: ReadLogOptions = {}): LogLine[] {
    const log = this.entry(ns, pod, container, false);
    let lines = (opts.previous ? log?.previous : log?.lines) ?? [];
    const since = opts.sinceTime ? Date.parse(opts.sinceTime) : opts.sinceSeconds !== undefined ? this.now() - opts.sinceSeconds * 1000 : undefined;
    if (since !== undefined) lines = lines.filter((l) => l.time >= since);
    if (opts.tailLines !== undefined && opts.tailLines >= 0) lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
    return lines;
  }

  /** The log as text, with the options of `pods/log`. */
  read(ns: string, pod: string, container: string, opts: ReadLogOptions = {}): string {
    const text = this.lines(ns, pod, container, opts).map((l) => formatLine(l, opts.timestamps)).join("");
    return opts.limitBytes !== undefined ? Buffer.from(text).subarray(0, opts.limitBytes).toString() : text;
  }

  /** Calls `onLine` with each new line until the log closes; returns a stop function. */
  follow(ns: string, pod: string, container: string, onLine: (line: LogLine) => void, onEnd: () => void): () => void {
    const log = this.entry(ns, pod, container, true) as ContainerLog;
    if (log.closed) {
      onEnd();
      return () => {};
    }
    const f: Follower = { line: onLine, end: onEnd };
    log.followers.add(f);
    return () => log.followers.delete(f);
  }

  /** The pod is gone: end its followers and forget its logs. */
  deletePod(ns: string, pod: string): void {
    for (const [key, log] of this.logs) {
      if (!key.startsWith(`${ns}/${pod}/`)) continue;
      for (const f of log.followers) f.end();
      this.logs.delete(key);
    }
  }
}
