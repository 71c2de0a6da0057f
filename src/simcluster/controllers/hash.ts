// pod-template-hash and controller-revision-hash, shaped as Kubernetes makes them: FNV-32a over the
// object, the collision count mixed in, the decimal digits mapped onto rand.SafeEncodeString's
// alphabet (so up to 10 characters of "bcdfghjklmnpqrstvwxz2456789"). Kubernetes hashes Go's spew dump
// of the struct, which cannot be reproduced here: the same template gives a stable hash, but not the
// one a real cluster would print.
import { deepEqual, isObject } from "../objects.js";
import type { JsonObject } from "../types.js";

const SAFE = "bcdfghjklmnpqrstvwxz2456789";

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (isObject(v)) {
    return `{${Object.keys(v)
      .filter((k) => v[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(v) ?? "null";
}

function fnv32a(bytes: Uint8Array, h = 0x811c9dc5): number {
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function safeEncode(s: string): string {
  let out = "";
  for (const ch of s) out += SAFE[ch.charCodeAt(0) % SAFE.length];
  return out;
}

/** controller.ComputeHash: the hash of an object (a pod template, a revision's data) and collisionCount. */
export function computeHash(value: unknown, collisionCount?: number): string {
  let h = fnv32a(Buffer.from(canonical(value)));
  if (collisionCount !== undefined) {
    const extra = Buffer.alloc(8);
    extra.writeUInt32LE(collisionCount >>> 0, 0);
    h = fnv32a(extra, h);
  }
  return safeEncode(String(h));
}

export const TEMPLATE_HASH_LABEL = "pod-template-hash";

/** Whether two pod templates are equal once pod-template-hash is ignored (EqualIgnoreHash). */
export function templatesEqualIgnoringHash(a: unknown, b: unknown): boolean {
  const strip = (t: unknown): unknown => {
    if (!isObject(t)) return t;
    const c = structuredClone(t) as JsonObject;
    const meta = isObject(c.metadata) ? c.metadata : undefined;
    if (meta && isObject(meta.labels)) {
      delete meta.labels[TEMPLATE_HASH_LABEL];
      if (Object.keys(meta.labels).length === 0) delete meta.labels;
    }
    return c;
  };
  return deepEqual(strip(a), strip(b));
}
