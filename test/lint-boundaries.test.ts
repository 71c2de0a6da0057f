import { ESLint } from "eslint";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

// The import boundaries of ARCHITECTURE.md live in eslint.config.js. A glob typo or a later config
// object that replaces the rule's options would switch them off without a sound; this test would not.
const root = fileURLToPath(new URL("..", import.meta.url));

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root, overrideConfigFile: fileURLToPath(new URL("../eslint.config.js", import.meta.url)) });
});

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${root}/${filePath}` });
  return result.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("import boundaries", () => {
  const importsCli = `import { main } from "../../cli/main.js";\nexport const run = main;\n`;

  it("refuses an import of the CLI from the engine", async () => {
    const messages = await restrictedImports("src/engine/runtime/probe.ts", importsCli);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toContain("'../../cli/main.js'");
    expect(messages[0]).toContain("the core must not import the CLI");
  });

  it("allows the same import from src/app", async () => {
    expect(await restrictedImports("src/app/wiring/probe.ts", importsCli)).toEqual([]);
  });

  it.each([
    ["src/reconcilers/application/probe.ts", `import pc from "picocolors";\nexport default pc;\n`],
    ["src/engine/probe.ts", `export type { Context } from "probot";\n`],
    ["src/cli/probe.ts", `import { cloneAt } from "../repo/git.js";\nexport default cloneAt;\n`],
    ["src/handlers/probe.ts", `import { Store } from "../store/index.js";\nexport default Store;\n`],
    ["src/app/probe.ts", `import { simpleGit } from "simple-git";\nexport default simpleGit;\n`],
    ["src/github/probe.ts", `import { Pool } from "pg";\nexport default Pool;\n`],
    ["test/engine/probe.test.ts", `import nock from "nock";\nexport default nock;\n`],
  ])("refuses %s: %s", async (file, code) => {
    expect(await restrictedImports(file, code)).toHaveLength(1);
  });

  it.each([
    ["src/repo/git.ts", `import { simpleGit } from "simple-git";\nexport default simpleGit;\n`],
    ["src/github/client.ts", `import { Octokit } from "@octokit/rest";\nexport default Octokit;\n`],
    ["src/cluster/client.ts", `import * as k8s from "@kubernetes/client-node";\nexport default k8s;\n`],
    ["src/store/postgres.ts", `import pg from "pg";\nexport default pg;\n`],
    ["test/helpers/http-mock.ts", `import nock from "nock";\nexport default nock;\n`],
    ["src/cli/probe.ts", `import { startRun } from "../app/run-workflow.js";\nexport default startRun;\n`],
  ])("allows %s: %s", async (file, code) => {
    expect(await restrictedImports(file, code)).toEqual([]);
  });
});
