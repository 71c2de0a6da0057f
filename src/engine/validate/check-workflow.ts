import type { ConfigProblem } from "../../core/errors.js";
import {
  isObject,
  templateMap,
  workflowSpecOf,
  type Catalog,
  type CatalogEntry,
  type TemplateScope,
} from "../model/catalog.js";
import type { PathSeg } from "../model/load.js";
import type { Arguments, Artifact, Parameter, Template, WorkflowSpec } from "../model/types.js";
import { checkArguments, checkNames } from "./check-arguments.js";
import { checkHooks } from "./check-call.js";
import { checkCron } from "./check-cron.js";
import { checkExpression } from "./check-expr.js";
import { checkTemplate } from "./check-template.js";
import { checkSupplied, resolveTemplateName, type DocContext } from "./context.js";
import type { FieldChecker } from "./field-check.js";
import { buildGlobalScope } from "./global-scope.js";
import { DocReport } from "./report.js";
import { didYouMean } from "./suggest.js";
import { asList, str } from "./template-info.js";
import { checkGenerateName, checkObjectName } from "./values.js";

const POD_GC_STRATEGIES = ["OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"];
const SHUTDOWN = ["Stop", "Terminate"];

function checkMetadata(report: DocReport, entry: CatalogEntry): void {
  const meta = entry.manifest.metadata;
  if (!isObject(meta)) return;
  const name = meta.name;
  const gen = meta.generateName;
  if ((typeof name !== "string" || name === "") && (typeof gen !== "string" || gen === "")) {
    // Argo's lint does not require it, the API server does (`tiphys run` can do without).
    report.warn(
      ["metadata"],
      "metadata.name or metadata.generateName is required: Kubernetes refuses the object without one",
    );
    return;
  }
  if (typeof name === "string" && name !== "") {
    const err = checkObjectName(name);
    if (err) report.error(["metadata", "name"], `metadata.name "${name}" is invalid: ${err}`);
    const max = entry.kind === "CronWorkflow" ? 52 : 63;
    if (name.length > max) {
      const noun = {
        Workflow: "workflow",
        WorkflowTemplate: "workflow template",
        ClusterWorkflowTemplate: "cluster workflow template",
        CronWorkflow: "cron workflow",
      }[entry.kind];
      report.error(
        ["metadata", "name"],
        `${noun} name "${name}" must not be more than ${max} characters long (currently ${name.length})`,
      );
    }
  } else if (typeof gen === "string") {
    const err = checkGenerateName(gen);
    if (err) report.error(["metadata", "generateName"], `metadata.generateName "${gen}" is invalid: ${err}`);
  }
}

function ownScope(entry: CatalogEntry, spec: WorkflowSpec): TemplateScope {
  const kind = entry.kind === "WorkflowTemplate" || entry.kind === "ClusterWorkflowTemplate" ? entry.kind : "Workflow";
  return { kind, name: entry.name, templates: templateMap(spec) };
}

/** spec.workflowTemplateRef: the WorkflowTemplate must exist, and spec.templates must be empty. */
function resolveWorkflowTemplateRef(
  report: DocReport,
  catalog: Catalog,
  spec: WorkflowSpec,
  specPath: PathSeg[],
): { entry?: CatalogEntry; scope?: TemplateScope } {
  const ref = spec.workflowTemplateRef as Record<string, unknown>;
  if (asList(spec.templates).length > 0) {
    report.keyError(
      [...specPath, "templates"],
      "Templates is invalid field in spec if workflow referred WorkflowTemplate reference: remove spec.templates or spec.workflowTemplateRef",
    );
  }
  const name = str(ref.name);
  const clusterScope = ref.clusterScope === true;
  const kind = clusterScope ? "ClusterWorkflowTemplate" : "WorkflowTemplate";
  if (!name) {
    report.error([...specPath, "workflowTemplateRef"], "workflowTemplateRef.name is required");
    return {};
  }
  const entry = catalog.workflowTemplate(name, clusterScope);
  if (!entry) {
    const candidates = catalog.entries.filter((e) => e.kind === kind).map((e) => e.name);
    const other = catalog.workflowTemplate(name, !clusterScope)
      ? ` (a ${clusterScope ? "WorkflowTemplate" : "ClusterWorkflowTemplate"} of that name exists: set clusterScope: ${!clusterScope})`
      : didYouMean(name, candidates);
    report.error(
      [...specPath, "workflowTemplateRef", "name"],
      `${kind} "${name}" not found (spec.workflowTemplateRef): pass its file or --templates DIR${other}`,
    );
    return {};
  }
  return { entry, scope: catalog.scopeOf(name, clusterScope) };
}

function checkSpecValues(ctx: DocContext, spec: WorkflowSpec): void {
  const { report, specPath } = ctx;
  const podGC = spec.podGC as Record<string, unknown> | undefined;
  if (
    isObject(podGC) &&
    typeof podGC.strategy === "string" &&
    podGC.strategy !== "" &&
    !POD_GC_STRATEGIES.includes(podGC.strategy)
  ) {
    report.error(
      [...specPath, "podGC", "strategy"],
      `podGC.strategy unknown strategy '${podGC.strategy}'${didYouMean(podGC.strategy, POD_GC_STRATEGIES)}`,
    );
  }
  const shutdown: unknown = spec.shutdown;
  if (typeof shutdown === "string" && shutdown !== "" && !SHUTDOWN.includes(shutdown)) {
    report.error([...specPath, "shutdown"], `spec.shutdown must be one of: ${SHUTDOWN.join(", ")}`);
  }
  const wm = spec.workflowMetadata as Record<string, unknown> | undefined;
  if (isObject(wm) && isObject(wm.labelsFrom)) {
    for (const [k, v] of Object.entries(wm.labelsFrom)) {
      if (isObject(v) && typeof v.expression === "string") {
        checkExpression(
          report,
          [...specPath, "workflowMetadata", "labelsFrom", k, "expression"],
          v.expression,
          undefined,
          "labelsFrom expression",
        );
      }
    }
  }
}

/** The entrypoint, onExit and hooks of a workflow: they must resolve, with the inputs they need. */
function checkEntryPoints(
  ctx: DocContext,
  spec: WorkflowSpec,
  refEntry: CatalogEntry | undefined,
  refMissing: boolean,
): void {
  const { report, specPath, kind } = ctx;
  const refSpec = refEntry ? workflowSpecOf(refEntry.manifest) : undefined;
  const runnable = kind === "Workflow" || kind === "CronWorkflow";
  const merged: Arguments = {
    parameters: [
      ...asList<Parameter>(spec.arguments?.parameters),
      ...asList<Parameter>(refSpec?.arguments?.parameters),
    ],
    artifacts: [...asList<Artifact>(spec.arguments?.artifacts), ...asList<Artifact>(refSpec?.arguments?.artifacts)],
  };
  const argsPath = spec.arguments ? [...specPath, "arguments"] : undefined;
  let entrypoint = str(spec.entrypoint);
  let entryPath: PathSeg[] = [...specPath, "entrypoint"];
  if (!entrypoint && refSpec) {
    entrypoint = str(refSpec.entrypoint);
    entryPath = [...specPath, "workflowTemplateRef"];
  }
  if (entrypoint) {
    const called = resolveTemplateName(ctx, entrypoint, entryPath);
    if (runnable) checkSupplied(ctx, called, merged, argsPath ?? entryPath, "spec.arguments");
  } else if (runnable && !refMissing) {
    report.error(specPath, "spec.entrypoint is required");
  }
  const onExit = str(spec.onExit) ?? (refSpec ? str(refSpec.onExit) : undefined);
  if (onExit) {
    const called = resolveTemplateName(
      ctx,
      onExit,
      spec.onExit ? [...specPath, "onExit"] : [...specPath, "workflowTemplateRef"],
    );
    checkSupplied(ctx, called, spec.arguments, argsPath ?? [...specPath, "onExit"], "spec.arguments");
  }
  checkHooks(ctx, spec.hooks, [...specPath, "hooks"], "the workflow");
}

/** Every rule of one Workflow, WorkflowTemplate, ClusterWorkflowTemplate or CronWorkflow. */
export function checkWorkflowDocument(
  entry: CatalogEntry,
  catalog: Catalog,
  fields: FieldChecker,
  out: ConfigProblem[],
): void {
  const report = new DocReport(entry.doc, out);
  fields.check(entry.doc.data, `@${entry.kind}`, [], report);
  checkMetadata(report, entry);
  const specPath: PathSeg[] = entry.kind === "CronWorkflow" ? ["spec", "workflowSpec"] : ["spec"];
  if (entry.kind === "CronWorkflow") {
    checkCron(report, entry.manifest.spec as unknown as Record<string, unknown>);
    if (!isObject((entry.manifest.spec as unknown as Record<string, unknown>).workflowSpec)) {
      report.error(["spec"], "spec.workflowSpec is required");
      return;
    }
  }
  const spec = workflowSpecOf(entry.manifest);
  if (!isObject(spec)) return;
  let ref: { entry?: CatalogEntry; scope?: TemplateScope } = {};
  const hasRef = isObject(spec.workflowTemplateRef);
  if (hasRef) ref = resolveWorkflowTemplateRef(report, catalog, spec, specPath);
  const own = ownScope(entry, spec);
  const ctx: DocContext = {
    report,
    catalog,
    kind: entry.kind,
    specPath,
    spec: spec as Record<string, unknown>,
    scope: ref.scope ?? own,
    global: buildGlobalScope(entry, spec, ref.entry, catalog),
    templateDefaults: isObject(spec.templateDefaults) ? (spec.templateDefaults as Template) : undefined,
  };
  checkArguments(report, spec.arguments, [...specPath, "arguments"], true);
  checkSpecValues(ctx, spec);
  checkNames(report, spec.templates, [...specPath, "templates"], "field", "template");
  const templateCtx: DocContext = { ...ctx, scope: own };
  asList(spec.templates).forEach((t, i) => checkTemplate(templateCtx, t, [...specPath, "templates", i]));
  if (hasRef && !ref.scope) return; // nothing more can be resolved without the WorkflowTemplate
  checkEntryPoints(ctx, spec, ref.entry, hasRef && !ref.scope);
}
