/** Rendering what users see on GitHub (check runs, annotations, masked text). Pure: no I/O. */
export {
  renderWorkflowCheckRun,
  checkRunState,
  type WorkflowCheckRunInput,
  type WorkflowCheckRun,
  type CheckRunStatus,
  type CheckRunConclusion,
} from "./check-run.js";
export { maskSecrets, createMasker, MASK } from "./mask.js";
export {
  configAnnotations,
  chunkAnnotations,
  renderConfigCheckRun,
  problemsFromConfig,
  ANNOTATIONS_PER_REQUEST,
  type AnnotationProblem,
  type CheckAnnotation,
  type ConfigCheckRun,
} from "./annotations.js";
export {
  escapeCell,
  codeFence,
  inlineCode,
  formatDuration,
  durationBetween,
  truncateToLimit,
  GITHUB_TEXT_LIMIT,
} from "./markdown.js";
export { orderNodes, type TreeEntry } from "./node-tree.js";
