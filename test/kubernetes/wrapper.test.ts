/**
 * The output wrapper run by a real /bin/sh, and its log split back into user lines and parameters:
 * the values must come back exactly (trailing newlines, empty and missing files, odd names and quotes).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { splitLog, wrapCommand } from "../../src/engine/executors/kubernetes/wrapper.js";

const dir = mkdtempSync(join(tmpdir(), "tiphys-wrapper-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runWrapped(argv: string[], files: Record<string, string | undefined>, script?: string) {
  const specs = Object.entries(files).map(([name, content], i) => {
    const path = join(dir, `p ${i} 'x'.txt`);
    rmSync(path, { force: true });
    if (content !== undefined) writeFileSync(path, content);
    return { name, path };
  });
  const scriptPath = script !== undefined ? join(dir, "script") : undefined;
  const [cmd, ...args] = wrapCommand({ argv: scriptPath ? [...argv, scriptPath] : argv, files: specs, scriptPath });
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, TIPHYS_SCRIPT: script ?? "" } });
  return { status: r.status, stdout: r.stdout, ...splitLog(r.stdout, specs) };
}

describe("wrapCommand + splitLog", () => {
  test.each([
    ["one line with a newline", "hello world\n"],
    ["no final newline", "hello"],
    ["several lines and blank ones", "a\n\nb\n\n"],
    ["empty file", ""],
    ["spaces, tabs, backslashes and quotes", "  x\t\\n 'q' \"d\" $HOME `id`\n"],
    ["a line that looks like a marker", "__tiphys_param__ other 1 1\n__tiphys_outputs__\n"],
  ])("a parameter file with %s comes back exactly", (_what, content) => {
    const r = runWrapped(["echo", "user line"], { "my-param": content });
    expect(r.status).toBe(0);
    expect(r.lines).toEqual(["user line"]);
    expect(r.params).toEqual({ "my-param": content });
  });

  test("a missing file has no value; the exit code and the argv survive unchanged", () => {
    const r = runWrapped(["sh", "-c", 'echo "$1 $2"; echo to-stderr >&2; exit 7', "sh", "it's", "$(not run)"], { gone: undefined, here: "v" });
    expect(r.status).toBe(7);
    expect(r.lines).toEqual(["it's $(not run)", "to-stderr"]);
    expect(r.params).toEqual({ here: "v" });
  });

  test("a script's source is written from $TIPHYS_SCRIPT and run by its command", () => {
    const r = runWrapped(["sh"], {}, 'x=$((2+3))\necho "five=$x"');
    expect(r.status).toBe(0);
    expect(r.lines).toEqual(["five=5"]);
  });

  test("user output that merely contains a marker line stays the user's", () => {
    expect(splitLog("__tiphys_outputs__\nnot a marker\n", [{ name: "p" }])).toEqual({ lines: ["__tiphys_outputs__", "not a marker"], params: {} });
  });
});
