/**
 * Artifacts of steps run as Pods: the S3 repository the kubernetes executor's artifact containers use
 * (a simulated one for `--cluster simulated`, else Argo's `artifactRepository` from a file), and the
 * two commands those containers run from the Tiphys image, `tiphys artifact load|save`
 * (src/engine/executors/kubernetes/artifact-plan.ts describes the Pod).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError } from "../core/errors.js";
import { RESULT_MARKER, type ArtifactTransfer, type PodArtifactsOptions, type PodS3Repository, type SaveReport } from "../engine/executors/kubernetes/artifact-plan.js";
import { parseYamlDocuments } from "../engine/model/load.js";
import { cloneAt } from "../repo/git.js";
import { SIMULATED_TIPHYS_IMAGE } from "../simcluster/kubelet/types.js";
import { effectiveKeyFormat, type ArtifactRepositoryConfig } from "../s3/config.js";
import { keyVariables, renderKeyFormat } from "../s3/key-format.js";
import { S3ArtifactRepository } from "../s3/s3-repository.js";
import { startSimulatedS3, type SimulatedS3 } from "../s3/simulated-s3.js";

export const SIMULATED_BUCKET = "tiphys-artifacts";
export const SIMULATED_SECRET = "tiphys-artifact-repository";

function renderer(keyFormat: string): PodArtifactsOptions["renderKeyPrefix"] {
  return (workflowVars, podName) => renderKeyFormat(keyFormat, keyVariables(workflowVars, podName));
}

/** `bin/tiphys.js` of this checkout (from src/app under vitest, from dist/src/app when compiled). */
function tiphysBin(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "..", "..", "bin", "tiphys.js"), join(here, "..", "..", "..", "bin", "tiphys.js")];
  return candidates.find((p) => existsSync(p)) ?? candidates[0];
}

/**
 * A simulated S3 for a simulated cluster: fresh keys, one bucket, and the Secret the executor creates
 * for the Pods. The artifact containers run this checkout's CLI as local processes.
 */
export async function startSimulatedPodArtifacts(): Promise<{ s3: SimulatedS3; options: PodArtifactsOptions }> {
  const accessKey = `tiphys-sim-${randomBytes(4).toString("hex")}`;
  const secretKey = randomBytes(24).toString("hex");
  const s3 = await startSimulatedS3({ accessKey, secretKey, host: "127.0.0.1", buckets: [SIMULATED_BUCKET] });
  const keyFormat = effectiveKeyFormat({});
  return {
    s3,
    options: {
      s3: {
        endpoint: s3.endpoint,
        bucket: SIMULATED_BUCKET,
        keyFormat,
        accessKeySecret: { name: SIMULATED_SECRET, key: "accesskey" },
        secretKeySecret: { name: SIMULATED_SECRET, key: "secretkey" },
      },
      secrets: [{ name: SIMULATED_SECRET, stringData: { accesskey: accessKey, secretkey: secretKey } }],
      renderKeyPrefix: renderer(keyFormat),
      // The simulated kubelet runs containers of this image in the host's view (the checkout may sit
      // under /tmp, which a pod's private /tmp would hide) and tells them where the pod's /tmp is.
      image: SIMULATED_TIPHYS_IMAGE,
      command: [process.execPath, tiphysBin()],
      sharedTmp: true,
    },
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function selector(v: unknown, where: string, problems: string[]): { name: string; key: string } | undefined {
  if (v === undefined) return undefined;
  if (!isObj(v) || typeof v.name !== "string" || typeof v.key !== "string") {
    problems.push(`${where} must be {name, key} of a Secret in the Pods' namespace`);
    return undefined;
  }
  return { name: v.name, key: v.key };
}

/**
 * `--artifact-repository FILE`: Argo's `artifactRepository` (an `s3:` block whose credentials are
 * Secrets in the Pods' namespace, as Argo's are) and `tiphysImage`, the image with the `tiphys` CLI.
 */
export function readPodArtifactRepository(file: string): PodArtifactsOptions {
  const data = parseYamlDocuments(readFileSync(file, "utf8"), file)[0]?.data;
  const problems: string[] = [];
  const s3 = isObj(data) && isObj(data.s3) ? data.s3 : undefined;
  if (!s3) problems.push("an s3: block is required (Argo's artifactRepository.s3)");
  const image = isObj(data) ? data.tiphysImage : undefined;
  if (typeof image !== "string" || image === "") problems.push("tiphysImage is required: the Tiphys image (deploy/Dockerfile) that runs the artifact containers");
  const repo: PodS3Repository = {
    endpoint: String(s3?.endpoint ?? ""),
    bucket: String(s3?.bucket ?? ""),
    ...(typeof s3?.region === "string" ? { region: s3.region } : {}),
    ...(s3?.insecure === true ? { insecure: true } : {}),
  };
  if (!repo.endpoint) problems.push("s3.endpoint is required");
  if (!repo.bucket) problems.push("s3.bucket is required");
  const access = selector(s3?.accessKeySecret, "s3.accessKeySecret", problems);
  const secret = selector(s3?.secretKeySecret, "s3.secretKeySecret", problems);
  if (access) repo.accessKeySecret = access;
  if (secret) repo.secretKeySecret = secret;
  if (problems.length > 0) throw new ConfigError(`${file}: invalid artifact repository`, problems.map((message) => ({ message, severity: "error" as const })));
  const keyFormat = effectiveKeyFormat({ keyFormat: typeof s3?.keyFormat === "string" ? s3.keyFormat : undefined, keyPrefix: typeof s3?.keyPrefix === "string" ? s3.keyPrefix : undefined });
  repo.keyFormat = keyFormat;
  return { s3: repo, renderKeyPrefix: renderer(keyFormat), image: image as string, command: ["tiphys"], sharedTmp: false };
}

/** A container path as this process sees it: the pod's /tmp is elsewhere when the simulated kubelet says so. */
function seen(path: string, env: NodeJS.ProcessEnv): string {
  const podTmp = env.TIPHYS_SIM_POD_TMP;
  if (!podTmp || !(path === "/tmp" || path.startsWith("/tmp/"))) return path;
  return join(podTmp, path.slice(4));
}

/** The repository inside an artifact container: settings and transfers from its environment. */
function fromEnvironment(env: NodeJS.ProcessEnv): { repo: S3ArtifactRepository; transfers: ArtifactTransfer[] } {
  let settings: PodS3Repository;
  let transfers: ArtifactTransfer[];
  try {
    settings = JSON.parse(env.TIPHYS_S3 ?? "") as PodS3Repository;
    transfers = JSON.parse(env.TIPHYS_ARTIFACTS ?? "") as ArtifactTransfer[];
  } catch {
    throw new ConfigError("tiphys artifact: TIPHYS_S3 and TIPHYS_ARTIFACTS must be set (this command runs in the Pods of the kubernetes executor)");
  }
  const config: ArtifactRepositoryConfig = {
    endpoint: settings.endpoint,
    bucket: settings.bucket,
    region: settings.region,
    insecure: settings.insecure,
    keyFormat: settings.keyFormat,
    accessKey: env.TIPHYS_S3_ACCESS_KEY,
    secretKey: env.TIPHYS_S3_SECRET_KEY,
  };
  // The key format came rendered for this pod: no variables are left to give.
  return { repo: new S3ArtifactRepository({ config, workflowVars: {}, cloneGit: cloneAt }), transfers: transfers.map((t) => ({ ...t, path: seen(t.path, env) })) };
}

/** `tiphys artifact load` (the init container): places every input; the first failure throws. */
export async function loadPodArtifacts(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const { repo, transfers } = fromEnvironment(env);
  try {
    for (const t of transfers) {
      mkdirSync(dirname(t.path), { recursive: true });
      await repo.load({ artifact: t.artifact, hostPath: t.path });
    }
  } finally {
    repo.destroy();
  }
}

async function waitForFile(file: string, pollMs: number): Promise<string> {
  for (;;) {
    const text = await readFile(file, "utf8").catch(() => "");
    // The wrapper writes the exit code and a newline: a partial write is read again.
    if (text.endsWith("\n")) return text.trim();
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * `tiphys artifact save` (the `wait` container): once the main container's command is over, stores
 * every output and prints the report after RESULT_MARKER. Failures are reported, not thrown: the
 * node's outcome is the executor's to decide with the main container's exit code.
 */
export async function savePodArtifacts(opts: { doneFile: string; pollMs?: number; env?: NodeJS.ProcessEnv; write?: (line: string) => void }): Promise<SaveReport> {
  const { repo, transfers } = fromEnvironment(opts.env ?? process.env);
  const write = opts.write ?? ((line: string) => process.stdout.write(line + "\n"));
  const report: SaveReport = { saved: [], errors: [] };
  try {
    await waitForFile(seen(opts.doneFile, opts.env ?? process.env), opts.pollMs ?? 100);
    for (const t of transfers) {
      try {
        const saved = await repo.save({ nodeId: "", artifact: t.artifact, hostPath: t.path });
        if (saved) report.saved.push({ ...saved, path: t.artifact.path });
      } catch (err) {
        report.errors.push((err as Error).message.replace(t.path, t.artifact.path ?? t.path));
      }
    }
  } finally {
    repo.destroy();
  }
  write(`${RESULT_MARKER} ${JSON.stringify(report)}`);
  return report;
}
