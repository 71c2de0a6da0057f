import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { childNames, runLocal, wf } from "./helpers.js";

describe("containerSet", () => {
  it("runs its containers as processes in dependency order; the result comes from main", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: set, template: set}
          - - {name: use, template: use, arguments: {parameters: [{name: r, value: "{{steps.set.outputs.result}}"}]}}
        - name: set
          containerSet:
            containers:
            - name: a
              image: alpine
              command: [sh, -c, 'echo "start $(date +%s%N)"; sleep 0.3; echo "end $(date +%s%N)"']
            - name: b
              image: alpine
              dependencies: [a]
              command: [sh, -c, 'echo "start $(date +%s%N)"; sleep 0.3; echo "end $(date +%s%N)"']
            - name: c
              image: alpine
              dependencies: [a]
              command: [sh, -c, 'echo "start $(date +%s%N)"; sleep 0.3; echo "end $(date +%s%N)"']
            - name: main
              image: alpine
              dependencies: [b, c]
              command: [sh, -c, 'echo "start $(date +%s%N)"; echo main-result']
        - name: use
          inputs: {parameters: [{name: r}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    const set = r.node("wf[0].set");
    expect(set).toMatchObject({ type: "Pod", phase: "Succeeded" });
    const lines = r.log("wf[0].set");
    const time = (container: string, what: "start" | "end") => {
      const line = lines.find((l) => l.startsWith(`${container}: ${what} `));
      expect(line, `${container} ${what} in ${JSON.stringify(lines)}`).toBeDefined();
      return BigInt(line!.split(" ")[2]);
    };
    expect(time("b", "start") >= time("a", "end")).toBe(true);
    expect(time("c", "start") >= time("a", "end")).toBe(true);
    // b and c have the same dependency and run side by side.
    const bc = time("b", "start") - time("c", "start");
    expect(Number(bc < 0n ? -bc : bc) / 1e6).toBeLessThan(250);
    expect(time("main", "start") >= time("b", "end") && time("main", "start") >= time("c", "end")).toBe(true);
    expect(set.outputs?.result).toMatch(/main-result$/);
    expect(set.outputs?.result).not.toContain("end");
    expect(r.node("wf[1].use").inputs?.parameters?.[0].value).toMatch(/^start \d+\nmain-result$/);
    // Argo shows each container as a Container node under the pod.
    // Argo shows each container as a Container node bounded by the pod, linked along the dependencies.
    expect(childNames(r, set)).toEqual(["wf[0].set.a"]);
    // The next group hangs under the pod's outbound nodes: its last container.
    expect(childNames(r, r.node("wf[0].set.main"))).toEqual(["wf[1]"]);
    expect(childNames(r, r.node("wf[0].set.a")).sort()).toEqual(["wf[0].set.b", "wf[0].set.c"]);
    expect(childNames(r, r.node("wf[0].set.b"))).toEqual(["wf[0].set.main"]);

    expect(childNames(r, r.node("wf[0].set.c"))).toEqual(["wf[0].set.main"]);
    for (const c of ["a", "b", "c", "main"]) {
      expect(r.node(`wf[0].set.${c}`)).toMatchObject({ type: "Container", phase: "Succeeded", displayName: c, boundaryID: set.id });
    }
  });

  it("a failing container fails the node and its dependents do not run", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: set
        templates:
        - name: set
          containerSet:
            containers:
            - {name: a, image: alpine, command: [sh, -c, 'exit 4']}
            - {name: main, image: alpine, dependencies: [a], command: [sh, -c, 'echo should-not-run']}
      `),
    );
    expect(r.status.phase).toBe("Failed");
    expect(r.node("wf").phase).toBe("Failed");
    expect(r.log("wf").join("\n")).not.toContain("should-not-run");
    expect(r.node("wf.a")).toMatchObject({ type: "Container", phase: "Failed", message: "Error (exit code 4)" });
    expect(r.node("wf.main").phase).toBe("Failed");
  });
});

describe("artifacts", () => {
  const passing = (archive: string) =>
    wf(`
      entrypoint: main
      templates:
      - name: main
        steps:
        - - {name: gen, template: gen}
        - - name: use
            template: use
            arguments:
              artifacts:
              - {name: file, from: "{{steps.gen.outputs.artifacts.file}}"}
              - {name: dir, from: "{{steps.gen.outputs.artifacts.dir}}"}
      - name: gen
        container: {image: alpine, command: [sh, -c, 'echo file-content > /tmp/f.txt; mkdir -p /tmp/d/sub; echo one > /tmp/d/1.txt; echo two > /tmp/d/sub/2.txt']}
        outputs:
          artifacts:
          - {name: file, path: /tmp/f.txt${archive}}
          - {name: dir, path: /tmp/d${archive}}
      - name: use
        inputs:
          artifacts:
          - {name: file, path: /tmp/in/f.txt}
          - {name: dir, path: /tmp/in/d}
        container: {image: alpine, command: [sh, -c, 'cat /tmp/in/f.txt; cat /tmp/in/d/1.txt /tmp/in/d/sub/2.txt']}
    `);

  it("an output file and folder (tar+gzip by default) reach a later step through from", async () => {
    const r = await runLocal(passing(""));
    expect(r.status.phase, JSON.stringify(r.nodes.map((n) => [n.name, n.phase, n.message]))).toBe("Succeeded");
    expect(r.log("wf[1].use")).toEqual(["file-content", "one", "two"]);
    const arts = r.node("wf[0].gen").outputs?.artifacts ?? [];
    expect(arts.map((a) => a.name)).toEqual(["file", "dir"]);
    const stored = (arts[0].local as { key: string }).key;
    expect(stored).toMatch(/\.tgz$/);
  });

  it("archive: none stores the file and folder as they are", async () => {
    const r = await runLocal(passing(", archive: {none: {}}"));
    expect(r.status.phase).toBe("Succeeded");
    expect(r.log("wf[1].use")).toEqual(["file-content", "one", "two"]);
    const arts = r.node("wf[0].gen").outputs?.artifacts ?? [];
    const keys = arts.map((a) => (a.local as { key: string }).key);
    expect(keys.every((k) => !k.endsWith(".tgz"))).toBe(true);
    const root = join(r.ws.dir, "artifacts");
    expect(existsSync(join(root, keys[1], "sub", "2.txt"))).toBe(true);
  });

  it("a raw input artifact is written at its path", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: t
        templates:
        - name: t
          inputs:
            artifacts:
            - name: cfg
              path: /tmp/cfg/settings.ini
              raw: {data: "[main]\\nkey = value\\n"}
          container: {image: alpine, command: [cat, /tmp/cfg/settings.ini]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.log("wf")).toEqual(["[main]", "key = value"]);
  });

  it("a missing non-optional output artifact makes the node Error; an optional one is skipped", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: required, template: required, continueOn: {error: true}}
            - {name: optional, template: optional}
        - name: required
          container: {image: alpine, command: ["true"]}
          outputs: {artifacts: [{name: a, path: /tmp/not-there}]}
        - name: optional
          container: {image: alpine, command: ["true"]}
          outputs: {artifacts: [{name: a, path: /tmp/not-there, optional: true}]}
      `),
    );
    expect(r.node("wf[0].required").phase).toBe("Error");
    expect(r.node("wf[0].required").message).toMatch(/not-there/);
    expect(r.node("wf[0].optional").phase).toBe("Succeeded");
    expect(r.node("wf[0].optional").outputs?.artifacts ?? []).toEqual([]);
  });

  it("a `from` that resolves to nothing is an Error naming it", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: gen, template: gen}
          - - name: use
              template: use
              arguments: {artifacts: [{name: in, from: "{{steps.gen.outputs.artifacts.nope}}"}]}
        - name: gen
          container: {image: alpine, command: ["true"]}
        - name: use
          inputs: {artifacts: [{name: in, path: /tmp/in}]}
          container: {image: alpine, command: [cat, /tmp/in]}
      `),
    );
    const use = r.nodes.find((n) => n.name.startsWith("wf[1]") && n.phase === "Error");
    expect(use, JSON.stringify(r.nodes.map((n) => [n.name, n.phase, n.message]))).toBeDefined();
    expect(use!.message).toContain("steps.gen.outputs.artifacts.nope");
    expect(r.status.phase).not.toBe("Succeeded");
  });
});

describe("the node's private /tmp", () => {
  it("parallel steps writing the same /tmp file each read back their own value", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - name: w
              template: write
              arguments: {parameters: [{name: v, value: "{{item}}"}]}
              withItems: ["1", "2", "3", "4"]
          - - {name: all, template: show, arguments: {parameters: [{name: vs, value: "{{steps.w.outputs.parameters.num}}"}]}}
        - name: write
          inputs: {parameters: [{name: v}]}
          container: {image: alpine, command: [sh, -c, 'echo {{inputs.parameters.v}} > /tmp/num; sleep 0.3; cat /tmp/num > /tmp/out']}
          outputs: {parameters: [{name: num, valueFrom: {path: /tmp/out}}]}
        - name: show
          inputs: {parameters: [{name: vs}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.node("wf[1].all").inputs?.parameters?.[0].value).toBe('["1","2","3","4"]');
    // Nothing was written to the host's /tmp/num by the steps.
    const leftovers = readdirSync(join(r.ws.dir, "sandboxes"));
    expect(leftovers).toEqual([]);
  });
});

describe("commands that cannot run", () => {
  it("a command that is not installed makes the node Error with a reason naming it", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: t
        templates:
        - name: t
          container: {image: alpine, command: [tiphys-no-such-command-xyz, arg]}
      `),
    );
    expect(r.node("wf").phase).toBe("Error");
    expect(r.node("wf").message).toContain("tiphys-no-such-command-xyz");
    expect(r.node("wf").message).toMatch(/not found/);
    expect(r.status.phase).toBe("Error");
  });

  it("a script whose interpreter is missing is an Error too", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: t
        templates:
        - name: t
          script: {image: x, command: [tiphys-no-such-interpreter], source: "print(1)"}
      `),
    );
    expect(r.node("wf").phase).toBe("Error");
    expect(r.node("wf").message).toContain("tiphys-no-such-interpreter");
  });
});
