/**
 * Output parameters of a resource template, from the object after the wait (Argo's
 * SaveResourceParameters): `valueFrom.jsonPath` is a kubectl JSONPath template (`{.metadata.name}`,
 * text around the braces kept, several results joined by a space); `valueFrom.jqFilter` is
 * `jq -rc FILTER`: simple paths (`.`, `.a.b`, `.a[0]`) are evaluated here, anything else by the `jq`
 * program when it is on PATH. A value that cannot be read takes `valueFrom.default`, else the node fails.
 */
import { execFile } from "node:child_process";
import { JSONPath } from "jsonpath-plus";
import type { Parameter } from "../../model/types.js";

export class OutputError extends Error {
  override name = "OutputError";
}

/** kubectl prints strings raw and other values as JSON. */
function print(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

/** Evaluates a kubectl JSONPath template against an object. */
export function kubectlJsonPath(template: string, obj: unknown): string {
  let out = "";
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf("{", i);
    if (open < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, open);
    const close = template.indexOf("}", open);
    if (close < 0) throw new OutputError(`jsonPath ${template}: unclosed action`);
    const expr = template.slice(open + 1, close).trim();
    if (/^(range|end)\b/.test(expr)) throw new OutputError(`jsonPath ${template}: {range} is not supported`);
    if (/^"/.test(expr)) out += JSON.parse(expr) as string;
    else {
      const path = expr === "." || expr === "" ? "$" : expr.startsWith("$") ? expr : expr.startsWith(".") || expr.startsWith("[") ? `$${expr}` : `$.${expr}`;
      const found = JSONPath({ path, json: obj as object, wrap: true, eval: "safe" }) as unknown[];
      if (found.length === 0) throw new OutputError(`jsonPath ${template}: ${expr} is not found`);
      out += found.map(print).join(" ");
    }
    i = close + 1;
  }
  return out;
}

const SIMPLE_JQ = /^\.((?:[A-Za-z_][\w-]*|\[\d+\]|\["[^"]*"\])(?:\.?(?:[A-Za-z_][\w-]*|\[\d+\]|\["[^"]*"\]))*)?$/;

/** `.a.b[0]["c"]` evaluated here; undefined when the filter is more than a path. */
function simpleJq(filter: string, obj: unknown): { value: unknown } | undefined {
  const f = filter.trim();
  if (!SIMPLE_JQ.test(f)) return undefined;
  let cur: unknown = obj;
  for (const m of f.matchAll(/([A-Za-z_][\w-]*)|\[(\d+)\]|\["([^"]*)"\]/g)) {
    const key = m[1] ?? m[3];
    if (cur === null || cur === undefined) return { value: null };
    if (key !== undefined) cur = typeof cur === "object" && !Array.isArray(cur) ? (cur as Record<string, unknown>)[key] : undefined;
    else cur = Array.isArray(cur) ? cur[Number(m[2])] : undefined;
    if (cur === undefined) cur = null;
  }
  return { value: cur };
}

function runJq(filter: string, obj: unknown): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("jq", ["-rc", filter], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        reject(new OutputError(code === "ENOENT" ? `jqFilter ${filter}: beyond the paths Tiphys evaluates itself, and no jq program on PATH` : `jqFilter ${filter}: ${stderr.trim() || err.message}`));
      } else resolve(stdout);
    });
    child.stdin?.end(JSON.stringify(obj));
  });
}

/** `jq -rc FILTER` on the object; one trailing newline dropped. */
export async function jqFilter(filter: string, obj: unknown): Promise<string> {
  const simple = simpleJq(filter, obj);
  if (simple) return print(simple.value);
  const text = await runJq(filter, obj);
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

/**
 * The template's output parameters. `obj` is undefined when the action left no object (delete):
 * each parameter then takes its default, or "" (as Argo does when it has no resource name).
 */
export async function resourceParameters(params: readonly Parameter[], obj: unknown): Promise<Parameter[]> {
  const out: Parameter[] = [];
  for (const p of params) {
    const vf = p.valueFrom;
    let value: string | undefined = p.value;
    if (vf && obj === undefined) value = vf.default ?? "";
    else if (vf?.jsonPath || vf?.jqFilter) {
      try {
        value = vf.jsonPath ? kubectlJsonPath(vf.jsonPath, obj) : await jqFilter(vf.jqFilter!, obj);
      } catch (err) {
        if (vf.default === undefined) throw err;
        value = vf.default;
      }
    }
    if (value === undefined) value = vf?.default;
    if (value === undefined) throw new OutputError(`outputs.parameters.${p.name}: a resource template's parameter needs valueFrom.jsonPath or valueFrom.jqFilter`);
    out.push(p.globalName ? { name: p.name, value, globalName: p.globalName } : { name: p.name, value });
  }
  return out;
}
