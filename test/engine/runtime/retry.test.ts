import { describe, expect, it } from "vitest";
import { childNames, runLocal, wf, type RunResult } from "./helpers.js";

/**
 * A step that counts its attempts in a file under the test's shared folder (outside the node's
 * private /tmp) and exits with the code its attempt number maps to.
 */
function counting(retryStrategy: string, codes: string, extra = ""): string {
  return wf(`
    entrypoint: main
    arguments: {parameters: [{name: shared}]}
    templates:
    - name: main
      steps:
      - - {name: s, template: flaky}
    - name: flaky
      retryStrategy: ${retryStrategy}
      script:
        image: alpine
        command: [sh]
        source: |
          f={{workflow.parameters.shared}}/count
          n=$(cat $f 2>/dev/null || echo 0); n=$((n+1)); echo $n > $f
          echo "attempt $n retries={{retries}}"
          codes="${codes}"
          set -- $codes
          shift $((n-1)) 2>/dev/null || exit 0
          ${extra}
          exit \${1:-0}
  `);
}

function attempts(r: RunResult, name = "wf[0].s"): Array<[string, string, string]> {
  return childNames(r, r.node(name)).map((c) => [r.node(c).displayName, r.node(c).type, r.node(c).phase]);
}

describe("retryStrategy", () => {
  it("limit as an int: fails twice then succeeds; a Retry node with children s(0), s(1), s(2) and {{retries}}", async () => {
    const r = await runLocal(counting("{limit: 2}", "1 1 0"));
    expect(r.status.phase).toBe("Succeeded");
    const retry = r.node("wf[0].s");
    expect(retry).toMatchObject({ type: "Retry", phase: "Succeeded", templateName: "flaky" });
    expect(attempts(r)).toEqual([
      ["s(0)", "Pod", "Failed"],
      ["s(1)", "Pod", "Failed"],
      ["s(2)", "Pod", "Succeeded"],
    ]);
    expect(childNames(r, retry)).toEqual(["wf[0].s(0)", "wf[0].s(1)", "wf[0].s(2)"]);
    expect(r.log("wf[0].s(2)")).toEqual(["attempt 3 retries=2"]);
    expect(r.log("wf[0].s(0)")).toEqual(["attempt 1 retries=0"]);
  });

  it("limit as a string: attempts = limit + 1, then `No more retries left`", async () => {
    const r = await runLocal(counting('{limit: "1"}', "1 1 1 0"));
    expect(r.status.phase).toBe("Failed");
    expect(attempts(r)).toEqual([
      ["s(0)", "Pod", "Failed"],
      ["s(1)", "Pod", "Failed"],
    ]);
    expect(r.node("wf[0].s")).toMatchObject({ phase: "Failed", message: "No more retries left" });
  });

  it("`retryStrategy: {}` retries without limit until it succeeds", async () => {
    const r = await runLocal(counting("{}", "1 1 1 1 0"));
    expect(r.status.phase).toBe("Succeeded");
    expect(attempts(r).map((a) => a[2])).toEqual(["Failed", "Failed", "Failed", "Failed", "Succeeded"]);
  });

  it("the retried step's outputs are the last attempt's", async () => {
    const r = await runLocal(
      wf(`
        entrypoint: main
        arguments: {parameters: [{name: shared}]}
        templates:
        - name: main
          steps:
          - - {name: s, template: flaky}
          - - {name: use, template: use, arguments: {parameters: [{name: v, value: "{{steps.s.outputs.parameters.n}}"}]}}
        - name: flaky
          retryStrategy: {limit: 3}
          script:
            image: alpine
            command: [sh]
            source: |
              f={{workflow.parameters.shared}}/c; n=$(cat $f 2>/dev/null || echo 0); n=$((n+1)); echo $n > $f
              echo "try$n" > /tmp/n
              [ $n -ge 2 ]
          outputs: {parameters: [{name: n, valueFrom: {path: /tmp/n}}]}
        - name: use
          inputs: {parameters: [{name: v}]}
          container: {image: alpine, command: ["true"]}
      `),
    );
    expect(r.node("wf[1].use").inputs?.parameters?.[0].value).toBe("try2");
    expect(r.node("wf[0].s").outputs?.parameters).toEqual([{ name: "n", value: "try2" }]);
  });
});

describe("retryPolicy", () => {
  // Attempt 1 errors (its output file is missing), attempt 2 fails (exit 1), attempt 3 succeeds.
  const mixed = (policy: string) =>
    wf(`
      entrypoint: main
      arguments: {parameters: [{name: shared}]}
      templates:
      - name: main
        steps:
        - - {name: s, template: flaky}
      - name: flaky
        retryStrategy: {limit: 3, retryPolicy: ${policy}}
        script:
          image: alpine
          command: [sh]
          source: |
            f={{workflow.parameters.shared}}/c; n=$(cat $f 2>/dev/null || echo 0); n=$((n+1)); echo $n > $f
            [ $n -eq 1 ] && exit 0
            echo out > /tmp/out
            [ $n -eq 2 ] && exit 1
            exit 0
        outputs: {parameters: [{name: out, valueFrom: {path: /tmp/out}}]}
    `);

  it("OnFailure (the default) does not retry an Error", async () => {
    const r = await runLocal(mixed("OnFailure"));
    expect(attempts(r).map((a) => a[2])).toEqual(["Error"]);
    expect(r.node("wf[0].s").phase).toBe("Error");
    expect(r.status.phase).not.toBe("Succeeded");
  });

  it("OnError retries the Error but not the following Failure", async () => {
    const r = await runLocal(mixed("OnError"));
    expect(attempts(r).map((a) => a[2])).toEqual(["Error", "Failed"]);
    expect(r.node("wf[0].s").phase).toBe("Failed");
  });

  it("Always retries both", async () => {
    const r = await runLocal(mixed("Always"));
    expect(attempts(r).map((a) => a[2])).toEqual(["Error", "Failed", "Succeeded"]);
    expect(r.status.phase).toBe("Succeeded");
  });
});

describe("retryStrategy.expression", () => {
  it("retries while the expression over lastRetry holds (policy defaults to Always)", async () => {
    const r = await runLocal(counting('{limit: 5, expression: "asInt(lastRetry.exitCode) == 2 && lastRetry.status == \'Failed\'"}', "2 2 3 0"));
    expect(attempts(r).map((a) => a[2])).toEqual(["Failed", "Failed", "Failed"]);
    expect(r.node("wf[0].s")).toMatchObject({ phase: "Failed", message: "retryStrategy.expression evaluated to false" });
  });

  it("the limit is still enforced when the expression holds", async () => {
    const r = await runLocal(counting('{limit: 1, expression: "true"}', "2 2 2 0"));
    expect(attempts(r)).toHaveLength(2);
    expect(r.node("wf[0].s").message).toBe("No more retries left");
  });
});

describe("backoff", () => {
  it("waits duration * factor^(n-1) between attempts", async () => {
    const r = await runLocal(counting('{limit: 2, backoff: {duration: "400ms", factor: 2}}', "1 1 0"));
    expect(r.status.phase).toBe("Succeeded");
    const [a0, a1, a2] = childNames(r, r.node("wf[0].s")).map((c) => r.node(c));
    const gap = (x: typeof a0, y: typeof a0) => Date.parse(y.startedAt!) - Date.parse(x.finishedAt!);
    // Node times have one-second resolution: check the total, with slack.
    expect(gap(a0, a2)).toBeGreaterThanOrEqual(1000);
    expect(r.durationMs).toBeGreaterThanOrEqual(1200);
    expect(r.durationMs).toBeLessThan(6000);
    expect(a1.phase).toBe("Failed");
  });

  it("cap bounds the wait", async () => {
    const r = await runLocal(counting('{limit: 3, backoff: {duration: "300ms", factor: 10, cap: "300ms"}}', "1 1 1 0"));
    expect(r.status.phase).toBe("Succeeded");
    expect(r.durationMs).toBeGreaterThanOrEqual(900);
    // Uncapped it would be 0.3 + 3 + 30 s.
    expect(r.durationMs).toBeLessThan(3000);
  });

  it("maxDuration: a backoff that would pass it fails the node at once", async () => {
    const r = await runLocal(counting('{limit: 5, backoff: {duration: "5s", maxDuration: "2s"}}', "1 1 0"));
    expect(r.status.phase).toBe("Failed");
    expect(attempts(r)).toHaveLength(1);
    expect(r.node("wf[0].s")).toMatchObject({ phase: "Failed", message: "Backoff would exceed max duration limit" });
    expect(r.durationMs).toBeLessThan(2000);
  });
});
