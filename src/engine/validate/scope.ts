import type { Template } from "../model/types.js";
import { closestMatch, didYouMean } from "./suggest.js";
import { hasOutput, kindOf, outputArtifacts, outputParams } from "./template-info.js";

/**
 * What a `{{...}}` tag may name at one place of a workflow, after Argo's validate.go
 * (`resolveAllVariables` and the scope maps of `validateSteps`/`validateDAG`). Tags under roots Argo
 * does not own (`{{status}}` in metrics, `{{ .token }}` in a manifest) are not judged.
 */

export interface GlobalScope {
  /** Declared `spec.arguments.parameters` (merged with a referenced WorkflowTemplate's). */
  parameters: Set<string>;
  /** WorkflowTemplates are linted alone: their workflow parameters may come from the Workflow. */
  anyParameter: boolean;
  labels: Set<string>;
  annotations: Set<string>;
  priority: boolean;
  outputParameters: Set<string>;
  anyOutputParameter: boolean;
  outputArtifacts: Set<string>;
  anyOutputArtifact: boolean;
}

export interface NodeRef {
  /** The template it calls; undefined when it cannot be resolved here (then anything goes). */
  template?: Template;
  templateName: string;
  aggregate: boolean;
}

export interface VarScope {
  global: GlobalScope;
  templateName: string;
  leaf: boolean;
  pod: boolean;
  retry: boolean;
  inputParams: Set<string>;
  inputArtifacts: Set<string>;
  /** Output name → whether it has a `path` (for `{{outputs.parameters.X.path}}`). */
  outputParams: Map<string, boolean>;
  outputArtifacts: Map<string, boolean>;
  /** undefined: not in a loop. */
  loop?: { anyKey: boolean; keys: Set<string>; sequence: boolean };
  nodeKind?: "steps" | "tasks";
  /** Every step/task of the template. */
  nodes: Map<string, NodeRef>;
  /** The ones this place may reference. */
  visible: Set<string>;
  /** The step/task being checked, for messages. */
  self?: string;
  /** Inside `metrics`: Argo's own metric variables and any `outputs.*` are allowed. */
  metrics: boolean;
}

const WORKFLOW_EXACT = new Set([
  "name",
  "namespace",
  "uid",
  "mainEntrypoint",
  "serviceAccountName",
  "status",
  "failures",
  "duration",
]);
const WORKFLOW_PREFIXES = ["creationTimestamp", "scheduledTime", "duration"];
const VARIABLE_ROOTS = [
  "inputs",
  "outputs",
  "steps",
  "tasks",
  "workflow",
  "item",
  "pod",
  "retries",
  "lastRetry",
  "node",
];
const LAST_RETRY = ["exitCode", "status", "duration", "message"];
const NODE_FIELDS = ["id", "startedAt", "finishedAt", "hostNodeName", "status", "ip", "exitCode", "outputs"];

function fail(tag: string, why: string): string {
  return `failed to resolve {{${tag}}}: ${why}`;
}

function resolveInputs(scope: VarScope, tag: string, rest: string[], partial: boolean): string | undefined {
  const [what, ...nameParts] = rest;
  if (what === "parameters") {
    if (nameParts.length === 0) {
      return scope.inputParams.size > 0 || partial
        ? undefined
        : fail(tag, `template "${scope.templateName}" has no input parameters`);
    }
    const name = partial ? nameParts[0] : nameParts.join(".");
    if (scope.inputParams.has(name)) return undefined;
    return fail(
      tag,
      `template "${scope.templateName}" has no input parameter "${name}"${didYouMean(name, scope.inputParams)}`,
    );
  }
  if (what === "artifacts") {
    if (nameParts.length === 0) return partial ? undefined : fail(tag, "name an input artifact");
    let name = partial ? nameParts[0] : nameParts.join(".");
    let isPath = false;
    if (!scope.inputArtifacts.has(name) && name.endsWith(".path")) {
      name = name.slice(0, -".path".length);
      isPath = true;
    }
    if (!scope.inputArtifacts.has(name)) {
      return fail(
        tag,
        `template "${scope.templateName}" has no input artifact "${name}"${didYouMean(name, scope.inputArtifacts)}`,
      );
    }
    if (isPath && !scope.leaf)
      return fail(tag, "inputs.artifacts.X.path only exists in container, script and other pod templates");
    return undefined;
  }
  if (partial && what === undefined) return undefined;
  return fail(
    tag,
    `expected inputs.parameters.NAME or inputs.artifacts.NAME${didYouMean(what ?? "", ["parameters", "artifacts"])}`,
  );
}

function resolveOutputs(scope: VarScope, tag: string, rest: string[]): string | undefined {
  const [what, ...nameParts] = rest;
  const declared =
    what === "parameters" ? scope.outputParams : what === "artifacts" ? scope.outputArtifacts : undefined;
  if (!declared || nameParts.length === 0) return undefined; // outputs.result, outputs.exitCode ...
  let name = nameParts.join(".");
  let isPath = false;
  if (!declared.has(name) && name.endsWith(".path")) {
    name = name.slice(0, -".path".length);
    isPath = true;
  }
  const kind = what === "parameters" ? "output parameter" : "output artifact";
  if (!declared.has(name)) {
    return fail(tag, `template "${scope.templateName}" has no ${kind} "${name}"${didYouMean(name, declared.keys())}`);
  }
  if (isPath && !declared.get(name)) return fail(tag, `${kind} "${name}" has no path`);
  return undefined;
}

function resolveWorkflow(scope: VarScope, tag: string, rest: string[], partial: boolean): string | undefined {
  const g = scope.global;
  const [what, ...more] = rest;
  if (what === undefined) return partial ? undefined : fail(tag, "name a workflow variable");
  const key = more.join(".");
  if (WORKFLOW_EXACT.has(what) && more.length === 0) return undefined;
  if (WORKFLOW_PREFIXES.includes(what)) return undefined;
  if (what === "priority") {
    return g.priority ? undefined : fail(tag, "{{workflow.priority}} is only set when spec.priority is");
  }
  if (what === "parameters") {
    if (more.length === 0 || (key === "json" && !g.parameters.has("json"))) {
      return g.parameters.size > 0 || g.anyParameter || partial
        ? undefined
        : fail(tag, "spec.arguments.parameters is empty");
    }
    const name = partial ? more[0] : key;
    if (g.parameters.has(name) || g.anyParameter) return undefined;
    const declared = g.parameters.size ? `${didYouMean(name, g.parameters)}` : " (spec.arguments.parameters is empty)";
    return fail(tag, `no workflow parameter "${name}" in spec.arguments.parameters${declared}`);
  }
  if (what === "labels" || what === "annotations") {
    const keys = what === "labels" ? g.labels : g.annotations;
    if (more.length === 0 || key === "json" || partial || keys.has(key)) return undefined;
    return fail(
      tag,
      `the workflow has no ${what.slice(0, -1)} "${key}" (metadata.${what} or spec.workflowMetadata.${what})${didYouMean(key, keys)}`,
    );
  }
  if (what === "outputs") {
    const [kind, ...nameParts] = more;
    const name = nameParts.join(".");
    if (partial && nameParts.length === 0) return undefined;
    if (kind === "parameters") {
      if (g.anyOutputParameter || g.outputParameters.has(name)) return undefined;
      return fail(tag, `no output parameter has globalName "${name}"${didYouMean(name, g.outputParameters)}`);
    }
    if (kind === "artifacts") {
      if (g.anyOutputArtifact || g.outputArtifacts.has(name)) return undefined;
      return fail(tag, `no output artifact has globalName "${name}"${didYouMean(name, g.outputArtifacts)}`);
    }
    return fail(tag, "expected workflow.outputs.parameters.NAME or workflow.outputs.artifacts.NAME");
  }
  const known = [
    ...WORKFLOW_EXACT,
    "creationTimestamp",
    "scheduledTime",
    "priority",
    "parameters",
    "labels",
    "annotations",
    "outputs",
  ];
  return fail(tag, `unknown workflow variable "workflow.${what}"${didYouMean(what, known)}`);
}

function resolveNodeField(
  scope: VarScope,
  tag: string,
  ref: NodeRef,
  name: string,
  field: string[],
  partial: boolean,
): string | undefined {
  const t = ref.template;
  if (!t || field.length === 0) return undefined;
  const [first, second, ...restNames] = field;
  const who = `${scope.nodeKind === "tasks" ? "task" : "step"} "${name}"`;
  if (!NODE_FIELDS.includes(first)) {
    return fail(tag, `unknown field "${first}" of ${who}${didYouMean(first, NODE_FIELDS)}`);
  }
  if (first === "ip") {
    return t.daemon === true
      ? undefined
      : fail(
          tag,
          `${who} calls template "${ref.templateName}", which is not a daemon: only daemon templates have an ip`,
        );
  }
  const scriptLike = kindOf(t) === "script" || kindOf(t) === "containerSet";
  if (first === "exitCode") {
    return hasOutput(t) || (ref.aggregate && scriptLike)
      ? undefined
      : fail(tag, `template "${ref.templateName}" has no exit code`);
  }
  if (first !== "outputs" || second === undefined) return undefined;
  if (second === "result") {
    if (hasOutput(t) || (ref.aggregate && scriptLike)) return undefined;
    return fail(tag, `template "${ref.templateName}" (${kindOf(t) ?? "no"} template) produces no outputs.result`);
  }
  const declared = second === "parameters" ? outputParams(t) : second === "artifacts" ? outputArtifacts(t) : undefined;
  if (!declared) return fail(tag, `expected outputs.result, outputs.parameters.NAME or outputs.artifacts.NAME`);
  if (restNames.length === 0) {
    if (second === "parameters" && (ref.aggregate || partial)) return undefined;
    return partial ? undefined : fail(tag, `name one of the outputs of template "${ref.templateName}"`);
  }
  const outName = partial ? restNames[0] : restNames.join(".");
  const names = declared.map((p) => String(p.name));
  if (names.includes(outName)) return undefined;
  const kind = second === "parameters" ? "output parameter" : "output artifact";
  return fail(
    tag,
    `template "${ref.templateName}" (called by ${who}) has no ${kind} "${outName}"${didYouMean(outName, names)}`,
  );
}

function resolveNode(
  scope: VarScope,
  root: "steps" | "tasks",
  tag: string,
  rest: string[],
  partial: boolean,
): string | undefined {
  if (rest.length === 0) return partial ? undefined : fail(tag, `name a ${root === "steps" ? "step" : "task"}`);
  if (rest[0] === "name" && rest.length === 1) return undefined; // the current step/task's name
  const noun = root === "steps" ? "step" : "task";
  if (scope.nodeKind !== root) {
    const where = scope.nodeKind
      ? `a ${scope.nodeKind === "steps" ? "steps" : "dag"} template`
      : `template "${scope.templateName}"`;
    return fail(
      tag,
      `{{${root}.*}} only exists in a ${root === "steps" ? "steps" : "dag"} template, and this is ${where}`,
    );
  }
  // Step and task names may not contain dots, so the name is the first segment.
  const [name, ...field] = rest;
  const ref = scope.nodes.get(name);
  if (!ref)
    return fail(tag, `no ${noun} "${name}" in template "${scope.templateName}"${didYouMean(name, scope.nodes.keys())}`);
  if (!scope.visible.has(name)) {
    if (root === "steps") {
      return fail(
        tag,
        `step "${name}" does not run before ${scope.self ? `step "${scope.self}"` : "this point"}: only steps of earlier groups can be referenced`,
      );
    }
    return fail(
      tag,
      `task "${name}" is not an ancestor of task "${scope.self ?? "?"}": add it to depends (or dependencies)`,
    );
  }
  return resolveNodeField(scope, tag, ref, name, field, partial);
}

function resolveItem(scope: VarScope, tag: string, rest: string[]): string | undefined {
  const loop = scope.loop;
  if (!loop) return fail(tag, "{{item}} is only set in a step or task with withItems, withParam or withSequence");
  if (rest.length === 0 || loop.anyKey) return undefined;
  if (loop.sequence) return fail(tag, "withSequence items are numbers: use {{item}}");
  const key = rest.join(".");
  if (loop.keys.has(key) || loop.keys.has(rest[0])) return undefined;
  if (loop.keys.size === 0) return fail(tag, "the withItems items are not maps: use {{item}}");
  return fail(tag, `no withItems item has the key "${key}"${didYouMean(key, loop.keys)}`);
}

/** Resolves a dotted name (a simple tag, or the identifier chain of an expression when `partial`). */
function resolveName(scope: VarScope, tag: string, segments: string[], partial: boolean): string | undefined {
  const [root, ...rest] = segments;
  switch (root) {
    case "inputs":
      return resolveInputs(scope, tag, rest, partial);
    case "outputs":
      return scope.metrics || partial ? undefined : resolveOutputs(scope, tag, rest);
    case "pod":
      if (rest.length === 0 && partial) return undefined;
      if (rest.join(".") !== "name") return fail(tag, `unknown pod variable${didYouMean(rest.join("."), ["name"])}`);
      return scope.pod
        ? undefined
        : fail(
            tag,
            "{{pod.name}} is only set in templates that run a pod (container, script, containerSet, resource, data)",
          );
    case "workflow":
      return resolveWorkflow(scope, tag, rest, partial);
    case "steps":
    case "tasks":
      return resolveNode(scope, root, tag, rest, partial);
    case "item":
      return resolveItem(scope, tag, partial ? rest.slice(0, 1) : rest);
    case "retries":
      if (scope.metrics || rest.length > 0) return undefined;
      return scope.retry ? undefined : fail(tag, "{{retries}} is only set in a template with a retryStrategy");
    case "lastRetry":
      if (!scope.retry) return fail(tag, "{{lastRetry.*}} is only set in a template with a retryStrategy");
      if (rest.length === 0 || LAST_RETRY.includes(rest[0])) return undefined;
      return fail(tag, `unknown lastRetry field "${rest[0]}"${didYouMean(rest[0], LAST_RETRY)}`);
    case "node":
      return undefined;
    default: {
      // Metric variables and tags of other tools are not ours to judge, but a near miss of one of
      // Argo's roots ({{itme}}, {{input.parameters.x}}) is a typo.
      if (scope.metrics || partial || !/^[A-Za-z][\w-]*$/.test(root)) return undefined;
      const near = closestMatch(root, VARIABLE_ROOTS);
      return near ? fail(tag, `unknown variable "${root}" (did you mean "${near}"?)`) : undefined;
    }
  }
}

/** The error of a simple `{{tag}}` (trimmed inner text), or undefined if it resolves. */
export function resolveTag(scope: VarScope, tag: string): string | undefined {
  if (!/^[A-Za-z]/.test(tag)) return undefined;
  return resolveName(scope, tag, tag.split("."), false);
}

/** The error of an identifier chain of an expression (`inputs.parameters['x']` → inputs, parameters, x). */
export function resolveChain(scope: VarScope, chain: string[]): string | undefined {
  if (chain.length === 0) return undefined;
  const err = resolveName(scope, chain.join("."), chain, true);
  return err;
}

/** What a step gives the inline template it carries: its loop, the steps/tasks it sees, the caller's inputs. */
export type OuterScope = Partial<
  Pick<VarScope, "loop" | "nodes" | "visible" | "nodeKind" | "self" | "inputParams" | "inputArtifacts">
>;

export function emptyGlobalScope(): GlobalScope {
  return {
    parameters: new Set(),
    anyParameter: false,
    labels: new Set(),
    annotations: new Set(),
    priority: false,
    outputParameters: new Set(),
    anyOutputParameter: false,
    outputArtifacts: new Set(),
    anyOutputArtifact: false,
  };
}
