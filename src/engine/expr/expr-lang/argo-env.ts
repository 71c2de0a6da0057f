// What Argo adds to the expr env (util/expr/env/env.go): asInt, asFloat, jsonpath, toJson and the
// sprig generic function map without env/expandenv; plus util/expand for dotted variable names.
import { JSONPath } from "jsonpath-plus";
import { str, toFloat, toInt } from "./builtins.js";
import { ExprError } from "./errors.js";
import { SPRIG } from "./sprig.js";
import { goJson, hasKey, isMap, parseJson, setKey, typeName } from "./values.js";

function indefinite(segment: string): boolean {
  return segment === "*" || segment === ".." || segment.startsWith("?(") || segment.startsWith("(") || /[:,]/.test(segment);
}

/** Walks a path of plain keys and indices; a missing key is an error, as in evilmonkeyinc/jsonpath. */
function walk(root: unknown, segments: readonly string[], path: string): unknown {
  let cur = root;
  for (const seg of segments) {
    if (Array.isArray(cur) || typeof cur === "string") {
      if (seg === "length") {
        cur = cur.length;
        continue;
      }
      if (!/^-?[0-9]+$/.test(seg)) throw new ExprError(`jsonpath ${path}: cannot get key '${seg}' of ${typeName(cur)}`);
      const i = Number(seg) < 0 ? cur.length + Number(seg) : Number(seg);
      if (i < 0 || i >= cur.length) throw new ExprError(`jsonpath ${path}: index [${seg}] out of range`);
      cur = cur[i];
    } else if (isMap(cur)) {
      if (hasKey(cur, seg)) cur = cur[seg];
      else if (seg === "length") cur = Object.keys(cur).length;
      else throw new ExprError(`jsonpath ${path}: key '${seg}' not found`);
    } else {
      throw new ExprError(`jsonpath ${path}: cannot get '${seg}' of ${typeName(cur)}`);
    }
  }
  return cur;
}

/** Argo's jsonpath(json, path): a definite path gives the value itself, any other path the list of matches. */
export function jsonpath(jsonText: unknown, path: unknown): unknown {
  const text = str("jsonpath", jsonText);
  const query = str("jsonpath", path);
  const data = parseJson(text);
  let segments: readonly string[];
  try {
    segments = JSONPath.toPathArray(query);
  } catch (e) {
    throw new ExprError(`jsonpath ${query}: ${(e as Error).message}`);
  }
  if (segments[0] !== "$") throw new ExprError(`jsonpath ${query}: a path must start with $`);
  if (!segments.slice(1).some(indefinite)) return walk(data, segments.slice(1), query);
  try {
    return JSONPath({ path: query, json: data as object, wrap: true, eval: "safe" }) as unknown[];
  } catch (e) {
    throw new ExprError(`jsonpath ${query}: ${(e as Error).message}`);
  }
}

/** Functions Argo puts in every expression env; like in Argo they take precedence over variables. */
export const ARGO_FUNCTIONS: Readonly<Record<string, unknown>> = Object.freeze({
  asInt: (...a: unknown[]) => {
    if (a.length !== 1) throw new ExprError(`invalid number of arguments for asInt (expected 1, got ${a.length})`);
    return toInt(a[0]);
  },
  asFloat: (...a: unknown[]) => {
    if (a.length !== 1) throw new ExprError(`invalid number of arguments for asFloat (expected 1, got ${a.length})`);
    return toFloat(a[0]);
  },
  jsonpath: (...a: unknown[]) => {
    if (a.length !== 2) throw new ExprError(`invalid number of arguments for jsonpath (expected 2, got ${a.length})`);
    return jsonpath(a[0], a[1]);
  },
  toJson: (...a: unknown[]) => {
    if (a.length !== 1) throw new ExprError(`invalid number of arguments for toJson (expected 1, got ${a.length})`);
    return goJson(a[0]);
  },
  sprig: SPRIG,
});

/**
 * Argo's util/expand: {"inputs.parameters.msg": v} becomes {inputs: {parameters: {msg: v}}}.
 *
 * Where a key is also the prefix of another ("a.b" and "a.b.c"), Argo drops the less specific key.
 * Here the children win too, but a parent whose value is itself an object is merged with them, so
 * both stay reachable; a scalar parent ("inputs.parameters" holding the JSON of all parameters) is
 * dropped, as in Argo. Unlike Argo's prefix test, "a.x" is kept next to "a.xy".
 */
export function expandDottedKeys(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Maps built here may be extended; maps that came from the caller are copied before that.
  const owned = new WeakSet<object>([out]);
  const own = (parent: Record<string, unknown>, key: string, value: Record<string, unknown>): Record<string, unknown> => {
    if (owned.has(value)) return value;
    const copy: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setKey(copy, k, v);
    owned.add(copy);
    setKey(parent, key, copy);
    return copy;
  };
  const keys = Object.keys(flat).sort((x, y) => x.split(".").length - y.split(".").length);
  for (const key of keys) {
    const parts = key.split(".");
    let node = out;
    for (const part of parts.slice(0, -1)) {
      const next = hasKey(node, part) ? node[part] : undefined;
      node = own(node, part, isMap(next) ? next : {});
    }
    const last = parts[parts.length - 1];
    const value = flat[key];
    const existing = hasKey(node, last) ? node[last] : undefined;
    if (!isMap(existing)) {
      setKey(node, last, value);
    } else if (isMap(value)) {
      const merged = own(node, last, existing);
      for (const [k, v] of Object.entries(value)) if (!hasKey(merged, k)) setKey(merged, k, v);
    }
  }
  return out;
}
