export { lintPaths, validateCatalog } from "./lint.js";
