/** Absolute path of `<repo>/.tools/bin`. */
export declare function toolsBin(): string;
/** Absolute path of one tool in `<repo>/.tools/bin` (`helm`, `kubectl` or `kustomize`). */
export declare function toolPath(name: "helm" | "kubectl" | "kustomize"): string;
