export { lintPaths, validateCatalog } from "./lint.js";
export { loadLintSet, type LintSet } from "./load-lint-set.js";
