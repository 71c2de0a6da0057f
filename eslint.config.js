// ESLint flat config: typescript-eslint's recommended rules (syntax only, not type-aware, to stay fast)
// and the import boundaries of ../shared/ARCHITECTURE.md.
//
// Boundaries use `no-restricted-imports`. In a flat config the last matching object replaces a rule's
// options instead of merging them, so every folder below gets one object whose option list is built
// here in full: the SDKs it may not import plus its layer's forbidden folders. Keep the `files` globs of
// the boundary objects disjoint. test/lint-boundaries.test.ts checks that the rules still fire.
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import tseslint from "typescript-eslint";

/** Each SDK may be imported by exactly one adapter (or test wrapper). */
const SDKS = [
  { name: "octokit", regex: "^(octokit|@octokit/.*)$", owner: "src/github/**" },
  { name: "@kubernetes/client-node", regex: "^@kubernetes/client-node(/.*)?$", owner: "src/cluster/**" },
  { name: "simple-git", regex: "^simple-git(/.*)?$", owner: "src/repo/git.ts" },
  {
    name: "the database driver",
    regex: "^(pg|pg/.*|@electric-sql/pglite(/.*)?|better-sqlite3(/.*)?)$",
    owner: "src/store/**",
  },
  { name: "nock", regex: "^nock(/.*)?$", owner: "test/helpers/**" },
  { name: "the AWS SDK", regex: "^@aws-sdk/.*$", owner: "src/s3/**" },
];

const sdkPatterns = (allowedOwner) =>
  SDKS.filter((s) => s.owner !== allowedOwner).map((s) => ({
    regex: s.regex,
    message: `only ${s.owner} may import ${s.name}; go through that module (ARCHITECTURE.md: one module per SDK).`,
  }));

/** The core (engine, reconcilers, triggers, chatops) knows nothing of GitHub or of the terminal. */
const CORE = ["src/engine/**", "src/reconcilers/**", "src/triggers/**", "src/chatops/**", "src/schedules/**", "src/reporting/**", "src/core/**"];
const corePatterns = [
  {
    // Relative imports: `../../cli/main.js` and the like.
    group: ["**/cli/**", "**/handlers/**", "**/github/**", "**/app/**", "**/repo/**", "**/store/**", "**/cluster/**", "**/s3/**", "**/simcluster/**", "**/tools/**"],
    message: "the core must not import the CLI, handlers, adapters or use-cases: take a port as an argument and report through a Reporter.",
  },
  {
    regex: "^(commander|picocolors|log-update|probot)(/.*)?$",
    message: "the core knows nothing of the terminal or of Probot: report through a Reporter.",
  },
];

/** Entry points (webhook handlers, CLI) call use-cases in src/app; only src/app wires adapters. */
const ENTRY = ["src/handlers/**", "src/cli/**"];
const entryPatterns = [
  {
    group: ["**/github/**", "**/cluster/**", "**/store/**", "**/repo/**", "**/s3/**"],
    message: "handlers and the CLI must not import adapters: call a use-case in src/app, which wires them.",
  },
];

const restrict = (patterns) => ["error", { patterns }];

// Node's globals for the few plain .js/.mjs scripts (TS files get theirs from @types/node).
const nodeGlobals = Object.fromEntries(
  [
    "process", "console", "Buffer", "URL", "URLSearchParams", "AbortController", "AbortSignal", "fetch",
    "TextEncoder", "TextDecoder", "structuredClone", "queueMicrotask", "setTimeout", "clearTimeout",
    "setInterval", "clearInterval", "setImmediate", "clearImmediate",
  ].map((name) => [name, "readonly"]),
);

export default defineConfig(
  { ignores: ["dist/", "node_modules/", "coverage/", ".tiphys-data/", ".tools/"] },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { globals: nodeGlobals },
  },
  {
    rules: {
      // The code marks deliberately unused names with `_` (interface-shaped parameters, destructuring
      // that drops a key); the recommended setting would flag them.
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },

  // Everything: no SDK outside its adapter.
  { files: ["**/*.{ts,js,mjs,cjs}"], rules: { "no-restricted-imports": restrict(sdkPatterns(undefined)) } },
  // The adapters (and the nock wrapper) may import their own SDK.
  ...SDKS.map((s) => ({ files: [s.owner], rules: { "no-restricted-imports": restrict(sdkPatterns(s.owner)) } })),
  { files: CORE, rules: { "no-restricted-imports": restrict([...sdkPatterns(undefined), ...corePatterns]) } },
  { files: ENTRY, rules: { "no-restricted-imports": restrict([...sdkPatterns(undefined), ...entryPatterns]) } },
);
