// Reads one `spec.triggers[]` entry: its condition, its type (argoWorkflow or log), the workflow it
// submits and the parameters it maps from events. Everything Tiphys cannot do is a problem with a path.
import { parse as parseYaml } from "yaml";
import { formatPath, type Checker, type Path } from "./check.js";
import { allOf, parseCondition, type Condition } from "./conditions.js";
import { gjsonPath, goTemplate } from "./dependency-parse.js";
import type { ParameterOperation, SensorTrigger, TriggerParameter, WorkflowSource } from "./sensor-types.js";

const ARGO_TRIGGER_TYPES = [
  "k8s", "argoWorkflow", "http", "awsLambda", "custom", "kafka", "nats", "slack", "openWhisk", "log",
  "azureEventHubs", "azureServiceBus", "pulsar", "email",
];
const OPERATIONS: readonly ParameterOperation[] = ["overwrite", "append", "prepend"];
/** Trigger-level parameters edit the trigger template; this prefix of `dest` reaches the workflow itself. */
const RESOURCE_PREFIX = "argoWorkflow.source.resource.";

function parseParameter(c: Checker, raw: unknown, path: Path, deps: readonly string[], prefix = ""): TriggerParameter | undefined {
  const p = c.object(raw, path, true);
  if (!p) return undefined;
  c.keys(p, path, ["src", "dest", "operation"]);
  const srcPath = [...path, "src"];
  const src = c.object(p.src, srcPath, true);
  let dest = c.string(p.dest, [...path, "dest"], true);
  const operation = c.oneOf(p.operation, [...path, "operation"], OPERATIONS, "overwrite");
  if (dest !== undefined && prefix) {
    if (!dest.startsWith(prefix)) {
      c.error([...path, "dest"], `trigger-level parameters are supported by Tiphys only with dest under ${prefix} (use template.argoWorkflow.parameters)`);
      return undefined;
    }
    dest = dest.slice(prefix.length);
  }
  if (!src) return undefined;
  c.keys(src, srcPath, ["dependencyName", "dataKey", "dataTemplate", "contextKey", "contextTemplate", "value"], {
    useRawData: "ignored: Tiphys writes every parameter as a string",
  });
  const dependencyName = c.string(src.dependencyName, [...srcPath, "dependencyName"], true);
  if (dependencyName !== undefined && !deps.includes(dependencyName)) {
    c.error([...srcPath, "dependencyName"], `"${dependencyName}" is not a dependency of this Sensor (dependencies: ${deps.join(", ")})`);
  }
  const key = (k: string) => (src[k] === undefined ? undefined : gjsonPath(c, src[k], [...srcPath, k]));
  const value = src.value === undefined || src.value === null ? undefined : String(src.value);
  const param: TriggerParameter = {
    dependencyName: dependencyName ?? "",
    dataKey: key("dataKey"),
    dataTemplate: goTemplate(c, src.dataTemplate, [...srcPath, "dataTemplate"]),
    contextKey: key("contextKey"),
    contextTemplate: goTemplate(c, src.contextTemplate, [...srcPath, "contextTemplate"]),
    value,
    dest: dest ?? "",
    operation,
    at: formatPath(path),
  };
  if (!param.dataKey && !param.dataTemplate && !param.contextKey && !param.contextTemplate && value === undefined) {
    c.error(srcPath, "needs dataKey, dataTemplate, contextKey, contextTemplate or value");
  }
  return param;
}

function parseSource(c: Checker, raw: unknown, path: Path): WorkflowSource | undefined {
  const s = c.object(raw, path, true);
  if (!s) return undefined;
  const elsewhere = "is not supported by Tiphys: put the Workflow in this repository and use source.file.path or source.resource";
  c.keys(s, path, ["resource", "inline", "file", "git"], { url: elsewhere, s3: elsewhere, configmap: elsewhere });
  const kinds = ["resource", "inline", "file", "git"].filter((k) => s[k] !== undefined);
  if (kinds.length !== 1) {
    if (kinds.length > 1) c.error(path, `set exactly one of ${kinds.join(", ")}`);
    else if (Object.keys(s).every((k) => ["resource", "inline", "file", "git"].includes(k))) c.error(path, "needs resource, inline, file or git");
    return undefined;
  }
  const checkKind = (manifest: unknown, at: Path): boolean => {
    const m = c.object(manifest, at, true);
    if (m && m.kind !== "Workflow") c.error([...at, "kind"], `argoWorkflow submits a Workflow, not ${JSON.stringify(m.kind ?? null)}`);
    return m !== undefined && m.kind === "Workflow";
  };
  if (s.resource !== undefined) return checkKind(s.resource, [...path, "resource"]) ? { kind: "inline", manifest: s.resource } : undefined;
  if (s.inline !== undefined) {
    const text = c.string(s.inline, [...path, "inline"], true);
    if (text === undefined) return undefined;
    let manifest: unknown;
    try {
      manifest = parseYaml(text);
    } catch (e) {
      c.error([...path, "inline"], `cannot parse the inline YAML: ${(e as Error).message.split("\n")[0]}`);
      return undefined;
    }
    return checkKind(manifest, [...path, "inline"]) ? { kind: "inline", manifest } : undefined;
  }
  const filePath = (value: unknown, at: Path): string | undefined => {
    const p = c.string(value, at, true);
    if (p !== undefined && (p.startsWith("/") || p.split("/").includes(".."))) {
      c.error(at, `"${p}" must be a path inside this repository, relative to its root`);
      return undefined;
    }
    return p?.replace(/^(\.\/)+/, "");
  };
  if (s.file !== undefined) {
    const f = c.object(s.file, [...path, "file"], true);
    if (!f) return undefined;
    c.keys(f, [...path, "file"], ["path"]);
    const p = filePath(f.path, [...path, "file", "path"]);
    return p === undefined ? undefined : { kind: "file", path: p };
  }
  const g = c.object(s.git, [...path, "git"], true);
  if (!g) return undefined;
  const revision = "ignored: Tiphys reads filePath at the commit of the event";
  c.keys(g, [...path, "git"], ["filePath", "url", "cloneDirectory", "creds", "sshKeySecret", "insecureIgnoreHostKey"], {
    branch: revision, tag: revision, ref: revision, commit: revision,
    remote: "is not supported by Tiphys: the workflow must come from this repository",
  });
  const p = filePath(g.filePath, [...path, "git", "filePath"]);
  const url = c.string(g.url, [...path, "git", "url"], false);
  return p === undefined ? undefined : { kind: "git", path: p, url };
}

function parseConditions(c: Checker, value: unknown, path: Path, deps: readonly string[]): Condition | undefined {
  if (value === undefined || value === null || value === "") return deps.length > 0 ? allOf(deps) : undefined;
  const text = c.string(value, path, true);
  if (text === undefined) return undefined;
  try {
    return parseCondition(text, deps);
  } catch (e) {
    c.error(path, (e as Error).message);
    return undefined;
  }
}

export function parseTrigger(c: Checker, raw: unknown, index: number, deps: readonly string[]): SensorTrigger | undefined {
  const path: Path = ["spec", "triggers", index];
  const t = c.object(raw, path, true);
  if (!t) return undefined;
  const ignored = "ignored by Tiphys";
  c.keys(t, path, ["template", "parameters"], {
    policy: ignored, retryStrategy: ignored, rateLimit: ignored, atLeastOnce: ignored, dlqTrigger: ignored,
  });
  const tplPath = [...path, "template"];
  const tpl = c.object(t.template, tplPath, true);
  if (!tpl) return undefined;
  const unsupportedTypes = Object.fromEntries(
    ARGO_TRIGGER_TYPES.filter((k) => k !== "argoWorkflow" && k !== "log").map((k) => [k, "trigger is not supported by Tiphys (supported: argoWorkflow, log)"]),
  );
  c.keys(tpl, tplPath, ["name", "conditions", "argoWorkflow", "log"], {
    ...unsupportedTypes,
    conditionsReset: "ignored by Tiphys: a satisfied dependency waits until the trigger fires",
  });
  const name = c.string(tpl.name, [...tplPath, "name"], true);
  const condition = parseConditions(c, tpl.conditions, [...tplPath, "conditions"], deps);
  const types = ARGO_TRIGGER_TYPES.filter((k) => tpl[k] !== undefined);
  if (types.length === 0) c.error(tplPath, "needs a trigger type: argoWorkflow or log");
  if (types.length > 1) c.error(tplPath, `has several trigger types (${types.join(", ")}): set exactly one`);
  const parameters: TriggerParameter[] = [];
  (c.list(t.parameters, [...path, "parameters"], false) ?? []).forEach((p, i) => {
    const param = parseParameter(c, p, [...path, "parameters", i], deps, RESOURCE_PREFIX);
    if (param) parameters.push(param);
  });
  if (types.length !== 1 || !name || !condition) return undefined;
  // Any other type was reported above as not supported.
  if (types[0] !== "argoWorkflow" && types[0] !== "log") return undefined;
  if (types[0] === "log") {
    const log = c.object(tpl.log, [...tplPath, "log"], false);
    if (log) c.keys(log, [...tplPath, "log"], ["intervalSeconds"]);
    if (parameters.length > 0) c.error([...path, "parameters"], "a log trigger has no workflow to write parameters into");
    return { name, index, condition, type: "log", parameters: [] };
  }
  const awPath = [...tplPath, "argoWorkflow"];
  const aw = c.object(tpl.argoWorkflow, awPath, true);
  if (!aw) return undefined;
  c.keys(aw, awPath, ["operation", "source", "parameters"], {
    args: "is not supported by Tiphys: set the options in the Workflow spec",
  });
  const op = aw.operation ?? "submit";
  if (op !== "submit") {
    c.error([...awPath, "operation"], `operation "${String(op)}" is not supported by Tiphys (only submit)`);
  }
  const source = parseSource(c, aw.source, [...awPath, "source"]);
  (c.list(aw.parameters, [...awPath, "parameters"], false) ?? []).forEach((p, i) => {
    const param = parseParameter(c, p, [...awPath, "parameters", i], deps);
    if (param) parameters.push(param);
  });
  return source ? { name, index, condition, type: "argoWorkflow", source, parameters } : undefined;
}
