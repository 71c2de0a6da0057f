import type { ResourceInfo } from "../core/ports/cluster.js";

interface ApiResourceList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean; verbs?: string[] }>;
}

export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf("/");
  return i < 0 ? { group: "", version: apiVersion } : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** `/api/v1` or `/apis/<group>/<version>`. */
export function groupVersionPath(apiVersion: string): string {
  const { group, version } = splitApiVersion(apiVersion);
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

/**
 * Discovery, one APIResourceList per group version, cached for the life of the cluster object. A kind
 * missing from the cached list makes one fresh request (a CRD may have been registered since); a
 * group version the server does not serve (404) is an empty list. Concurrent lookups share a request.
 */
export class Discovery {
  private readonly groups = new Map<string, Promise<Map<string, ResourceInfo>>>();

  /** `fetchList` resolves with the APIResourceList at a path, or undefined when the server answers 404. */
  constructor(private readonly fetchList: (path: string) => Promise<ApiResourceList | undefined>) {}

  private load(apiVersion: string, fresh: boolean): Promise<Map<string, ResourceInfo>> {
    const cached = this.groups.get(apiVersion);
    if (cached && !fresh) return cached;
    const { group, version } = splitApiVersion(apiVersion);
    const p = this.fetchList(groupVersionPath(apiVersion)).then((list) => {
      const out = new Map<string, ResourceInfo>();
      for (const r of list?.resources ?? []) {
        if (r.name.includes("/")) continue; // subresources (pods/log, deployments/scale)
        out.set(r.kind, { group, version, kind: r.kind, plural: r.name, namespaced: r.namespaced, verbs: r.verbs ?? [] });
      }
      return out;
    });
    this.groups.set(apiVersion, p);
    // A failed request is not cached: the next lookup asks again.
    p.catch(() => {
      if (this.groups.get(apiVersion) === p) this.groups.delete(apiVersion);
    });
    return p;
  }

  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo | undefined> {
    const cached = this.groups.get(apiVersion);
    if (!cached) return (await this.load(apiVersion, false)).get(kind);
    const hit = (await cached).get(kind);
    if (hit) return hit;
    // Another lookup already asked again since: use its answer.
    const current = this.groups.get(apiVersion);
    if (current && current !== cached) return (await current).get(kind);
    return (await this.load(apiVersion, true)).get(kind);
  }

  /** Forgets everything (the next lookup of each group version asks the server). */
  reset(): void {
    this.groups.clear();
  }
}
