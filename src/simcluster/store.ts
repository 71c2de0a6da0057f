// Where objects live (deep-frozen: readers share them, writers store new versions): one map per resource, one global resourceVersion counter, a bounded history
// of events per resource (to resume watches), owner and uid indexes, and watch fan-out.
import { deepFreeze } from "./objects.js";
import { matchesFields, matchesRequirements, type FieldRequirement, type LabelRequirement } from "./selectors.js";
import { errors } from "./status.js";
import type { KubeObject, WatchEventType } from "./types.js";

export interface StoreEvent {
  type: WatchEventType;
  /** Storage key of the resource (`apps/deployments`). */
  key: string;
  rv: number;
  object: KubeObject;
  /** The object before this change (MODIFIED, DELETED). */
  old?: KubeObject;
}

export interface WatchFilter {
  namespace?: string;
  labels?: LabelRequirement[];
  fields?: FieldRequirement[];
}

/** What a watcher receives: the event as this watcher sees it (a change of selector match is ADDED/DELETED). */
export interface WatchDelivery {
  type: WatchEventType;
  object: KubeObject;
  rv: number;
  key: string;
}

interface Watcher {
  key: string | "*";
  filter: WatchFilter;
  listener: (d: WatchDelivery) => void;
}

class History {
  private events: StoreEvent[] = [];
  private head = 0;
  /** resourceVersion of the newest event dropped from the history (0: none dropped). */
  compacted = 0;
  constructor(private readonly capacity: number) {}
  push(e: StoreEvent): void {
    this.events.push(e);
    if (this.events.length - this.head > this.capacity) {
      this.compacted = this.events[this.head].rv;
      this.head++;
      if (this.head > this.capacity) {
        this.events = this.events.slice(this.head);
        this.head = 0;
      }
    }
  }
  since(rv: number): StoreEvent[] {
    const out: StoreEvent[] = [];
    for (let i = this.head; i < this.events.length; i++) if (this.events[i].rv > rv) out.push(this.events[i]);
    return out;
  }
}

const idOf = (o: KubeObject) => (o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : `${o.metadata.name}`);

export function matchesFilter(o: KubeObject, f: WatchFilter): boolean {
  if (f.namespace && o.metadata.namespace !== f.namespace) return false;
  if (f.labels && !matchesRequirements(f.labels, o.metadata.labels)) return false;
  return !f.fields || matchesFields(f.fields, o);
}

/** How an event looks to a watcher with a filter, or undefined when the watcher does not see it. */
export function viewEvent(e: StoreEvent, f: WatchFilter): WatchDelivery | undefined {
  const now = e.type !== "DELETED" && matchesFilter(e.object, f);
  const before = e.old !== undefined && matchesFilter(e.old, f);
  const d = (type: WatchEventType): WatchDelivery => ({ type, object: e.object, rv: e.rv, key: e.key });
  if (e.type === "ADDED") return now ? d("ADDED") : undefined;
  if (e.type === "DELETED") return before || matchesFilter(e.object, f) ? d("DELETED") : undefined;
  if (now && before) return d("MODIFIED");
  if (now) return d("ADDED");
  return before ? d("DELETED") : undefined;
}

export class ObjectStore {
  private rv = 0;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly uids = new Map<string, { key: string; id: string }>();
  private readonly owners = new Map<string, Set<string>>();
  /** Uids of objects with deletionTimestamp set: what the garbage collector looks at. */
  private readonly deletingUids = new Set<string>();
  private readonly histories = new Map<string, History>();
  private readonly watchers = new Set<Watcher>();

  constructor(private readonly historySize: number) {}

  get resourceVersion(): number {
    return this.rv;
  }

  get(key: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.objects.get(key)?.get(namespace ? `${namespace}/${name}` : name);
  }

  /** Objects of a resource (in one namespace, or all), ordered by namespace and name as the server lists them. */
  list(key: string, namespace?: string): KubeObject[] {
    const entries = [...(this.objects.get(key)?.entries() ?? [])];
    const some = namespace ? entries.filter(([, o]) => o.metadata.namespace === namespace) : entries;
    return some.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, o]) => o);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  byUid(uid: string): { key: string; object: KubeObject } | undefined {
    const at = this.uids.get(uid);
    const object = at && this.objects.get(at.key)?.get(at.id);
    return at && object ? { key: at.key, object } : undefined;
  }

  /** Objects being deleted (deletionTimestamp set). */
  deleting(): { key: string; object: KubeObject }[] {
    return [...this.deletingUids].flatMap((uid) => {
      const found = this.byUid(uid);
      return found ? [found] : [];
    });
  }

  /** Owner uids that dependents still name but that no stored object has. */
  missingOwners(): string[] {
    return [...this.owners].filter(([uid, deps]) => deps.size > 0 && !this.uids.has(uid)).map(([uid]) => uid);
  }

  /** Objects whose ownerReferences name this uid. */
  dependentsOf(uid: string): { key: string; object: KubeObject }[] {
    return [...(this.owners.get(uid) ?? [])].flatMap((d) => {
      const found = this.byUid(d);
      return found ? [found] : [];
    });
  }

  /** Stores a new version (the caller has set everything but resourceVersion) and notifies watchers. */
  put(key: string, object: KubeObject): KubeObject {
    const id = idOf(object);
    let map = this.objects.get(key);
    if (!map) this.objects.set(key, (map = new Map()));
    const old = map.get(id);
    const rv = ++this.rv;
    object.metadata.resourceVersion = String(rv);
    deepFreeze(object);
    map.set(id, object);
    const uid = object.metadata.uid ?? "";
    this.uids.set(uid, { key, id });
    if (object.metadata.deletionTimestamp) this.deletingUids.add(uid);
    else this.deletingUids.delete(uid);
    this.indexOwners(uid, old, object);
    this.emit({ type: old ? "MODIFIED" : "ADDED", key, rv, object, old });
    return object;
  }

  /** Removes an object; the DELETED event carries its last state with a new resourceVersion. */
  remove(key: string, object: KubeObject): KubeObject {
    const id = idOf(object);
    const old = this.objects.get(key)?.get(id);
    if (!old) return object;
    this.objects.get(key)?.delete(id);
    const uid = old.metadata.uid ?? "";
    this.uids.delete(uid);
    this.deletingUids.delete(uid);
    this.indexOwners(uid, old, undefined);
    const rv = ++this.rv;
    const final: KubeObject = deepFreeze({ ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } });
    this.emit({ type: "DELETED", key, rv, object: final, old });
    return final;
  }

  private indexOwners(uid: string, before: KubeObject | undefined, after: KubeObject | undefined): void {
    for (const ref of before?.metadata.ownerReferences ?? []) this.owners.get(ref.uid)?.delete(uid);
    for (const ref of after?.metadata.ownerReferences ?? []) {
      let set = this.owners.get(ref.uid);
      if (!set) this.owners.set(ref.uid, (set = new Set()));
      set.add(uid);
    }
  }

  private emit(e: StoreEvent): void {
    let h = this.histories.get(e.key);
    if (!h) this.histories.set(e.key, (h = new History(this.historySize)));
    h.push(e);
    for (const w of [...this.watchers]) {
      if (w.key !== "*" && w.key !== e.key) continue;
      const d = viewEvent(e, w.filter);
      if (d) w.listener(d);
    }
  }

  /**
   * Watches a resource (or every resource: "*"). With `fromRv`, replays the kept events after it first;
   * throws 410 Expired when events after it were already dropped. Returns a function that stops it.
   */
  watch(key: string | "*", filter: WatchFilter, fromRv: number | undefined, listener: (d: WatchDelivery) => void): () => void {
    const replay: WatchDelivery[] = [];
    if (fromRv !== undefined && key !== "*") {
      const h = this.histories.get(key);
      if (h && fromRv < h.compacted) throw errors.expired(`too old resource version: ${fromRv} (${h.compacted})`);
      for (const e of h?.since(fromRv) ?? []) {
        const d = viewEvent(e, filter);
        if (d) replay.push(d);
      }
    }
    const w: Watcher = { key, filter, listener };
    this.watchers.add(w);
    for (const d of replay) listener(d);
    return () => this.watchers.delete(w);
  }
}
