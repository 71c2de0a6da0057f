import type { PathSeg } from "../model/load.js";
import type { DocReport } from "./report.js";
import { SCALAR_SHAPES, type Shape, type ShapeRegistry, type StructShape } from "./schema-types.js";
import { didYouMean } from "./suggest.js";

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return "a list";
  if (v === null) return "null";
  if (typeof v === "object") return "a map";
  if (typeof v === "number") return Number.isInteger(v) ? "an integer" : "a number";
  if (typeof v === "boolean") return "a boolean";
  return `a ${typeof v}`;
}

const SCALAR_DESCRIPTIONS: Record<string, string> = {
  string: "a string",
  anyString: "a string",
  int: "an integer",
  number: "a number",
  bool: "a boolean (true or false)",
  intOrString: "an integer or a string",
  object: "a map",
  list: "a list",
  stringMap: "a map of strings",
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function scalarMatches(shape: string, v: unknown): boolean {
  switch (shape) {
    case "any":
      return true;
    case "string":
      return typeof v === "string";
    case "anyString":
      return typeof v === "string" || typeof v === "number" || typeof v === "boolean";
    case "int":
      return typeof v === "number" && Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "bool":
      return typeof v === "boolean";
    case "intOrString":
      return typeof v === "string" || (typeof v === "number" && Number.isInteger(v));
    case "object":
      return isPlainObject(v);
    case "list":
      return Array.isArray(v);
    case "stringMap":
      return (
        isPlainObject(v) &&
        Object.values(v).every((x) => x === null || ["string", "number", "boolean"].includes(typeof x))
      );
    default:
      return true;
  }
}

function hint(shape: string, v: unknown): string {
  if (shape === "string" && (typeof v === "number" || typeof v === "boolean")) return ` (quote it: "${String(v)}")`;
  return "";
}

/**
 * Checks `value` against `shape`: unknown fields (with a did-you-mean), removed fields (with what
 * replaced them) and cheap type mismatches. Null is accepted anywhere (Go reads it as "unset").
 */
export class FieldChecker {
  constructor(private readonly registry: ShapeRegistry) {}

  check(value: unknown, shape: Shape, path: PathSeg[], report: DocReport, typeName = ""): void {
    if (value === null || value === undefined) return;
    if (typeof shape === "string") {
      if (shape.startsWith("@")) {
        const name = shape.slice(1);
        const target = this.registry[name];
        if (target === undefined) throw new Error(`field catalogue: unknown shape ${shape}`);
        this.check(value, target, path, report, name);
        return;
      }
      if (SCALAR_SHAPES.has(shape) && !scalarMatches(shape, value)) {
        report.error(
          path,
          `expected ${SCALAR_DESCRIPTIONS[shape] ?? shape}, got ${describeValue(value)}${hint(shape, value)}`,
        );
      }
      return;
    }
    if (Array.isArray(shape)) {
      if (!Array.isArray(value)) {
        report.error(path, `expected a list, got ${describeValue(value)}`);
        return;
      }
      const item = shape[0] as Shape;
      value.forEach((v, i) => this.check(v, item, [...path, i], report, typeName));
      return;
    }
    this.checkStruct(value, shape as StructShape, path, report, typeName);
  }

  private checkStruct(value: unknown, shape: StructShape, path: PathSeg[], report: DocReport, typeName: string): void {
    if (!isPlainObject(value)) {
      report.error(path, `expected a map${typeName ? ` (${typeName})` : ""}, got ${describeValue(value)}`);
      return;
    }
    const mapOf = shape["*"];
    for (const [key, v] of Object.entries(value)) {
      if (key === "<<") continue; // a YAML merge key; the merged fields are not seen here
      if (mapOf !== undefined) {
        this.check(v, mapOf as Shape, [...path, key], report, "");
        continue;
      }
      const field = key.startsWith("!") || key === "*" ? undefined : shape[key];
      if (field !== undefined) {
        this.check(v, field as Shape, [...path, key], report, "");
        continue;
      }
      const removed = shape[`!${key}`];
      if (typeof removed === "string") {
        report.keyError([...path, key], `unknown field "${key}": ${removed}`);
        continue;
      }
      const known = Object.keys(shape).filter((k) => !k.startsWith("!") && k !== "*");
      const where = typeName ? ` in ${typeName}` : "";
      report.keyError([...path, key], `unknown field "${key}"${where}${didYouMean(key, known)}`);
    }
  }
}
