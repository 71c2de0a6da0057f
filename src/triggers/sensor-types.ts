// The checked form of an Argo Events Sensor, as far as Tiphys runs it (parseSensor builds it).
import type { Condition } from "./conditions.js";
import type { ArgoEventContext, ArgoEventData } from "./event.js";
import type { GjsonSegment } from "./gjson.js";
import type { GoTemplate } from "./go-template.js";

/** Something wrong or ignored in a `.tiphys/` document; `path` is e.g. `spec.triggers[0].template.http`. */
export interface TriggerProblem {
  file: string;
  path: string;
  message: string;
  severity: "error" | "warning";
}

export type LogicalOperator = "and" | "or";
export type Comparator = "=" | "!=" | ">" | ">=" | "<" | "<=";

export interface DataFilter {
  path: string;
  segments: GjsonSegment[];
  type: "bool" | "number" | "string";
  values: string[];
  comparator: Comparator;
  template?: GoTemplate;
  /** Compiled `values` of a string filter: unanchored, as Go's regexp.Match. */
  regexes: RegExp[];
}

export interface ExprFilter {
  expr: string;
  fields: Array<{ name: string; path: string; segments: GjsonSegment[] }>;
}

export interface ContextFilter {
  type?: string;
  subject?: string;
  source?: string;
  datacontenttype?: string;
}

export interface TimeFilter {
  /** Seconds after midnight in `timezone`. */
  start: number;
  stop: number;
  timezone: string;
}

export interface DependencyFilters {
  data?: DataFilter[];
  dataLogicalOperator: LogicalOperator;
  exprs?: ExprFilter[];
  exprLogicalOperator: LogicalOperator;
  context?: ContextFilter;
  time?: TimeFilter;
}

export interface SensorDependency {
  name: string;
  eventSourceName: string;
  /** A GitHub event name, or "*" for any event. */
  eventName: string;
  filters?: DependencyFilters;
  filtersLogicalOperator: LogicalOperator;
}

export type ParameterOperation = "overwrite" | "append" | "prepend";

export interface TriggerParameter {
  dependencyName: string;
  dataKey?: GjsonSegment[];
  dataTemplate?: GoTemplate;
  contextKey?: GjsonSegment[];
  contextTemplate?: GoTemplate;
  /** The default, used when the key or template finds nothing. */
  value?: string;
  /** sjson path into the workflow manifest, e.g. `spec.arguments.parameters.0.value`. */
  dest: string;
  operation: ParameterOperation;
  /** Where the parameter is written, for messages. */
  at: string;
}

export type WorkflowSource =
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  | { kind: "inline"; manifest: any }
  | { kind: "file"; path: string }
  /** `source.git` read as a file of this same repository; `url`, if set, must name it. */
  | { kind: "git"; path: string; url?: string };

export interface SensorTrigger {
  name: string;
  /** Index in `spec.triggers`, for problem paths. */
  index: number;
  condition: Condition;
  type: "argoWorkflow" | "log";
  source?: WorkflowSource;
  /** Trigger-level parameters (mapped onto the resource) first, then `argoWorkflow.parameters`. */
  parameters: TriggerParameter[];
}

export interface ParsedSensor {
  name: string;
  file: string;
  dependencies: SensorDependency[];
  triggers: SensorTrigger[];
}

/** The latest event that passed a dependency's filters and has not been consumed by a trigger yet. */
export interface SatisfiedEvent {
  eventId: string;
  data: ArgoEventData;
  context?: ArgoEventContext;
}

export interface SensorState {
  satisfied: Record<string, SatisfiedEvent>;
}

export interface ResolvedParameter {
  dest: string;
  value: string;
  operation: ParameterOperation;
}

export interface FiredTrigger {
  triggerName: string;
  type: "argoWorkflow" | "log";
  /** What to submit (argoWorkflow only): the inline manifest as written, or a repo file to read. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  workflow?: { source: "inline" | "file"; manifest?: any; file?: string };
  /** dest → value, as resolved from the consumed events. */
  parameters: Record<string, string>;
  /** The same in order with each operation, for applyTriggerParameters. */
  parameterList: ResolvedParameter[];
  /** Dependencies whose events this firing used up. */
  consumed: string[];
}

export interface SensorEvaluation {
  /** Dependencies this event satisfied. */
  matchedDependencies: string[];
  /** Why each dependency listening for this event did not take it. */
  unmatched: Array<{ dependency: string; reason: string }>;
  fired: FiredTrigger[];
  /** Triggers whose condition held but that could not run (their events are consumed all the same, as in Argo). */
  failed: Array<{ triggerName: string; path: string; reason: string }>;
  state: SensorState;
}
