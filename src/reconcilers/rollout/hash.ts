/**
 * The pod-template hash Argo Rollouts names ReplicaSets with (`<rollout>-<hash>`, label
 * `rollouts-pod-template-hash`), and the steps hash it keeps in status.currentStepHash.
 *
 * Argo (`utils/hash/hash.go` ComputePodTemplateHash): FNV-32a over `json.Marshal(template)`, then the
 * collision count as 8 little-endian bytes (a uint32 in the first four), the sum written in decimal and
 * mapped through `rand.SafeEncodeString`. go-json.ts reproduces Go's bytes for the template fields it
 * knows, so for those templates the hash equals Argo's: Argo's getting-started Rollout gives 687d76d795
 * (blue) and 6cf78c66c5 (yellow) here as in its docs. A template using fields outside go-json.ts's
 * table still hashes deterministically (and changes when they change) but may differ from Argo's.
 */
import { marshalCanarySteps, marshalPodTemplate } from "./go-json.js";
import type { CanaryStep, PodTemplateSpec, RolloutSpec } from "./types.js";
import { POD_TEMPLATE_HASH_LABEL } from "./types.js";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32 bits, continuing from `seed`. */
export function fnv32a(bytes: Uint8Array, seed = FNV_OFFSET): number {
  let h = seed >>> 0;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, FNV_PRIME) >>> 0;
  }
  return h >>> 0;
}

/** k8s.io/apimachinery/pkg/util/rand.SafeEncodeString: no vowels, no 0/1/3 (so no words). */
const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";
export function safeEncodeString(s: string): string {
  let out = "";
  for (const ch of s) out += ALPHANUMS[ch.codePointAt(0)! % ALPHANUMS.length];
  return out;
}

/** ComputePodTemplateHash(template, collisionCount). */
export function computePodTemplateHash(template: PodTemplateSpec, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(marshalPodTemplate(template as Record<string, unknown>), "utf8"));
  if (collisionCount !== undefined && collisionCount !== null) {
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setUint32(0, collisionCount >>> 0, true);
    h = fnv32a(bytes, h);
  }
  return safeEncodeString(String(h));
}

/** conditions.ComputeStepHash: "" for blue-green, else the hash of the canary steps. */
export function computeStepHash(spec: RolloutSpec): string {
  if (spec.strategy.blueGreen || !spec.strategy.canary) return "";
  const steps = spec.strategy.canary.steps as Array<CanaryStep & Record<string, unknown>> | undefined;
  return safeEncodeString(String(fnv32a(Buffer.from(marshalCanarySteps(steps), "utf8"))));
}

/** A template without the `rollouts-pod-template-hash` label (what undo writes back, what equality ignores). */
export function withoutHashLabel(template: PodTemplateSpec): PodTemplateSpec {
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH_LABEL];
  const metadata = { ...(template.metadata ?? {}), labels };
  if (Object.keys(labels).length === 0) delete (metadata as { labels?: unknown }).labels;
  return { ...template, metadata };
}
