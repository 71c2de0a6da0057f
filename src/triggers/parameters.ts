// Trigger parameters: values taken from the events that fired a trigger (Argo's ResolveParamValue),
// written into the workflow manifest at sjson-style `dest` paths (Argo's ApplyParams).
import { gjsonGet, gjsonString } from "./gjson.js";
import type { ResolvedParameter, SatisfiedEvent, TriggerParameter } from "./sensor-types.js";

export class TriggerParameterError extends Error {
  override name = "TriggerParameterError";
}

/**
 * A parameter's value from its dependency's event: the template (context or data), else the key, else
 * the default `value`; undefined when none gives one. As in Argo, a data source wins over a context
 * source when both are set, and a template that prints "" or "<no value>" falls back to the key.
 */
export function resolveParameter(p: TriggerParameter, events: Readonly<Record<string, SatisfiedEvent>>): string | undefined {
  const ev = events[p.dependencyName];
  if (ev) {
    const useData = p.dataKey !== undefined || p.dataTemplate !== undefined;
    const source: unknown = useData ? ev.data : ev.context;
    const template = useData ? p.dataTemplate : p.contextTemplate;
    const key = useData ? p.dataKey : p.contextKey;
    if (template) {
      const out = template.render({ Input: source });
      if (out !== undefined && out !== "" && out !== "<no value>") return out;
    }
    if (key) {
      const v = gjsonGet(source, key);
      if (v !== undefined) return gjsonString(v);
    }
  }
  return p.value;
}

/** Resolves every parameter, or says which one has no value (then Argo does not run the trigger). */
export function resolveParameters(
  params: readonly TriggerParameter[],
  events: Readonly<Record<string, SatisfiedEvent>>,
): { ok: true; list: ResolvedParameter[] } | { ok: false; path: string; reason: string } {
  const list: ResolvedParameter[] = [];
  for (const p of params) {
    const value = resolveParameter(p, events);
    if (value === undefined) {
      const why = events[p.dependencyName] ? "the event has nothing there" : `dependency ${p.dependencyName} has no event in this firing`;
      return { ok: false, path: p.at, reason: `parameter for ${p.dest} has no value (${why}) and no default src.value` };
    }
    list.push({ dest: p.dest, value, operation: p.operation });
  }
  return { ok: true, list };
}

/** Splits an sjson path at unescaped dots (`a\.b` is the key "a.b"). */
function splitDest(dest: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < dest.length; i++) {
    if (dest[i] === "\\" && i + 1 < dest.length) cur += dest[++i];
    else if (dest[i] === ".") {
      out.push(cur);
      cur = "";
    } else cur += dest[i];
  }
  out.push(cur);
  return out;
}

const isIndex = (seg: string): boolean => seg === "-1" || /^[0-9]+$/.test(seg);
const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] => typeof v === "object" && v !== null;

function slot(container: Record<string, unknown> | unknown[], seg: string, dest: string): string | number {
  if (!Array.isArray(container)) return seg;
  if (!isIndex(seg)) throw new TriggerParameterError(`dest ${dest}: "${seg}" is not an index into a list`);
  return seg === "-1" ? container.length : Number(seg);
}

function setAt(root: Record<string, unknown>, r: ResolvedParameter): void {
  const segs = splitDest(r.dest);
  if (segs.some((s) => s === "")) throw new TriggerParameterError(`dest "${r.dest}" has an empty segment`);
  let cur: Record<string, unknown> | unknown[] = root;
  for (let i = 0; i < segs.length - 1; i++) {
    const key = slot(cur, segs[i], r.dest);
    const at = cur as Record<string | number, unknown>;
    // Missing parents are created, as sjson does: a list when the next segment is an index.
    if (!isContainer(at[key])) at[key] = isIndex(segs[i + 1]) ? [] : {};
    cur = at[key] as Record<string, unknown> | unknown[];
  }
  const key = slot(cur, segs[segs.length - 1], r.dest);
  const at = cur as Record<string | number, unknown>;
  const old = at[key];
  const oldText = typeof old === "string" || typeof old === "number" || typeof old === "boolean" ? String(old) : "";
  at[key] = r.operation === "append" ? oldText + r.value : r.operation === "prepend" ? r.value + oldText : r.value;
  if (Array.isArray(cur)) for (let i = 0; i < cur.length; i++) if (cur[i] === undefined) cur[i] = null;
}

/**
 * A deep copy of `manifest` with each parameter written at its dest (sjson style: numeric segments
 * index lists, `-1` appends, missing parents are created). A record means "overwrite" for every entry.
 * Throws TriggerParameterError for a dest that cannot be written (a word where a list needs an index).
 */
export function applyTriggerParameters<T>(manifest: T, params: Readonly<Record<string, string>> | readonly ResolvedParameter[]): T {
  const copy = structuredClone(manifest) as Record<string, unknown>;
  const list: readonly ResolvedParameter[] = Array.isArray(params)
    ? params
    : Object.entries(params).map(([dest, value]) => ({ dest, value, operation: "overwrite" as const }));
  for (const r of list) setAt(copy, r);
  return copy as T;
}
