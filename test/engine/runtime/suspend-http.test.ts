import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInProcess, wf } from "./helpers.js";

describe("suspend", () => {
  it("a duration resumes on its own, then the next step runs", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: wait, template: wait}
          - - {name: after, template: after}
        - name: wait
          suspend: {duration: "1"}
        - name: after
          container: {image: alpine, command: ["true"]}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.node("wf[0].wait")).toMatchObject({ type: "Suspend", phase: "Succeeded" });
    expect(r.durationMs).toBeGreaterThanOrEqual(950);
    expect(r.durationMs).toBeLessThan(5000);
    expect(r.node("wf[1].after").phase).toBe("Succeeded");
  });

  it("a Go duration string works too", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: wait
        templates:
        - name: wait
          suspend: {duration: 300ms}
      `),
    );
    expect(r.status.phase).toBe("Succeeded");
    expect(r.durationMs).toBeGreaterThanOrEqual(280);
  });

  it("without a duration it waits for resume(), which supplies output parameters (default otherwise)", async () => {
    let resumedAt = 0;
    const r = await runInProcess(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: approve, template: approve}
          - - {name: use, template: use, arguments: {parameters: [{name: a, value: "{{steps.approve.outputs.parameters.answer}}"}, {name: b, value: "{{steps.approve.outputs.parameters.other}}"}]}}
        - name: approve
          suspend: {}
          outputs:
            parameters:
            - {name: answer, valueFrom: {supplied: {}}}
            - {name: other, valueFrom: {supplied: {}, default: fallback}}
        - name: use
          inputs: {parameters: [{name: a}, {name: b}]}
          container: {image: alpine, command: ["true"]}
      `),
      {
        onStart(run) {
          const poll = setInterval(() => {
            if (!run.hasSuspended()) return;
            const node = [...run.nodes.values()].find((n) => n.type === "Suspend");
            expect(node?.phase).toBe("Running");
            clearInterval(poll);
            setTimeout(() => {
              resumedAt = Date.now();
              expect(run.resume(undefined, { answer: "yes" })).toBe(1);
            }, 300);
          }, 20);
        },
      },
    );
    expect(resumedAt).toBeGreaterThan(0);
    expect(r.status.phase).toBe("Succeeded");
    expect(r.node("wf[0].approve")).toMatchObject({ phase: "Succeeded", outputs: { parameters: [{ name: "answer", value: "yes" }, { name: "other", value: "fallback" }] } });
    expect(r.node("wf[1].use").inputs?.parameters?.map((p) => p.value)).toEqual(["yes", "fallback"]);
    expect(Date.parse(r.node("wf[1].use").startedAt!)).toBeGreaterThanOrEqual(Math.floor(resumedAt / 1000) * 1000);
  });

  it("resume(name) releases only the matching node", async () => {
    const r = await runInProcess(
      wf(`
        entrypoint: main
        templates:
        - name: main
          steps:
          - - {name: one, template: wait}
            - {name: two, template: wait}
        - name: wait
          suspend: {}
      `),
      {
        onStart(run) {
          const poll = setInterval(() => {
            if ([...run.nodes.values()].filter((n) => n.type === "Suspend" && n.phase === "Running").length < 2) return;
            clearInterval(poll);
            expect(run.resume("one")).toBe(1);
            setTimeout(() => {
              expect(run.nodes.get(run.nodeId("wf[0].one"))?.phase).toBe("Succeeded");
              expect(run.nodes.get(run.nodeId("wf[0].two"))?.phase).toBe("Running");
              run.resume();
            }, 100);
          }, 20);
        },
      },
    );
    expect(r.status.phase).toBe("Succeeded");
  });
});

describe("http template", () => {
  let server: Server;
  let base = "";
  const seen: Array<{ method: string; url: string; body: string; header?: string }> = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        seen.push({ method: req.method ?? "", url: req.url ?? "", body, header: req.headers["x-token"] as string | undefined });
        const m = /^\/status\/(\d+)/.exec(req.url ?? "");
        const code = m ? Number(m[1]) : 200;
        res.writeHead(code, { "content-type": "application/json" });
        res.end(JSON.stringify({ path: req.url, method: req.method, ok: code < 300 }));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const httpWf = (http: string) =>
    wf(`
      entrypoint: main
      arguments: {parameters: [{name: base, value: "${base}"}]}
      templates:
      - name: main
        steps:
        - - {name: call, template: call, continueOn: {failed: true}}
        - - {name: use, template: use, arguments: {parameters: [{name: r, value: "{{steps.call.outputs.result}}"}]}}
      - name: call
        http:
          ${http}
      - name: use
        inputs: {parameters: [{name: r}]}
        container: {image: alpine, command: ["true"]}
    `);

  it("a 2xx response succeeds; the body is the result", async () => {
    const r = await runInProcess(httpWf('url: "{{workflow.parameters.base}}/hello"'));
    const call = r.node("wf[0].call");
    expect(call).toMatchObject({ type: "HTTP", phase: "Succeeded" });
    expect(JSON.parse(call.outputs!.result!)).toEqual({ path: "/hello", method: "GET", ok: true });
    expect(JSON.parse(r.node("wf[1].use").inputs!.parameters![0].value!)).toMatchObject({ path: "/hello" });
  });

  it("a non-2xx response fails the node", async () => {
    const r = await runInProcess(httpWf('url: "{{workflow.parameters.base}}/status/503"'));
    const call = r.node("wf[0].call");
    expect(call.phase).toBe("Failed");
    expect(call.message).toContain("503");
  });

  it("method, headers and body are sent", async () => {
    seen.length = 0;
    const r = await runInProcess(
      httpWf(`url: "{{workflow.parameters.base}}/post"
          method: POST
          headers: [{name: x-token, value: "secret-{{workflow.name}}"}]
          body: '{"hello": "{{workflow.name}}"}'`),
    );
    expect(r.node("wf[0].call").phase).toBe("Succeeded");
    expect(seen).toEqual([{ method: "POST", url: "/post", body: '{"hello": "wf"}', header: "secret-wf" }]);
  });

  it("successCondition over response.statusCode and response.body decides", async () => {
    const notFoundIsFine = await runInProcess(
      httpWf(`url: "{{workflow.parameters.base}}/status/404"
          successCondition: "response.statusCode == 404 && response.body contains 'status/404'"`),
    );
    expect(notFoundIsFine.node("wf[0].call").phase).toBe("Succeeded");
    const okIsNot = await runInProcess(
      httpWf(`url: "{{workflow.parameters.base}}/ok"
          successCondition: "response.statusCode == 201"`),
    );
    expect(okIsNot.node("wf[0].call").phase).toBe("Failed");
  });

  it("an unreachable server fails the node with the reason", async () => {
    const r = await runInProcess(httpWf('url: "http://127.0.0.1:1/nothing"\n          timeoutSeconds: 5'));
    const call = r.node("wf[0].call");
    expect(call.phase).toBe("Failed");
    expect(call.message).toMatch(/127\.0\.0\.1:1/);
  });
});
