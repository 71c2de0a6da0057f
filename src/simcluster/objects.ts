// Small helpers over plain JSON objects.
import type { JsonObject } from "./types.js";

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/** Freezes an object and everything in it: stored objects are shared with readers and never change. */
export function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** Splits a simple JSON path (`.spec.replicas`, `.status.conditions[0].type`, `spec.x`) into keys. */
export function splitJsonPath(path: string): (string | number)[] {
  const out: (string | number)[] = [];
  const re = /\.?([^.[\]]+)|\[(\d+)\]|\[['"]([^'"]+)['"]\]/g;
  for (const m of path.replace(/^\{|\}$/g, "").matchAll(re)) {
    if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[1] ?? m[3]);
  }
  return out;
}

export function getPath(obj: unknown, path: string | (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const key of typeof path === "string" ? splitJsonPath(path) : path) {
    if (typeof key === "number") cur = Array.isArray(cur) ? cur[key] : undefined;
    else cur = isObject(cur) ? cur[key] : undefined;
    if (cur === undefined) return undefined;
  }
  return cur;
}

export function setPath(obj: JsonObject, path: string, value: unknown): void {
  const keys = splitJsonPath(path);
  let cur: JsonObject = obj;
  keys.forEach((key, i) => {
    const k = String(key);
    if (i === keys.length - 1) {
      cur[k] = value;
      return;
    }
    if (!isObject(cur[k])) cur[k] = {};
    cur = cur[k] as JsonObject;
  });
}

/** `2026-01-02T03:04:05Z`: Kubernetes timestamps have second precision. */
export function timestamp(ms: number = Date.now()): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/** The 5-character suffix the API server appends to `generateName`. */
export function randomSuffix(rand: () => number = Math.random, length = 5): string {
  let s = "";
  for (let i = 0; i < length; i++) s += SUFFIX_ALPHABET[Math.floor(rand() * SUFFIX_ALPHABET.length)];
  return s;
}

/** Human-readable age as kubectl shows it (apimachinery's duration.HumanDuration). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${days / 365}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

/** A small seeded generator (mulberry32): the same seed gives the same faults and names. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
