// ControllerRevisions, as StatefulSets and DaemonSets keep them: one per distinct pod template, named
// `<owner>-<hash>`, numbered; going back to an old template renumbers its revision. Old unused ones
// beyond revisionHistoryLimit are deleted.
import type { SimApi } from "../api.js";
import { deepEqual } from "../objects.js";
import type { KubeObject } from "../types.js";
import { computeHash } from "./hash.js";
import { byCreation, CONTROLLER_MANAGER, isOwnedBy, num, obj, ownerRefTo, spec, status, type Obj } from "./util.js";

export const REVISION_HASH_LABEL = "controller-revision-hash";

export interface Revision {
  name: string;
  hash: string;
  template: Obj;
}

/** The revision data of a pod template (a strategic patch that replaces spec.template). */
const dataOf = (template: Obj): Obj => ({ spec: { template: { ...template, $patch: "replace" } } });

export function templateOf(revision: KubeObject): Obj {
  const t = { ...obj(obj(obj(revision.data).spec).template) };
  delete t.$patch;
  return t;
}

export function ownedRevisions(api: SimApi, owner: KubeObject): KubeObject[] {
  return api.list("controllerrevisions.apps", { namespace: owner.metadata.namespace }).items.filter((r) => isOwnedBy(r, owner));
}

/** The revision for the owner's current template, created (or renumbered) as needed. */
export function ensureRevision(api: SimApi, owner: KubeObject, revisions: KubeObject[]): Revision {
  const template = obj(spec(owner).template);
  const data = dataOf(template);
  const max = revisions.reduce((m, r) => Math.max(m, num(r.revision)), 0);
  const same = revisions.find((r) => deepEqual(r.data, data));
  if (same) {
    if (num(same.revision) < max) api.update("controllerrevisions.apps", { ...same, metadata: { ...same.metadata, resourceVersion: undefined }, revision: max + 1 }, { fieldManager: CONTROLLER_MANAGER });
    return { name: same.metadata.name ?? "", hash: same.metadata.labels?.["controller.kubernetes.io/hash"] ?? "", template };
  }
  const collisions = num(status(owner).collisionCount);
  for (let c = collisions; c < collisions + 5; c++) {
    const hash = computeHash(data, c || undefined);
    const name = `${owner.metadata.name}-${hash}`;
    if (api.tryGet("controllerrevisions.apps", owner.metadata.namespace, name)) continue;
    api.create(
      "controllerrevisions.apps",
      {
        apiVersion: "apps/v1",
        kind: "ControllerRevision",
        metadata: { name, namespace: owner.metadata.namespace, labels: { ...(obj(obj(template.metadata).labels) as Record<string, string>), "controller.kubernetes.io/hash": hash }, ownerReferences: [ownerRefTo(owner)] },
        data,
        revision: max + 1,
      },
      { fieldManager: CONTROLLER_MANAGER },
    );
    return { name, hash, template };
  }
  throw new Error(`no free ControllerRevision name for ${owner.metadata.name}`);
}

/** Deletes the oldest revisions no pod uses, beyond revisionHistoryLimit. */
export function pruneRevisions(api: SimApi, owner: KubeObject, revisions: KubeObject[], inUse: Set<string>): void {
  const limit = num(spec(owner).revisionHistoryLimit, 10);
  const unused = revisions.filter((r) => !inUse.has(r.metadata.name ?? "")).sort((a, b) => num(a.revision) - num(b.revision) || byCreation(a, b));
  for (const r of unused.slice(0, Math.max(0, unused.length - limit))) api.delete("controllerrevisions.apps", r.metadata.namespace, r.metadata.name ?? "");
}
