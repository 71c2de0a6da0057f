import { mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/core/errors.js";
import { ArtifactError, ArtifactNotFoundError } from "../../src/engine/artifacts/errors.js";
import { LocalArtifactRepository } from "../../src/engine/artifacts/local-repository.js";
import type { ArtifactRepository } from "../../src/engine/artifacts/repository.js";
import type { Artifact, WorkflowManifest } from "../../src/engine/model/types.js";
import { globalVars } from "../../src/engine/runtime/scope.js";
import type { ArtifactRepositoryConfig } from "../../src/s3/config.js";
import { S3ArtifactRepository } from "../../src/s3/s3-repository.js";
import { startSimulatedS3, type SimulatedS3 } from "../../src/s3/simulated-s3.js";

const ACCESS = "tiphys-repo-access";
const SECRET = "tiphys-repo-secret-never-printed";
const WRONG_SECRET = "a-wrong-secret-also-never-printed";
const NODE = "hello-wf-2049391218";

const workflow: WorkflowManifest = {
  apiVersion: "argoproj.io/v1alpha1",
  kind: "Workflow",
  metadata: { name: "hello-wf", namespace: "ci" },
  spec: { entrypoint: "main", templates: [] },
};
const workflowVars = globalVars(workflow, "uid-1", new Date("2026-03-04T05:06:07Z"));

let s3: SimulatedS3;
let dir: string;
let work: string;
let repos: S3ArtifactRepository[];

function repository(over: Partial<ArtifactRepositoryConfig> = {}, podName?: (nodeId: string) => string): S3ArtifactRepository {
  const repo = new S3ArtifactRepository({
    config: { endpoint: s3.endpoint, bucket: "artifacts", accessKey: ACCESS, secretKey: SECRET, ...over },
    workflowVars,
    ...(podName ? { podName } : {}),
  });
  repos.push(repo);
  return repo;
}

beforeEach(async () => {
  s3 = await startSimulatedS3({ accessKey: ACCESS, secretKey: SECRET, buckets: ["artifacts"] });
  dir = await mkdtemp(path.join(tmpdir(), "tiphys-s3-repo-"));
  work = path.join(dir, "work");
  await mkdir(work, { recursive: true });
  repos = [];
});
afterEach(async () => {
  for (const r of repos) r.destroy();
  await s3.close();
  await rm(dir, { recursive: true, force: true });
});

async function makeTree(root: string): Promise<void> {
  await mkdir(path.join(root, "sub", "deeper"), { recursive: true });
  await writeFile(path.join(root, "top.txt"), "top\n");
  await writeFile(path.join(root, "sub", "a.txt"), "a\n");
  await writeFile(path.join(root, "sub", "deeper", "b.txt"), "b\n");
  await symlink("sub/a.txt", path.join(root, "link-to-a"));
}

async function listTree(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(root, { withFileTypes: true })).sort((x, y) => x.name.localeCompare(y.name))) {
    const rel = prefix + e.name;
    if (e.isDirectory()) out.push(rel + "/", ...(await listTree(path.join(root, e.name), rel + "/")));
    else if (e.isSymbolicLink()) out.push(`${rel} -> ${await readlink(path.join(root, e.name))}`);
    else out.push(`${rel}: ${await readFile(path.join(root, e.name), "utf8")}`);
  }
  return out;
}

/** The names in a stored tar.gz (the 100-byte name field of each header block). */
function tarNames(tgz: Buffer): string[] {
  const tar = gunzipSync(tgz);
  const names: string[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const block = tar.subarray(off, off + 512);
    if (block.every((b) => b === 0)) break;
    names.push(block.subarray(0, 100).toString("utf8").replace(/\0.*$/s, ""));
    const size = parseInt(block.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim() || "0", 8);
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe("S3ArtifactRepository", () => {
  it("implements the engine's ArtifactRepository port, as the local repository does", () => {
    const ports: ArtifactRepository[] = [new LocalArtifactRepository(path.join(dir, "local")), repository()];
    expect(ports.map((p) => typeof p.save === "function" && typeof p.load === "function")).toEqual([true, true]);
  });

  it("saves a file output at <workflow>/<pod>/<name>.tgz and reads it back as an input", async () => {
    // The endpoint as Argo writes it: host:port, with insecure for plain http.
    const repo = repository({ endpoint: s3.endpoint.replace("http://", ""), insecure: true });
    const src = path.join(work, "hello_world.txt");
    await writeFile(src, "hello world\n");
    const saved = await repo.save({ nodeId: NODE, artifact: { name: "hello-art", path: "/tmp/hello_world.txt" }, hostPath: src });

    expect(saved).toEqual({ name: "hello-art", path: "/tmp/hello_world.txt", s3: { key: `hello-wf/${NODE}/hello-art.tgz` } });
    const stored = s3.buckets.get("artifacts", `hello-wf/${NODE}/hello-art.tgz`);
    expect(tarNames(stored?.body as Buffer)).toEqual(["hello_world.txt"]);

    // As the engine passes `from: {{steps.x.outputs.artifacts.hello-art}}` to the next step.
    const input: Artifact = { ...(saved as Artifact), name: "message", path: "/tmp/message" };
    const dest = path.join(work, "in", "message");
    await repo.load({ artifact: input, hostPath: dest });
    expect(await readFile(dest, "utf8")).toBe("hello world\n");
  });

  it("builds keys from the repository's keyFormat with the workflow's variables and the pod's name", async () => {
    const repo = repository(
      { keyFormat: "{{workflow.namespace}}/{{workflow.creationTimestamp.Y}}/{{workflow.creationTimestamp.m}}/{{workflow.name}}/{{pod.name}}" },
      (nodeId) => `hello-wf-main-${nodeId.split("-").pop()}`,
    );
    const src = path.join(work, "out.txt");
    await writeFile(src, "x");
    const saved = await repo.save({ nodeId: NODE, artifact: { name: "out", path: "/tmp/out.txt" }, hostPath: src });
    expect(saved?.s3).toEqual({ key: "ci/2026/03/hello-wf/hello-wf-main-2049391218/out.tgz" });
    expect(s3.buckets.keys("artifacts")).toEqual(["ci/2026/03/hello-wf/hello-wf-main-2049391218/out.tgz"]);
  });

  it("refuses a keyFormat variable it cannot resolve, before uploading anything", async () => {
    const src = path.join(work, "out.txt");
    await writeFile(src, "x");
    const err = await rejection(repository({ keyFormat: "{{workflow.name}}/{{node.name}}" }).save({ nodeId: NODE, artifact: { name: "out" }, hostPath: src }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain("unable to resolve {{node.name}}");
    expect(s3.buckets.keys("artifacts")).toEqual([]);
  });

  it("round-trips a directory as tar+gzip, symlinks included", async () => {
    const repo = repository();
    const src = path.join(work, "out");
    await makeTree(src);
    const saved = await repo.save({ nodeId: NODE, artifact: { name: "tree", path: "/work/out" }, hostPath: src });
    expect(saved?.s3).toEqual({ key: `hello-wf/${NODE}/tree.tgz` });
    expect(tarNames(s3.buckets.get("artifacts", `hello-wf/${NODE}/tree.tgz`)?.body as Buffer)[0]).toBe("out/");

    const dest = path.join(work, "in", "tree");
    await repo.load({ artifact: { ...(saved as Artifact), path: "/in/tree" }, hostPath: dest });
    expect(await listTree(dest)).toEqual(await listTree(src));
  });

  it("stores an archive: none directory as one object per file under <keyFormat>/<base name>, and reads it back", async () => {
    const repo = repository();
    const src = path.join(work, "dist");
    await makeTree(src);
    const artifact: Artifact = { name: "site", path: "/work/dist", archive: { none: {} } };
    const saved = await repo.save({ nodeId: NODE, artifact, hostPath: src });

    expect(saved?.s3).toEqual({ key: `hello-wf/${NODE}/dist` });
    // Argo's PutDirectory: regular files only, symlinks skipped.
    expect(s3.buckets.keys("artifacts")).toEqual([
      `hello-wf/${NODE}/dist/sub/a.txt`,
      `hello-wf/${NODE}/dist/sub/deeper/b.txt`,
      `hello-wf/${NODE}/dist/top.txt`,
    ]);
    const expected = ["sub/", "sub/a.txt: a\n", "sub/deeper/", "sub/deeper/b.txt: b\n", "top.txt: top\n"];
    const dest = path.join(work, "in", "site");
    await repo.load({ artifact: { ...(saved as Artifact), path: "/in/site" }, hostPath: dest });
    expect(await listTree(dest)).toEqual(expected);

    // The same folder named with a trailing slash, as Argo's docs advise for artifact GC.
    const again = path.join(work, "in", "again");
    await repo.load({ artifact: { name: "again", path: "/in/again", archive: { none: {} }, s3: { key: `hello-wf/${NODE}/dist/` } }, hostPath: again });
    expect(await listTree(again)).toEqual(expected);
  });

  it("stores an archive: none file as is, under its base name", async () => {
    const repo = repository();
    const src = path.join(work, "report.json");
    await writeFile(src, '{"ok":true}\n');
    const saved = await repo.save({ nodeId: NODE, artifact: { name: "report", path: "/tmp/report.json", archive: { none: {} } }, hostPath: src });
    expect(saved?.s3).toEqual({ key: `hello-wf/${NODE}/report.json` });
    expect(s3.buckets.get("artifacts", `hello-wf/${NODE}/report.json`)?.body.toString()).toBe('{"ok":true}\n');
  });

  it("resolves key-only artifacts against the repository, for outputs and inputs", async () => {
    const repo = repository();
    // Argo's key-only example: generate writes s3: {key: my-file}, consume reads it.
    const src = path.join(work, "file");
    await writeFile(src, "hello\n");
    const saved = await repo.save({ nodeId: NODE, artifact: { name: "file", path: "/mnt/file", s3: { key: "my-file" } }, hostPath: src });
    expect(saved?.s3).toEqual({ key: "my-file" });
    expect(s3.buckets.keys("artifacts")).toEqual(["my-file"]);
    const dest = path.join(work, "in", "file");
    await repo.load({ artifact: { name: "file", path: "/tmp/file", s3: { key: "my-file" } }, hostPath: dest });
    expect(await readFile(dest, "utf8")).toBe("hello\n");

    // A plain object someone else put there arrives as it is.
    s3.buckets.put("artifacts", "inputs/data.csv", Buffer.from("a,b\n1,2\n"));
    const csv = path.join(work, "in", "data.csv");
    await repo.load({ artifact: { name: "data", path: "/data.csv", s3: { key: "inputs/data.csv" } }, hostPath: csv });
    expect(await readFile(csv, "utf8")).toBe("a,b\n1,2\n");
  });

  it("skips a missing optional input and refuses a missing required one, naming key, bucket and endpoint", async () => {
    const repo = repository();
    const dest = path.join(work, "in", "maybe");
    await repo.load({ artifact: { name: "maybe", path: "/maybe", optional: true, s3: { key: "not/there.tgz" } }, hostPath: dest });
    await expect(stat(dest)).rejects.toMatchObject({ code: "ENOENT" });

    const err = await rejection(repo.load({ artifact: { name: "needed", path: "/needed", s3: { key: "not/there.tgz" } }, hostPath: dest }));
    expect(err).toBeInstanceOf(ArtifactNotFoundError);
    expect(err.message).toBe(`artifact needed failed to load: key not/there.tgz does not exist in bucket "artifacts" at S3 endpoint ${s3.endpoint}`);
  });

  it("skips a missing optional output and refuses a missing required one", async () => {
    const repo = repository();
    const missing = path.join(work, "nothing");
    expect(await repo.save({ nodeId: NODE, artifact: { name: "o", path: "/nothing", optional: true }, hostPath: missing })).toBeUndefined();
    const err = await rejection(repo.save({ nodeId: NODE, artifact: { name: "o", path: "/nothing" }, hostPath: missing }));
    expect(err).toBeInstanceOf(ArtifactNotFoundError);
    expect(err.message).toBe("failed to save outputs: /nothing no such file or directory");
    expect(s3.buckets.keys("artifacts")).toEqual([]);
  });

  it("reports a refused secret key naming the bucket and endpoint, never the secret", async () => {
    const repo = repository({ secretKey: WRONG_SECRET });
    const src = path.join(work, "out.txt");
    await writeFile(src, "x");
    const saveErr = await rejection(repo.save({ nodeId: NODE, artifact: { name: "out", path: "/out.txt" }, hostPath: src }));
    expect(saveErr).toBeInstanceOf(ArtifactError);
    expect(saveErr.message).toBe(
      `failed to save outputs: /out.txt: S3 endpoint ${s3.endpoint} refused the credentials for bucket "artifacts" (SignatureDoesNotMatch): check the repository's secretKeySecret`,
    );

    // Refused credentials are not "missing": an optional input still fails.
    const loadErr = await rejection(repo.load({ artifact: { name: "in", path: "/in", optional: true, s3: { key: "k" } }, hostPath: path.join(work, "in") }));
    expect(loadErr).toBeInstanceOf(ArtifactError);
    expect(loadErr).not.toBeInstanceOf(ArtifactNotFoundError);
    expect(loadErr.message).toContain(`refused the credentials for bucket "artifacts"`);
    for (const message of [saveErr.message, loadErr.message, String(saveErr.stack), String(loadErr.stack)]) {
      expect(message).not.toContain(WRONG_SECRET);
      expect(message).not.toContain(SECRET);
    }
  });

  it("reports an unknown access key", async () => {
    const err = await rejection(repository({ accessKey: "nobody" }).load({ artifact: { name: "in", path: "/in", s3: { key: "k" } }, hostPath: path.join(work, "in") }));
    expect(err.message).toBe(`artifact in failed to load: S3 endpoint ${s3.endpoint} refused the access key for bucket "artifacts" (InvalidAccessKeyId): check the repository's accessKeySecret`);
  });

  it("reports a missing bucket, for saves and for optional inputs alike", async () => {
    const repo = repository({ bucket: "no-such-bucket" });
    const src = path.join(work, "out.txt");
    await writeFile(src, "x");
    const saveErr = await rejection(repo.save({ nodeId: NODE, artifact: { name: "out", path: "/out.txt" }, hostPath: src }));
    expect(saveErr).toBeInstanceOf(ArtifactError);
    expect(saveErr.message).toBe(`failed to save outputs: /out.txt: bucket "no-such-bucket" does not exist at S3 endpoint ${s3.endpoint}`);
    const loadErr = await rejection(repo.load({ artifact: { name: "in", path: "/in", optional: true, s3: { key: "k" } }, hostPath: path.join(work, "in") }));
    expect(loadErr.message).toBe(`artifact in failed to load: bucket "no-such-bucket" does not exist at S3 endpoint ${s3.endpoint}`);
  });

  it("reports an endpoint that does not answer", async () => {
    const repo = repository();
    await s3.close();
    const err = await rejection(repo.load({ artifact: { name: "in", path: "/in", s3: { key: "k" } }, hostPath: path.join(work, "in") }));
    expect(err).toBeInstanceOf(ArtifactError);
    expect(err.message).toMatch(new RegExp(`^artifact in failed to load: cannot reach S3 endpoint ${s3.endpoint} for bucket "artifacts": ECONNREFUSED`));
    s3 = await startSimulatedS3({ accessKey: ACCESS, secretKey: SECRET });
  });

  it("applies subPath and mode to what it downloads", async () => {
    const repo = repository();
    const src = path.join(work, "out");
    await makeTree(src);
    const saved = await repo.save({ nodeId: NODE, artifact: { name: "tree", path: "/out" }, hostPath: src });
    const dest = path.join(work, "in", "b.txt");
    await repo.load({ artifact: { ...(saved as Artifact), path: "/b.txt", subPath: "sub/deeper/b.txt", mode: 0o600 }, hostPath: dest });
    expect(await readFile(dest, "utf8")).toBe("b\n");
    expect((await stat(dest)).mode & 0o777).toBe(0o600);
  });

  it("loads raw inputs itself and refuses what a Pod run cannot reach", async () => {
    const repo = repository();
    const dest = path.join(work, "in", "raw.txt");
    await repo.load({ artifact: { name: "r", path: "/raw.txt", raw: { data: "raw data" } }, hostPath: dest });
    expect(await readFile(dest, "utf8")).toBe("raw data");

    const local = await rejection(repo.load({ artifact: { name: "l", path: "/l", local: { key: "x/y.tgz" } }, hostPath: path.join(work, "l") }));
    expect(local).toBeInstanceOf(ConfigError);
    expect(local.message).toContain(`this run keeps its artifacts in S3 bucket artifacts at ${s3.endpoint}`);
    const elsewhere = await rejection(repo.load({ artifact: { name: "e", path: "/e", s3: { endpoint: "s3.amazonaws.com", bucket: "b", key: "k" } }, hostPath: path.join(work, "e") }));
    expect(elsewhere).toBeInstanceOf(ConfigError);
    expect(elsewhere.message).toContain("s3.endpoint s3.amazonaws.com differs from the artifact repository's");
    const src = path.join(work, "z");
    await writeFile(src, "z");
    const zip = await rejection(repo.save({ nodeId: NODE, artifact: { name: "z", path: "/z", archive: { zip: {} } }, hostPath: src }));
    expect(zip).toBeInstanceOf(ConfigError);
  });
});
