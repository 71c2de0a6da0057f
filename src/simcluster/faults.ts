// Faults the HTTP server injects on request, to test clients' retries: added latency, errors by
// verb (500), optimistic-concurrency conflicts (409), throttling (429 with Retry-After) and watch
// streams that drop. Draws come from a seeded generator, so a seed gives the same sequence of faults
// for the same sequence of requests.
import { seededRandom } from "./objects.js";
import { ApiError, errors, type ResourceName } from "./status.js";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

/** Probability (0..1) per verb; `"*"` applies to every verb without its own entry. */
export type VerbRates = Partial<Record<Verb | "*", number>>;

export interface FaultConfig {
  seed?: number;
  /** Added before every request is handled: a fixed delay or a uniform range. */
  latencyMs?: number | { min: number; max: number };
  /** 500 InternalError. */
  errorRate?: VerbRates;
  /** 409 Conflict ("the object has been modified"), for writes to a named object. */
  conflictRate?: VerbRates;
  /** 429 TooManyRequests with a Retry-After header. */
  tooManyRequests?: { rate: number; retryAfterSeconds?: number; verbs?: Verb[] };
  /** Close every watch stream after this many seconds (clients must re-watch from their last resourceVersion). */
  watchDisconnectSeconds?: number;
  /** Only requests for these resources (`pods`, `deployments.apps`) get faults; every resource when absent. */
  resources?: string[];
}

export interface FaultRequest {
  verb: Verb;
  resource?: ResourceName;
  name?: string;
}

export interface FaultDecision {
  delayMs: number;
  error?: ApiError;
  /** Seconds for the Retry-After header (429). */
  retryAfterSeconds?: number;
}

const rateFor = (rates: VerbRates | undefined, verb: Verb) => rates?.[verb] ?? rates?.["*"] ?? 0;

export class FaultInjector {
  private cfg: FaultConfig = {};
  private random: () => number = seededRandom(1);

  constructor(config: FaultConfig = {}) {
    this.set(config);
  }

  get config(): FaultConfig {
    return { ...this.cfg };
  }

  /** Replaces the whole configuration (and reseeds). */
  set(config: FaultConfig): void {
    this.cfg = { ...config };
    this.random = seededRandom(config.seed ?? 1);
  }

  /** Changes some settings, keeping the others (reseeds only when a seed is given). */
  update(partial: FaultConfig): void {
    this.cfg = { ...this.cfg, ...partial };
    if (partial.seed !== undefined) this.random = seededRandom(partial.seed);
  }

  clear(): void {
    this.set({});
  }

  get watchDisconnectMs(): number | undefined {
    const s = this.cfg.watchDisconnectSeconds;
    return s && s > 0 ? s * 1000 : undefined;
  }

  private applies(r: ResourceName | undefined): boolean {
    const only = this.cfg.resources;
    if (!only || only.length === 0) return true;
    if (!r) return false;
    return only.includes(r.plural) || only.includes(r.group ? `${r.plural}.${r.group}` : r.plural);
  }

  decide(req: FaultRequest): FaultDecision {
    const c = this.cfg;
    const out: FaultDecision = { delayMs: 0 };
    if (!this.applies(req.resource)) return out;
    if (typeof c.latencyMs === "number") out.delayMs = c.latencyMs;
    else if (c.latencyMs) out.delayMs = c.latencyMs.min + this.random() * (c.latencyMs.max - c.latencyMs.min);
    const t = c.tooManyRequests;
    if (t && (!t.verbs || t.verbs.includes(req.verb)) && t.rate > 0 && this.random() < t.rate) {
      out.retryAfterSeconds = t.retryAfterSeconds ?? 1;
      out.error = errors.tooManyRequests(out.retryAfterSeconds);
      return out;
    }
    const errorRate = rateFor(c.errorRate, req.verb);
    if (errorRate > 0 && this.random() < errorRate) {
      out.error = errors.internal(`simulated fault (${req.verb})`);
      return out;
    }
    const conflictRate = rateFor(c.conflictRate, req.verb);
    if (conflictRate > 0 && req.resource && req.name && this.random() < conflictRate) {
      out.error = errors.conflict(req.resource, req.name, "the object has been modified; please apply your changes to the latest version and try again");
    }
    return out;
  }
}
