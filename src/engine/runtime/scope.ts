import type { Artifact, Inputs, NodeStatus, Outputs, Parameter, Template, WorkflowManifest, WorkflowSpec } from "../model/types.js";
import { goJson } from "../expr/expr-lang.js";
import { childVars, substituteString, type Vars } from "./substitute.js";

/** Errors in a node's own inputs or references: the node becomes Error with this message. */
export class NodeInputError extends Error {
  override name = "NodeInputError";
}

const STRFTIME: Record<string, (d: Date) => string> = {
  Y: (d) => String(d.getUTCFullYear()),
  y: (d) => String(d.getUTCFullYear() % 100).padStart(2, "0"),
  m: (d) => String(d.getUTCMonth() + 1).padStart(2, "0"),
  d: (d) => String(d.getUTCDate()).padStart(2, "0"),
  e: (d) => String(d.getUTCDate()).padStart(2, " "),
  H: (d) => String(d.getUTCHours()).padStart(2, "0"),
  M: (d) => String(d.getUTCMinutes()).padStart(2, "0"),
  S: (d) => String(d.getUTCSeconds()).padStart(2, "0"),
  j: (d) => String(Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1).padStart(3, "0"),
  b: (d) => d.toLocaleString("en-US", { month: "short", timeZone: "UTC" }),
  B: (d) => d.toLocaleString("en-US", { month: "long", timeZone: "UTC" }),
  a: (d) => d.toLocaleString("en-US", { weekday: "short", timeZone: "UTC" }),
  A: (d) => d.toLocaleString("en-US", { weekday: "long", timeZone: "UTC" }),
  u: (d) => String(d.getUTCDay() === 0 ? 7 : d.getUTCDay()),
  w: (d) => String(d.getUTCDay()),
};

/** Argo's global variables (`workflow.*`) at submission time. */
export function globalVars(wf: WorkflowManifest, uid: string, created: Date): Vars {
  const spec = wf.spec as WorkflowSpec;
  const name = wf.metadata.name ?? "";
  const vars: Vars = {
    "workflow.name": name,
    "workflow.namespace": wf.metadata.namespace ?? "default",
    "workflow.uid": uid,
    "workflow.mainEntrypoint": spec.entrypoint ?? "",
    "workflow.serviceAccountName": spec.serviceAccountName ?? "default",
    "workflow.creationTimestamp": created.toISOString().replace(/\.\d+Z$/, "Z"),
    "workflow.creationTimestamp.RFC3339": created.toISOString().replace(/\.\d+Z$/, "Z"),
    "workflow.creationTimestamp.s": String(Math.floor(created.getTime() / 1000)),
    "workflow.status": "Running",
  };
  for (const [k, f] of Object.entries(STRFTIME)) vars[`workflow.creationTimestamp.${k}`] = f(created);
  if (spec.priority !== undefined) vars["workflow.priority"] = String(spec.priority);
  const params = spec.arguments?.parameters ?? [];
  for (const p of params) vars[`workflow.parameters.${p.name}`] = p.value ?? p.valueFrom?.default ?? p.default ?? "";
  // Argo marshals spec.arguments.parameters itself: a list of parameter objects, not a name->value map.
  const paramsJson = JSON.stringify(params.map(goParameter));
  vars["workflow.parameters.json"] = paramsJson;
  vars["workflow.parameters"] = paramsJson;
  const labels = wf.metadata.labels ?? {};
  const annotations = wf.metadata.annotations ?? {};
  for (const [k, v] of Object.entries(labels)) vars[`workflow.labels.${k}`] = v;
  for (const [k, v] of Object.entries(annotations)) vars[`workflow.annotations.${k}`] = v;
  vars["workflow.labels.json"] = vars["workflow.labels"] = goJson(labels);
  vars["workflow.annotations.json"] = vars["workflow.annotations"] = goJson(annotations);
  return vars;
}

/** A Parameter as Go's json.Marshal writes it: struct field order, empty fields left out. */
function goParameter(p: Parameter): Record<string, unknown> {
  const out: Record<string, unknown> = { name: p.name };
  if (p.default !== undefined) out.default = p.default;
  if (p.value !== undefined) out.value = p.value;
  if (p.valueFrom !== undefined) out.valueFrom = p.valueFrom;
  if (p.globalName) out.globalName = p.globalName;
  if (p.enum?.length) out.enum = p.enum;
  if (p.description) out.description = p.description;
  return out;
}

/**
 * Binds a caller's arguments to a template's inputs (Argo's ProcessArgs): argument values override
 * defaults; a parameter with neither is an error; `enum` is enforced.
 */
export function bindInputs(template: Template, args: { parameters?: Parameter[]; artifacts?: Artifact[] } | undefined, vars: Vars): Inputs {
  const inputs: Inputs = {};
  const declared = template.inputs?.parameters ?? [];
  if (declared.length > 0) {
    inputs.parameters = declared.map((p) => {
      const arg = args?.parameters?.find((a) => a.name === p.name);
      let value: string | undefined;
      if (arg && (arg.value !== undefined || arg.valueFrom?.default !== undefined)) value = arg.value ?? arg.valueFrom?.default;
      else if (p.value !== undefined) value = p.value;
      else if (p.default !== undefined) value = p.default;
      else if (p.valueFrom?.default !== undefined) value = p.valueFrom.default;
      if (value === undefined) throw new NodeInputError(`inputs.parameters.${p.name} was not supplied`);
      value = substituteString(String(value), vars);
      if (p.enum && p.enum.length > 0 && !p.enum.map(String).includes(value)) {
        throw new NodeInputError(`value "${value}" is not in the enum of inputs.parameters.${p.name}: ${p.enum.join(", ")}`);
      }
      const out: Parameter = { name: p.name, value };
      if (p.description) out.description = p.description;
      return out;
    });
  }
  const arts = template.inputs?.artifacts ?? [];
  if (arts.length > 0) {
    inputs.artifacts = arts.map((a) => {
      const arg = args?.artifacts?.find((b) => b.name === a.name);
      return arg ? { ...a, ...arg, path: a.path, name: a.name } : { ...a };
    });
  }
  return inputs;
}

/** Variables a template sees from its own inputs and declared outputs. */
export function templateVars(base: Vars, template: Template, inputs: Inputs, nodeName: string, podName: string): Vars {
  const vars: Vars = childVars(base, { "node.name": nodeName, "pod.name": podName });
  const ps = inputs.parameters ?? [];
  for (const p of ps) vars[`inputs.parameters.${p.name}`] = p.value ?? "";
  vars["inputs.parameters"] = JSON.stringify(ps.map((p) => ({ name: p.name, value: p.value })));
  for (const a of inputs.artifacts ?? []) if (a.path) vars[`inputs.artifacts.${a.name}.path`] = a.path;
  for (const p of template.outputs?.parameters ?? []) if (p.valueFrom?.path) vars[`outputs.parameters.${p.name}.path`] = p.valueFrom.path;
  for (const a of template.outputs?.artifacts ?? []) if (a.path) vars[`outputs.artifacts.${a.name}.path`] = a.path;
  return vars;
}

/** Adds `<prefix>.status|id|outputs...` of a finished (or running) node to a scope. */
export function addNodeToScope(vars: Vars, prefix: string, node: NodeStatus, exitCode?: string): void {
  vars[`${prefix}.id`] = node.id;
  vars[`${prefix}.status`] = node.phase;
  if (node.startedAt) vars[`${prefix}.startedAt`] = node.startedAt;
  if (node.finishedAt) vars[`${prefix}.finishedAt`] = node.finishedAt;
  if (node.hostNodeName) vars[`${prefix}.hostNodeName`] = node.hostNodeName;
  addOutputsToScope(vars, prefix, node.outputs, exitCode);
}

export function addOutputsToScope(vars: Vars, prefix: string, outputs: Outputs | undefined, exitCode?: string): void {
  if (!outputs) return;
  if (outputs.result !== undefined) vars[`${prefix}.outputs.result`] = outputs.result;
  const ec = outputs.exitCode ?? exitCode;
  if (ec !== undefined) vars[`${prefix}.exitCode`] = ec;
  for (const p of outputs.parameters ?? []) vars[`${prefix}.outputs.parameters.${p.name}`] = p.value ?? "";
  for (const a of outputs.artifacts ?? []) vars[`${prefix}.outputs.artifacts.${a.name}`] = a;
}

/**
 * Loop aggregation (processAggregateNodeOutputs): `X.outputs.parameters` is a JSON list of
 * `{name: value}` maps, `X.outputs.parameters.<p>` a JSON list of values, `X.outputs.result` a
 * JSON list of results (JSON objects kept as objects). Children come sorted by loop index.
 */
export function addAggregateToScope(vars: Vars, prefix: string, children: readonly NodeStatus[]): void {
  const paramList: Array<Record<string, string>> = [];
  const byName = new Map<string, unknown[]>();
  const results: unknown[] = [];
  let anyResult = false;
  for (const c of children) {
    if (c.phase !== "Succeeded" || !c.outputs) continue;
    const ps = c.outputs.parameters ?? [];
    if (ps.length > 0) {
      const m: Record<string, string> = {};
      for (const p of ps) {
        m[p.name] = p.value ?? "";
        if (!byName.has(p.name)) byName.set(p.name, []);
        byName.get(p.name)!.push(p.value ?? "");
      }
      paramList.push(m);
    }
    if (c.outputs.result !== undefined) {
      anyResult = true;
      results.push(parseJsonish(c.outputs.result, true));
    }
  }
  vars[`${prefix}.outputs.parameters`] = goJson(paramList);
  for (const [name, values] of byName) {
    const parsed = values.map((v) => parseJsonish(String(v), false));
    const allStructured = parsed.every((v) => v !== null && typeof v === "object");
    vars[`${prefix}.outputs.parameters.${name}`] = goJson(allStructured ? parsed : values);
  }
  if (anyResult) vars[`${prefix}.outputs.result`] = goJson(results);
}

function parseJsonish(s: string, mapsOnly: boolean): unknown {
  const t = s.trim();
  if (!(t.startsWith("{") || (!mapsOnly && t.startsWith("[")))) return s;
  try {
    return JSON.parse(t);
  } catch {
    return s;
  }
}

/** `globalName` outputs become `workflow.outputs.*`, visible to later steps and the exit handler. */
export function promoteGlobals(run: { globals: Vars; status: { outputs?: Outputs } }, outputs: Outputs | undefined, tmpl: Template): void {
  if (!outputs) return;
  for (const p of outputs.parameters ?? []) {
    const decl = tmpl.outputs?.parameters?.find((d) => d.name === p.name);
    const g = p.globalName ?? decl?.globalName;
    if (!g) continue;
    run.globals[`workflow.outputs.parameters.${g}`] = p.value ?? "";
    const list = ((run.status.outputs ??= {}).parameters ??= []);
    const i = list.findIndex((q) => q.name === g);
    if (i >= 0) list[i] = { name: g, value: p.value };
    else list.push({ name: g, value: p.value });
  }
  for (const a of outputs.artifacts ?? []) {
    const decl = tmpl.outputs?.artifacts?.find((d) => d.name === a.name);
    const g = a.globalName ?? decl?.globalName;
    if (!g) continue;
    const art = { ...a, name: g, globalName: undefined, path: undefined };
    run.globals[`workflow.outputs.artifacts.${g}`] = art;
    const list = ((run.status.outputs ??= {}).artifacts ??= []);
    const i = list.findIndex((q) => q.name === g);
    if (i >= 0) list[i] = art;
    else list.push(art);
  }
}
