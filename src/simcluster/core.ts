// The state every part of the simulated server shares: the store, the resource registry, logs,
// the clock and the random source (seeded, so names and faults repeat), address allocation.
import { randomUUID } from "node:crypto";
import type { DefaultingContext } from "./defaults.js";
import type { SchemaContext } from "./list-keys.js";
import { LogStore } from "./logs.js";
import { seededRandom } from "./objects.js";
import { ResourceRegistry } from "./resources.js";
import { ObjectStore } from "./store.js";
import type { ResourceType } from "./types.js";

export interface CoreOptions {
  /** Events kept per resource to resume watches from (older resourceVersions get 410). Default 10000. */
  historySize?: number;
  /** Seed of the random source used for generated names (and, in the server, faults). */
  seed?: number;
  /** Clock (ms since epoch); tests may pass their own. */
  now?: () => number;
}

export class ClusterCore {
  readonly store: ObjectStore;
  readonly registry = new ResourceRegistry();
  readonly logs: LogStore;
  readonly now: () => number;
  readonly random: () => number;
  /** Asks the garbage collector for a pass soon (set by the collector when it is created). */
  scheduleGc: () => void = () => {};
  private nextIp = 10;
  private nextNodePort = 30000;

  constructor(opts: CoreOptions = {}) {
    this.store = new ObjectStore(opts.historySize ?? 10_000);
    this.now = opts.now ?? Date.now;
    this.random = opts.seed !== undefined ? seededRandom(opts.seed) : Math.random;
    this.logs = new LogStore(this.now);
  }

  uid(): string {
    return randomUUID();
  }

  schemaContext(rt: ResourceType): SchemaContext {
    return { builtin: !rt.crd, schema: rt.crd?.schema };
  }

  readonly defaulting: DefaultingContext = {
    allocateClusterIp: () => {
      const n = this.nextIp++;
      return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
    },
    allocateNodePort: () => this.nextNodePort++,
  };
}
