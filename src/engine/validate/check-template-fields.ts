import { isObject } from "../model/catalog.js";
import type { PathSeg } from "../model/load.js";
import type { Template } from "../model/types.js";
import { checkExpression } from "./check-expr.js";
import type { DocContext } from "./context.js";
import { didYouMean } from "./suggest.js";
import { asList, inputArtifacts, isLeaf, kindOf, outputArtifacts, outputParams, str } from "./template-info.js";
import { checkArgoDuration, checkGoDuration, checkParamName, hasTag } from "./values.js";

export const RETRY_POLICIES = ["Always", "OnFailure", "OnError", "OnTransientError"];
const RESOURCE_ACTIONS = ["get", "create", "apply", "delete", "replace", "patch"];
const MERGE_STRATEGIES = ["strategic", "merge", "json"];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** A duration field: `argo` = seconds or Go duration, `go` = Go duration only. */
function checkDuration(ctx: DocContext, value: unknown, path: PathSeg[], syntax: "argo" | "go"): void {
  if (typeof value !== "string" || hasTag(value)) return;
  const err = syntax === "argo" ? checkArgoDuration(value) : checkGoDuration(value);
  if (err) ctx.report.error(path, err);
}

function checkRetryStrategy(ctx: DocContext, rs: Record<string, unknown>, path: PathSeg[]): void {
  const policy = rs.retryPolicy;
  if (typeof policy === "string" && policy !== "" && !hasTag(policy) && !RETRY_POLICIES.includes(policy)) {
    ctx.report.error(
      [...path, "retryPolicy"],
      `${policy} is not a valid RetryPolicy: expected one of ${RETRY_POLICIES.join(", ")}${didYouMean(policy, RETRY_POLICIES)}`,
    );
  }
  if (typeof rs.limit === "string" && !hasTag(rs.limit) && !/^\d+$/.test(rs.limit)) {
    ctx.report.error([...path, "limit"], `retryStrategy.limit must be an integer or a {{variable}}, got "${rs.limit}"`);
  }
  if (isObject(rs.backoff)) {
    for (const k of ["duration", "maxDuration", "cap"])
      checkDuration(ctx, rs.backoff[k], [...path, "backoff", k], "argo");
    const f = rs.backoff.factor;
    if (typeof f === "string" && !hasTag(f) && !/^\d+$/.test(f)) {
      ctx.report.error([...path, "backoff", "factor"], `backoff.factor must be an integer, got "${f}"`);
    }
  }
  if (typeof rs.expression === "string" && rs.expression.trim() !== "") {
    checkExpression(ctx.report, [...path, "expression"], rs.expression, undefined, "retryStrategy expression");
  }
}

function checkResource(ctx: DocContext, t: Template, r: Record<string, unknown>, path: PathSeg[]): void {
  const name = str(t.name) ?? "";
  const action = str(r.action);
  if (action === undefined || action === "") {
    ctx.report.error(
      [...path, "action"],
      `templates.${name}.resource.action must be one of: ${RESOURCE_ACTIONS.join(", ")}`,
    );
  } else if (!hasTag(action) && !RESOURCE_ACTIONS.includes(action)) {
    ctx.report.error(
      [...path, "action"],
      `templates.${name}.resource.action must be one of: ${RESOURCE_ACTIONS.join(", ")}${didYouMean(action, RESOURCE_ACTIONS)}`,
    );
  }
  if (typeof r.mergeStrategy === "string" && !MERGE_STRATEGIES.includes(r.mergeStrategy)) {
    ctx.report.error(
      [...path, "mergeStrategy"],
      `resource.mergeStrategy must be one of: ${MERGE_STRATEGIES.join(", ")}`,
    );
  }
  const hasManifest = typeof r.manifest === "string" && r.manifest !== "";
  const from = isObject(r.manifestFrom) ? r.manifestFrom : undefined;
  if (action !== "delete" && action !== "get") {
    if (!hasManifest && !from) {
      ctx.report.error(
        path,
        `either templates.${name}.resource.manifest or templates.${name}.resource.manifestFrom must be specified`,
      );
    }
    if (hasManifest && from) {
      ctx.report.error(
        path,
        "shouldn't have both `manifest` and `manifestFrom` specified in `Manifest` for resource template",
      );
    }
  }
  const art = from && isObject(from.artifact) ? str(from.artifact.name) : undefined;
  if (art !== undefined) {
    const names = inputArtifacts(t).map((a) => String(a.name));
    if (!names.includes(art)) {
      ctx.report.error(
        [...path, "manifestFrom", "artifact", "name"],
        `artifact ${art} in \`manifestFrom\` refer to a non-exist artifact${didYouMean(art, names)}`,
      );
    }
  }
  ctx.report.warn(path, "resource templates need a cluster: run with `--executor kubernetes` (`--cluster simulated` or `--kubeconfig FILE`)");
}

function checkContainerSet(ctx: DocContext, t: Template, cs: Record<string, unknown>, path: PathSeg[]): void {
  const name = str(t.name) ?? "";
  const containers = asList(cs.containers);
  const names = new Set<string>();
  containers.forEach((c, i) => {
    if (!isObject(c)) return;
    const n = str(c.name);
    if (!n)
      ctx.report.error([...path, "containers", i], `templates.${name}.containerSet.containers[${i}].name is required`);
    else if (names.has(n))
      ctx.report.error(
        [...path, "containers", i, "name"],
        `templates.${name}.containerSet.containers[${i}].name '${n}' is not unique`,
      );
    else names.add(n);
  });
  containers.forEach((c, i) => {
    if (!isObject(c)) return;
    asList(c.dependencies).forEach((d, j) => {
      if (typeof d === "string" && !names.has(d)) {
        ctx.report.error(
          [...path, "containers", i, "dependencies", j],
          `containerSet container "${d}" not defined${didYouMean(d, names)}`,
        );
      }
    });
  });
  const io = inputArtifacts(t).length > 0 || outputParams(t).length > 0 || outputArtifacts(t).length > 0;
  if (io && !names.has("main")) {
    ctx.report.error(
      [...path, "containers"],
      `templates.${name}.containerSet.containers must have a container named "main" for input or output`,
    );
  }
  if (isObject(cs.retryStrategy))
    checkDuration(ctx, cs.retryStrategy.duration, [...path, "retryStrategy", "duration"], "argo");
}

function checkImage(ctx: DocContext, t: Template, kind: "container" | "script", path: PathSeg[]): void {
  const c = t[kind] as Record<string, unknown>;
  if (!isObject(c) || (typeof c.image === "string" && c.image !== "")) return;
  const dflt = isObject(ctx.templateDefaults) ? (ctx.templateDefaults as Record<string, unknown>)[kind] : undefined;
  if (isObject(dflt) && typeof dflt.image === "string" && dflt.image !== "") return;
  ctx.report.error([...path, kind], `templates.${str(t.name) ?? ""}.${kind}.image may not be empty`);
}

/** The per-field rules of a template (Argo's validateLeaf/validateNonLeaf and friends). */
export function checkTemplateFields(ctx: DocContext, t: Template, path: PathSeg[]): void {
  const name = str(t.name) ?? "";
  const kind = kindOf(t);
  const leaf = isLeaf(t);
  inputArtifacts(t).forEach((a, i) => {
    const at = [...path, "inputs", "artifacts", i];
    if (!leaf && kind !== undefined && a.path)
      ctx.report.error(
        [...at, "path"],
        `templates.${name}.inputs.artifacts.${a.name}.path only valid in container/script templates`,
      );
    if (a.from)
      ctx.report.error([...at, "from"], `templates.${name}.inputs.artifacts.${a.name}.from not valid in inputs`);
    if (isObject(a.git) && !a.git.repo)
      ctx.report.error([...at, "git"], `templates.${name}.inputs.artifacts.${a.name}.git.repo is required`);
  });
  outputArtifacts(t).forEach((a, i) => {
    const at = [...path, "outputs", "artifacts", i];
    if (!leaf && kind !== undefined && a.path)
      ctx.report.error(
        [...at, "path"],
        `templates.${name}.outputs.artifacts.${a.name}.path only valid in container/script templates`,
      );
    if (typeof a.globalName === "string" && !hasTag(a.globalName)) {
      const err = checkParamName(a.globalName);
      if (err)
        ctx.report.error([...at, "globalName"], `templates.${name}.outputs.artifacts.${a.name}.globalName: ${err}`);
    }
  });
  outputParams(t).forEach((p, i) => {
    if (typeof p.globalName === "string" && !hasTag(p.globalName)) {
      const err = checkParamName(p.globalName);
      if (err)
        ctx.report.error(
          [...path, "outputs", "parameters", i, "globalName"],
          `templates.${name}.outputs.parameters.${p.name}.globalName: ${err}`,
        );
    }
  });
  if (typeof t.timeout === "string" && t.timeout !== "" && !hasTag(t.timeout)) {
    if (kind !== undefined && !leaf)
      ctx.report.error([...path, "timeout"], `${kind} template doesn't support timeout field.`);
    else if (/^\d+$/.test(t.timeout))
      ctx.report.error([...path, "timeout"], `${name} has invalid duration format in timeout: write "${t.timeout}s"`);
    else checkDuration(ctx, t.timeout, [...path, "timeout"], "go");
  }
  const ads = t.activeDeadlineSeconds;
  if (ads !== undefined && ads !== null) {
    if (kind !== undefined && !leaf) {
      ctx.report.error(
        [...path, "activeDeadlineSeconds"],
        `templates.${name}.activeDeadlineSeconds is only valid for leaf templates`,
      );
    } else if (
      (typeof ads === "string" && !hasTag(ads) && !/^\d+$/.test(ads)) ||
      (typeof ads === "number" && ads < 0)
    ) {
      ctx.report.error(
        [...path, "activeDeadlineSeconds"],
        `templates.${name}.activeDeadlineSeconds must be a positive integer > 0 or an argo variable`,
      );
    }
  }
  if (t.parallelism !== undefined && t.parallelism !== null && leaf) {
    ctx.report.error(
      [...path, "parallelism"],
      `templates.${name}.parallelism is only valid for steps and dag templates`,
    );
  }
  if (isObject(t.retryStrategy))
    checkRetryStrategy(ctx, t.retryStrategy as Record<string, unknown>, [...path, "retryStrategy"]);
  if (isObject(t.suspend)) checkDuration(ctx, t.suspend.duration, [...path, "suspend", "duration"], "argo");
  if (isObject(t.memoize)) {
    if (!t.memoize.key) ctx.report.error([...path, "memoize"], `templates.${name}.memoize.key is required`);
    checkDuration(ctx, t.memoize.maxAge, [...path, "memoize", "maxAge"], "go");
  }
  if (isObject(t.resource)) checkResource(ctx, t, t.resource, [...path, "resource"]);
  if (isObject(t.containerSet))
    checkContainerSet(ctx, t, t.containerSet as Record<string, unknown>, [...path, "containerSet"]);
  if (t.plugin !== undefined && t.plugin !== null) {
    ctx.report.warn(
      [...path, "plugin"],
      "plugin templates need an executor plugin: `tiphys run` refuses them until one is configured",
    );
  }
  asList(t.initContainers).forEach((c, i) => {
    if (isObject(c) && !c.name)
      ctx.report.error([...path, "initContainers", i], "initContainers must all have container name");
  });
  if (kind === "container") checkImage(ctx, t, "container", path);
  if (kind === "script") checkImage(ctx, t, "script", path);
  if (isObject(t.http)) {
    const http = t.http as Record<string, unknown>;
    if (!http.url) ctx.report.error([...path, "http"], `templates.${name}.http.url is required`);
    if (typeof http.successCondition === "string" && http.successCondition.trim() !== "") {
      checkExpression(
        ctx.report,
        [...path, "http", "successCondition"],
        http.successCondition,
        undefined,
        "successCondition",
      );
    }
  }
  if (isObject(t.data)) {
    asList(t.data.transformation).forEach((tr, i) => {
      if (isObject(tr) && typeof tr.expression === "string") {
        checkExpression(
          ctx.report,
          [...path, "data", "transformation", i, "expression"],
          tr.expression,
          undefined,
          "transformation expression",
        );
      }
    });
  }
  if (isObject(t.metrics)) {
    asList(t.metrics.prometheus).forEach((m, i) => {
      if (!isObject(m)) return;
      const at = [...path, "metrics", "prometheus", i];
      if (typeof m.name === "string" && !METRIC_NAME.test(m.name)) {
        ctx.report.error(
          [...at, "name"],
          `templates.${name} metric name '${m.name}' is invalid. Metric names must contain alphanumeric characters or '_'`,
        );
      }
      if (!m.help)
        ctx.report.error(
          at,
          `templates.${name} metric '${String(m.name)}' must contain a help string under 'help: ' field`,
        );
    });
  }
}
