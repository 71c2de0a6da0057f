import { isObject } from "../model/catalog.js";
import type { PathSeg } from "../model/load.js";
import type { DocReport } from "./report.js";
import type { Artifact } from "../model/types.js";
import { asList, hasLocation } from "./template-info.js";
import { checkParamName, checkWorkflowFieldName } from "./values.js";

/**
 * Argo's validateWorkflowFieldNames: each item of a named list has a name, the name is valid
 * (`param` rules for parameters and artifacts, `field` rules for templates, steps, tasks) and unique.
 * Returns the names in order.
 */
export function checkNames(
  report: DocReport,
  list: unknown,
  path: PathSeg[],
  rules: "param" | "field",
  noun: string,
): string[] {
  const seen = new Set<string>();
  const names: string[] = [];
  asList(list).forEach((item, i) => {
    if (!isObject(item)) {
      report.error([...path, i], `${noun} must be a map`);
      return;
    }
    const name = item.name;
    if (name === undefined || name === null || name === "") {
      report.error([...path, i], `${noun}[${i}].name is required`);
      return;
    }
    if (typeof name !== "string") return; // the field catalogue reports the type
    const err = rules === "param" ? checkParamName(name) : checkWorkflowFieldName(name);
    if (err) report.error([...path, i, "name"], `${noun} name '${name}' is invalid: ${err}`);
    if (seen.has(name)) report.error([...path, i, "name"], `${noun} name '${name}' is not unique`);
    seen.add(name);
    names.push(name);
  });
  return names;
}

const VALUE_FROM_IN_ARGUMENTS = new Set(["default", "configMapKeyRef", "supplied", "event"]);

/**
 * Argo's validateArguments. `allowEmptyValues`: workflow arguments when linting (a value can be
 * given at submit time); step and task arguments must carry a value.
 */
export function checkArguments(report: DocReport, args: unknown, path: PathSeg[], allowEmptyValues: boolean): void {
  if (!isObject(args)) return;
  checkNames(report, args.parameters, [...path, "parameters"], "param", "parameter");
  checkNames(report, args.artifacts, [...path, "artifacts"], "param", "artifact");
  asList(args.parameters).forEach((p, i) => {
    if (!isObject(p) || typeof p.name !== "string") return;
    const at = [...path, "parameters", i];
    const hasValue = p.value !== undefined && p.value !== null;
    if (!hasValue && !isObject(p.valueFrom) && !allowEmptyValues) {
      report.error(at, `argument parameter "${p.name}" needs a value (or valueFrom)`);
    }
    if (isObject(p.valueFrom)) {
      const bad = Object.keys(p.valueFrom).filter((k) => !VALUE_FROM_IN_ARGUMENTS.has(k));
      if (bad.length > 0 || !Object.keys(p.valueFrom).some((k) => k !== "default")) {
        report.error([...at, "valueFrom"], `${p.name}.valueFrom only allows: default, configMapKeyRef and supplied`);
      }
    }
    if (p.enum !== undefined && p.enum !== null) {
      const values = asList(p.enum).map(String);
      if (values.length === 0) report.error([...at, "enum"], `${p.name}.enum should contain at least one value`);
      else if (hasValue && !String(p.value).includes("{{") && !values.includes(String(p.value))) {
        report.error(
          [...at, "value"],
          `${p.name}.value should be present in ${p.name}.enum list (${values.join(", ")})`,
        );
      }
    }
  });
  asList(args.artifacts).forEach((a, i) => {
    if (!isObject(a) || typeof a.name !== "string") return;
    const at = [...path, "artifacts", i];
    const from = a.from !== undefined && a.from !== null && a.from !== "";
    if (!from && !hasLocation(a as unknown as Artifact) && !a.fromExpression) {
      report.error(at, `${a.name}.from, artifact location, or key is required`);
    }
    if (from && a.fromExpression)
      report.error(at, `${a.name} shouldn't have both \`from\` and \`fromExpression\` in Artifact`);
  });
}
