import { describe, expect, it } from "vitest";
import { describeErrors, errorMatching, lintYaml, posIn } from "./helpers.js";

const wf = (templates: string, extra = "") => `apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: fields-
spec:
  entrypoint: main
${extra}  templates:
${templates}`;

describe("field catalogue", () => {
  it("reports an unknown template field at its key, with a did-you-mean", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    contianer:
      image: alpine
`),
    );
    const e = errorMatching(r, /unknown field "contianer"/);
    expect(e.message).toBe('unknown field "contianer" in Template (did you mean "container"?)');
    expect(e.pos).toEqual(posIn(r, "contianer"));
    expect(e.field).toBe("spec.templates[0].contianer");
  });

  it("accepts the same template spelled right", async () => {
    const r = await lintYaml(wf(`  - name: main\n    container:\n      image: alpine\n`));
    expect(describeErrors(r)).toBe("");
  });

  it("reports unknown fields in spec, steps, tasks, inputs, artifacts and retryStrategy", async () => {
    const r = await lintYaml(
      wf(
        `  - name: main
    steps:
    - - name: a
        templte: leaf
  - name: leaf
    inputs:
      parameters:
      - name: p
        defualt: x
      artifacts:
      - name: src
        path: /src
        s3:
          buckt: b
          key: k
    retryStrategy:
      limt: 3
    container:
      image: alpine
`,
        "  entrypont: main\n",
      ),
    );
    expect(errorMatching(r, /"entrypont"/).message).toContain('(did you mean "entrypoint"?)');
    expect(errorMatching(r, /"templte"/).message).toContain('in WorkflowStep (did you mean "template"?)');
    expect(errorMatching(r, /"defualt"/).message).toContain('in Parameter (did you mean "default"?)');
    expect(errorMatching(r, /"buckt"/).message).toContain('in S3Artifact (did you mean "bucket"?)');
    expect(errorMatching(r, /"limt"/).message).toContain('in RetryStrategy (did you mean "limit"?)');
    expect(errorMatching(r, /"buckt"/).pos).toEqual(posIn(r, "buckt"));
  });

  it("accepts every field of the Kubernetes Container type and opaque Kubernetes objects below it", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    nodeSelector:
      disk: ssd
    affinity:
      nodeAffinity:
        anything: [goes, here]
    tolerations:
    - key: k
      operator: Exists
    securityContext:
      runAsUser: 1000
    podSpecPatch: '{"containers":[{"name":"main"}]}'
    volumes:
    - name: v
      emptyDir: {}
    metadata:
      labels:
        team: a
    container:
      name: main
      image: alpine
      command: [sh, -c]
      args: ["echo"]
      workingDir: /tmp
      ports: [{containerPort: 80}]
      envFrom: [{configMapRef: {name: c}}]
      env: [{name: A, value: b}]
      resources: {limits: {cpu: "1"}}
      volumeMounts: [{name: v, mountPath: /v}]
      volumeDevices: []
      livenessProbe: {exec: {command: ["true"]}}
      readinessProbe: {httpGet: {path: /, port: 80}}
      startupProbe: {tcpSocket: {port: 80}}
      lifecycle: {preStop: {exec: {command: ["true"]}}}
      terminationMessagePath: /dev/termination-log
      terminationMessagePolicy: File
      imagePullPolicy: IfNotPresent
      securityContext: {privileged: false}
      stdin: false
      stdinOnce: false
      tty: false
      restartPolicy: Always
      resizePolicy: [{resourceName: cpu, restartPolicy: NotRequired}]
`),
    );
    expect(describeErrors(r)).toBe("");
  });

  it("reports a typo in a container field", async () => {
    const r = await lintYaml(wf(`  - name: main\n    container:\n      image: alpine\n      comand: [echo]\n`));
    const e = errorMatching(r, /"comand"/);
    expect(e.message).toBe('unknown field "comand" in Container (did you mean "command"?)');
    expect(e.pos).toEqual(posIn(r, "comand"));
  });

  it("checks cheap types: a list where a list is due, strings where strings are due", async () => {
    const r = await lintYaml(wf(`  - name: main\n    container:\n      image: alpine\n      command: echo hi\n`));
    const e = errorMatching(r, /expected a list/);
    expect(e.message).toBe("expected a list, got a string");
    expect(e.pos).toEqual(posIn(r, "echo hi"));
  });

  it("accepts IntOrString fields as ints and as strings", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    activeDeadlineSeconds: 10
    retryStrategy:
      limit: "3"
      backoff:
        factor: 2
    container:
      image: alpine
  - name: other
    activeDeadlineSeconds: "10"
    retryStrategy:
      limit: 3
      backoff:
        factor: "2"
    container:
      image: alpine
`),
    );
    expect(describeErrors(r)).toBe("");
  });

  it("names fields that Argo v4 removed, with what replaced them", async () => {
    const r = await lintYaml(`apiVersion: argoproj.io/v1alpha1
kind: CronWorkflow
metadata:
  name: c
spec:
  schedule: "* * * * *"
  workflowSpec:
    entrypoint: main
    podPriority: 1
    templates:
    - name: main
      container:
        image: alpine
`);
    expect(errorMatching(r, /"schedule"/).message).toBe(
      'unknown field "schedule": "schedule" was removed in Argo Workflows v4: use "schedules" (a list)',
    );
    expect(errorMatching(r, /"podPriority"/).pos).toEqual(posIn(r, "podPriority"));
  });

  it("accepts the fields of every artifact storage kind", async () => {
    const r = await lintYaml(
      wf(`  - name: main
    inputs:
      artifacts:
      - {name: a, path: /a, s3: {endpoint: e, bucket: b, key: k, region: r, insecure: true, accessKeySecret: {name: s, key: k}, useSDKCreds: true}}
      - {name: b, path: /b, gcs: {bucket: b, key: k, serviceAccountKeySecret: {name: s, key: k}}}
      - {name: c, path: /c, git: {repo: r, revision: main, depth: 1, singleBranch: true, branch: main}}
      - {name: d, path: /d, http: {url: "https://x", headers: [{name: a, value: b}]}}
      - {name: e, path: /e, raw: {data: hi}}
      - {name: f, path: /f, oss: {endpoint: e, bucket: b, key: k}}
      - {name: g, path: /g, azure: {endpoint: e, container: c, blob: b}}
      - {name: h, path: /h, hdfs: {addresses: [a], path: /p, hdfsUser: u, force: true}}
      - {name: i, path: /i, artifactory: {url: "https://x"}}
      - {name: j, path: /j, optional: true, mode: 493, archive: {tar: {compressionLevel: 1}}}
    container:
      image: alpine
`),
    );
    expect(describeErrors(r)).toBe("");
  });
});
