/**
 * The JSON merge patch (RFC 7386) that turns one value into another: changed fields with their new
 * value, removed fields as null, arrays replaced whole. Undefined when nothing changed.
 */
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function mergePatchOf(before: unknown, after: unknown): Json | undefined {
  if (!isMap(before) || !isMap(after)) return equal(before, after) ? undefined : (JSON.parse(JSON.stringify(after ?? null)) as Json);
  const out: Record<string, Json> = {};
  for (const k of Object.keys(before)) {
    if (before[k] !== undefined && after[k] === undefined) out[k] = null;
  }
  for (const [k, v] of Object.entries(after)) {
    if (v === undefined) continue;
    const d = before[k] === undefined ? (JSON.parse(JSON.stringify(v)) as Json) : mergePatchOf(before[k], v);
    if (d !== undefined) out[k] = d;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
