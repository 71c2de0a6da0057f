// The Helm chart in deploy/chart/tiphys, rendered by the real helm (and a kustomize build by the real
// kubectl) from .tools/bin, which scripts/install-tools.mjs fills from an npm package.
import { execFile, execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments, stringify } from "yaml";
import { toolPath } from "../../scripts/tools-path.mjs";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
const chart = join(repoRoot, "deploy", "chart", "tiphys");
const RELEASE = "tiphys";
const NAMESPACE = "ci";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  [key: string]: unknown;
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Volume {
  name: string;
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
  secret?: { secretName: string; items?: { key: string; path: string }[] };
}
interface Container {
  env: EnvVar[];
  volumeMounts: { name: string; mountPath: string }[];
  ports: { name: string; containerPort: number }[];
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
}
interface Deployment extends K8sObject {
  spec: {
    replicas: number;
    strategy: { type: string };
    template: {
      metadata: { annotations?: Record<string, string> };
      spec: { securityContext: Record<string, unknown>; containers: Container[]; volumes: Volume[] };
    };
  };
}
interface Secret extends K8sObject {
  data: Record<string, string>;
}

let work: string;
let helmEnv: NodeJS.ProcessEnv;
let privateKey: string;

/** Runs a tool from .tools/bin; never throws on a non-zero exit. */
function run(tool: "helm" | "kustomize", args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(toolPath(tool), args, { env: helmEnv, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

let valuesFiles = 0;
function valuesFile(values: object): string {
  const file = join(work, `values-${++valuesFiles}.yaml`);
  writeFileSync(file, stringify(values));
  return file;
}

/** `helm template` with these values; fails the test with helm's stderr when it does not render. */
async function render(values: object): Promise<K8sObject[]> {
  const result = await run("helm", ["template", RELEASE, chart, "--namespace", NAMESPACE, "-f", valuesFile(values)]);
  expect(result.stderr, "helm template failed").toBe("");
  expect(result.code).toBe(0);
  return parseAllDocuments(result.stdout)
    .map((doc) => {
      expect(doc.errors).toEqual([]);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
function theDeployment(objects: K8sObject[]): Deployment {
  const deployments = ofKind(objects, "Deployment");
  expect(deployments).toHaveLength(1);
  return deployments[0] as Deployment;
}
const container = (d: Deployment) => d.spec.template.spec.containers[0];
const env = (d: Deployment, name: string) => container(d).env.find((e) => e.name === name);
const decode = (b64: string) => Buffer.from(b64, "base64").toString("utf8");

/** The values of a real install with the credentials inline. */
function inlineValues(extra: object = {}): object {
  return {
    image: { repository: "registry.example.com/tiphys", tag: "0.1.0" },
    app: { id: 1234567, webhookSecret: "whsec-test-0123", privateKey },
    ...extra,
  };
}

beforeAll(() => {
  if (!existsSync(toolPath("helm")) || !existsSync(toolPath("kustomize"))) {
    execFileSync(process.execPath, [join(repoRoot, "scripts", "install-tools.mjs")], { stdio: "pipe" });
  }
  work = mkdtempSync(join(tmpdir(), "tiphys-chart-"));
  // helm keeps caches and repositories under these; keep them out of the user's home.
  helmEnv = {
    PATH: process.env.PATH,
    HOME: work,
    HELM_CACHE_HOME: join(work, "helm-cache"),
    HELM_CONFIG_HOME: join(work, "helm-config"),
    HELM_DATA_HOME: join(work, "helm-data"),
  };
  privateKey = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  }).privateKey;
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("helm lint", () => {
  it("passes with the default values", async () => {
    const result = await run("helm", ["lint", chart, "--strict"]);
    expect(result.stdout + result.stderr).toContain("1 chart(s) linted, 0 chart(s) failed");
    expect(result.code).toBe(0);
  });

  it.each(["ci/embedded-values.yaml", "ci/postgresql-values.yaml"])("passes with %s", async (file) => {
    const result = await run("helm", ["lint", chart, "--strict", "-f", join(chart, file)]);
    expect(result.stdout + result.stderr).toContain("0 chart(s) failed");
    expect(result.code).toBe(0);
  });

  it("passes with inline credentials and PostgreSQL", async () => {
    const values = inlineValues({ replicaCount: 3, database: { url: "postgres://tiphys:pw@db:5432/tiphys" } });
    const result = await run("helm", ["lint", chart, "--strict", "-f", valuesFile(values)]);
    expect(result.stdout + result.stderr).toContain("0 chart(s) failed");
    expect(result.code).toBe(0);
  });
});

describe("the embedded store", () => {
  it("mounts a PersistentVolumeClaim at TIPHYS_DATA_DIR, updates with Recreate, and has no DATABASE_URL", async () => {
    const objects = await render(inlineValues());
    const [pvc] = ofKind(objects, "PersistentVolumeClaim");
    expect(pvc).toBeDefined();
    const d = theDeployment(objects);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy.type).toBe("Recreate");
    expect(env(d, "DATABASE_URL")).toBeUndefined();
    const dataDir = env(d, "TIPHYS_DATA_DIR")?.value;
    expect(dataDir).toBe("/var/lib/tiphys");
    const mount = container(d).volumeMounts.find((m) => m.mountPath === dataDir);
    const volume = d.spec.template.spec.volumes.find((v) => v.name === mount?.name);
    expect(volume?.persistentVolumeClaim?.claimName).toBe(pvc.metadata.name);
  });

  it("refuses several replicas without a database, saying why", async () => {
    const result = await run("helm", ["template", RELEASE, chart, "-f", valuesFile(inlineValues({ replicaCount: 2 }))]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("replicaCount is 2, but the embedded store (SQLite on one volume) allows only one replica");
    expect(result.stderr).toContain("Set database.url or database.existingSecret (PostgreSQL)");
  });
});

describe("PostgreSQL", () => {
  it("takes DATABASE_URL from a Secret, creates no claim, and runs 3 replicas with rolling updates", async () => {
    const url = "postgres://tiphys:s3cret@postgres.db.svc:5432/tiphys";
    const objects = await render(inlineValues({ replicaCount: 3, database: { url } }));
    expect(ofKind(objects, "PersistentVolumeClaim")).toEqual([]);
    const d = theDeployment(objects);
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.strategy.type).toBe("RollingUpdate");
    const ref = env(d, "DATABASE_URL")?.valueFrom?.secretKeyRef;
    expect(env(d, "DATABASE_URL")?.value).toBeUndefined();
    const secret = ofKind(objects, "Secret").find((s) => s.metadata.name === ref?.name) as Secret | undefined;
    expect(secret).toBeDefined();
    expect(decode(secret!.data[ref!.key])).toBe(url);
    // Run logs and artifacts still need a writable folder.
    const mount = container(d).volumeMounts.find((m) => m.mountPath === env(d, "TIPHYS_DATA_DIR")?.value);
    expect(d.spec.template.spec.volumes.find((v) => v.name === mount?.name)?.emptyDir).toBeDefined();
  });

  it("reads the URL from your Secret with database.existingSecret", async () => {
    const objects = await render({ replicaCount: 2, app: { existingSecret: "gh" }, database: { existingSecret: "pg", existingSecretKey: "uri" } });
    expect(ofKind(objects, "Secret")).toEqual([]);
    expect(env(theDeployment(objects), "DATABASE_URL")?.valueFrom?.secretKeyRef).toEqual({ name: "pg", key: "uri" });
  });
});

describe("credentials", () => {
  it("mounts the private key as a file and never puts a secret in a plain env value", async () => {
    const objects = await render(inlineValues());
    const d = theDeployment(objects);
    const keyPath = env(d, "PRIVATE_KEY_PATH")?.value;
    expect(keyPath).toBeDefined();
    expect(env(d, "PRIVATE_KEY")).toBeUndefined();

    const mount = container(d).volumeMounts.find((m) => m.mountPath === dirname(keyPath!));
    const volume = d.spec.template.spec.volumes.find((v) => v.name === mount?.name);
    const secret = ofKind(objects, "Secret").find((s) => s.metadata.name === volume?.secret?.secretName) as Secret;
    const item = volume?.secret?.items?.find((i) => i.path === basename(keyPath!));
    expect(decode(secret.data[item!.key])).toBe(privateKey);

    for (const [name, key] of [["APP_ID", "1234567"], ["WEBHOOK_SECRET", "whsec-test-0123"]]) {
      const ref = env(d, name)?.valueFrom?.secretKeyRef;
      expect(ref?.name).toBe(secret.metadata.name);
      expect(decode(secret.data[ref!.key])).toBe(key);
    }
    // Nothing outside the Secret's base64 data holds a secret in clear.
    const outsideSecrets = stringify(objects.filter((o) => o.kind !== "Secret"));
    for (const plain of ["PRIVATE KEY", "whsec-test-0123"]) expect(outsideSecrets).not.toContain(plain);
  });

  it("restarts the pods when the Secret changes", async () => {
    const checksum = async (webhookSecret: string) =>
      theDeployment(await render(inlineValues({ app: { id: 1234567, webhookSecret, privateKey } }))).spec.template.metadata
        .annotations?.["checksum/secret"];
    const before = await checksum("one");
    expect(before).toMatch(/^[0-9a-f]{64}$/);
    expect(await checksum("two")).not.toBe(before);
  });

  it("uses your Secret and its key names with app.existingSecret", async () => {
    const keys = { appId: "APP_ID", webhookSecret: "WEBHOOK_SECRET", privateKey: "key.pem" };
    const objects = await render({ app: { existingSecret: "github-app", existingSecretKeys: keys } });
    expect(ofKind(objects, "Secret")).toEqual([]);
    const d = theDeployment(objects);
    expect(env(d, "APP_ID")?.valueFrom?.secretKeyRef).toEqual({ name: "github-app", key: "APP_ID" });
    expect(env(d, "WEBHOOK_SECRET")?.valueFrom?.secretKeyRef).toEqual({ name: "github-app", key: "WEBHOOK_SECRET" });
    const keyVolume = d.spec.template.spec.volumes.find((v) => v.secret?.secretName === "github-app");
    expect(keyVolume?.secret?.items).toEqual([{ key: "key.pem", path: "private-key.pem" }]);
  });

  it("with no credentials, renders no Secret and waits for one named after the release", async () => {
    const objects = await render({});
    expect(ofKind(objects, "Secret")).toEqual([]);
    expect(env(theDeployment(objects), "APP_ID")?.valueFrom?.secretKeyRef?.name).toBe(RELEASE);
  });

  it("names what is missing when the inline credentials are incomplete", async () => {
    const result = await run("helm", ["template", RELEASE, chart, "-f", valuesFile({ app: { id: 42 } })]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("app.webhookSecret, app.privateKey missing");
  });
});

describe("the pod", () => {
  it("runs as non-root on a read-only root filesystem with /tmp writable", async () => {
    const d = theDeployment(await render(inlineValues()));
    const pod = d.spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, fsGroup: 10001 });
    expect(container(d).securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    const tmp = container(d).volumeMounts.find((m) => m.mountPath === "/tmp");
    expect(pod.volumes.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  it("probes /healthz for liveness and /readyz for readiness on the server's port", async () => {
    const c = container(theDeployment(await render(inlineValues())));
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "http" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "http" });
    expect(c.ports).toContainEqual(expect.objectContaining({ name: "http", containerPort: 3000 }));
    expect(c.env).toContainEqual({ name: "PORT", value: "3000" });
  });

  it("passes the limits, the GHE host and the App ID as plain integers", async () => {
    const objects = await render(
      inlineValues({ gheHost: "github.example.com", limits: { maxRunningNodes: 16, maxRunsPerInstallation: 3 }, redeliverInterval: 1200000 }),
    );
    const d = theDeployment(objects);
    expect(env(d, "GHE_HOST")?.value).toBe("github.example.com");
    expect(env(d, "GHE_PROTOCOL")?.value).toBe("https");
    expect(env(d, "TIPHYS_MAX_RUNNING_NODES")?.value).toBe("16");
    expect(env(d, "TIPHYS_MAX_RUNS_PER_INSTALLATION")?.value).toBe("3");
    // Go would print these float64 values as 1.2e+06 without the chart's integer formatting.
    expect(env(d, "TIPHYS_REDELIVER_INTERVAL")?.value).toBe("1200000");
    expect(decode((ofKind(objects, "Secret")[0] as Secret).data["app-id"])).toBe("1234567");
  });
});

describe("exposure", () => {
  it("routes only the webhook path through the ingress and scrapes /metrics with a ServiceMonitor", async () => {
    const objects = await render({
      app: { existingSecret: "gh" },
      // The default hosts: only the webhook path is routed; /metrics and the probes stay inside.
      ingress: { enabled: true, className: "nginx" },
      metrics: { serviceMonitor: { enabled: true } },
    });
    const [service] = ofKind(objects, "Service");
    expect(service.spec).toMatchObject({ type: "ClusterIP", ports: [{ port: 80, targetPort: "http" }] });
    const [ingress] = ofKind(objects, "Ingress");
    expect(ingress.spec).toMatchObject({
      ingressClassName: "nginx",
      rules: [{ host: "tiphys.example.com", http: { paths: [{ path: "/api/github/webhooks", backend: { service: { name: service.metadata.name, port: { number: 80 } } } }] } }],
    });
    const [monitor] = ofKind(objects, "ServiceMonitor");
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(monitor.spec).toMatchObject({ endpoints: [{ port: "http", path: "/metrics" }], namespaceSelector: { matchNames: [NAMESPACE] } });
  });
});

describe("values.schema.json", () => {
  it("rejects a wrong type with helm's schema error", async () => {
    const result = await run("helm", ["template", RELEASE, chart, "-f", valuesFile({ replicaCount: "two" })]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("values don't meet the specifications of the schema");
    expect(result.stderr).toMatch(/replicaCount/);
    expect(result.stderr).toMatch(/integer/);
  });

  it("rejects an unknown key and a database URL that is not PostgreSQL's", async () => {
    const typo = await run("helm", ["template", RELEASE, chart, "-f", valuesFile({ replicaCont: 1 })]);
    expect(typo.code).not.toBe(0);
    expect(typo.stderr).toMatch(/replicaCont/);
    const mysql = await run("helm", ["template", RELEASE, chart, "-f", valuesFile({ database: { url: "mysql://db/x" } })]);
    expect(mysql.code).not.toBe(0);
    expect(mysql.stderr).toMatch(/database\/url|database\.url/);
  });
});

describe("kustomize (kubectl's, through .tools/bin/kustomize)", () => {
  it("builds a kustomization with a namePrefix", async () => {
    const dir = join(work, "kustomize");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "kustomization.yaml"), stringify({ namePrefix: "dev-", resources: ["configmap.yaml"] }));
    writeFileSync(
      join(dir, "configmap.yaml"),
      stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "settings" }, data: { a: "1" } }),
    );
    const result = await run("kustomize", ["build", dir]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const [configMap] = parseAllDocuments(result.stdout).map((doc) => doc.toJS() as K8sObject);
    expect(configMap.metadata.name).toBe("dev-settings");
  });
});
