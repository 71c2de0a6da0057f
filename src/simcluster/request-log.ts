// What reached the simulated server, for tests and benchmarks that count requests.

export interface RequestRecord {
  at: number;
  method: string;
  /** Path without the query string. */
  path: string;
  query: string;
  /** get, list, watch, create, update, patch, delete, deletecollection, or "discovery"/"other". */
  verb: string;
  /** `pods`, `deployments.apps`, ... for resource requests. */
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  /** Who sent it, from the bearer token. */
  user?: string;
  userAgent?: string;
  /** Response status code (for watches and followed logs: the status the stream started with). */
  code: number;
}

export type RequestFilter = Partial<Pick<RequestRecord, "verb" | "resource" | "namespace" | "method" | "subresource" | "user">>;

export class RequestLog {
  private records: RequestRecord[] = [];

  constructor(private readonly max = 100_000) {}

  add(r: RequestRecord): void {
    this.records.push(r);
    if (this.records.length > this.max) this.records.splice(0, this.records.length - this.max);
  }

  list(filter: RequestFilter = {}): RequestRecord[] {
    const entries = Object.entries(filter).filter(([, v]) => v !== undefined) as [keyof RequestRecord, unknown][];
    return this.records.filter((r) => entries.every(([k, v]) => r[k] === v));
  }

  count(filter: RequestFilter = {}): number {
    return this.list(filter).length;
  }

  reset(): void {
    this.records = [];
  }
}
