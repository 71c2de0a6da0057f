/**
 * `encoding/json.Marshal` of a Kubernetes `corev1.PodTemplateSpec`, byte for byte, for the fields listed
 * below: Go writes struct fields in declaration order (not sorted), drops `omitempty` fields that are
 * empty, writes zero values of the others (`"creationTimestamp":null`, `"resources":{}`), sorts map keys,
 * canonicalises resource quantities (`0.5` → `"500m"`) and escapes `<`, `>`, `&`. Argo Rollouts hashes
 * these bytes for the pod-template hash (hash.ts).
 *
 * The field order is that of k8s.io/api core/v1 types.go. A key this table does not know is written after
 * the known ones, sorted, as plain JSON: the hash still changes when it changes, but may differ from
 * Argo's for such a template (Go's decoder would drop a key it does not know).
 */

type Field = { name: string; type: string; omitempty: boolean; pointer: boolean; slice: boolean };

/** "name?:*Type" — `?` omitempty, `*` pointer, `[]` slice. Types: string int bool map quantity resources intstr time raw, or a struct below. */
const TYPES: Record<string, string> = {
  PodTemplateSpec: "metadata?:ObjectMeta spec?:PodSpec",
  ObjectMeta:
    "name?:string generateName?:string namespace?:string selfLink?:string uid?:string resourceVersion?:string generation?:int " +
    "creationTimestamp?:time deletionTimestamp?:*time deletionGracePeriodSeconds?:*int labels?:map annotations?:map " +
    "ownerReferences?:[]raw finalizers?:[]string managedFields?:[]raw",
  PodSpec:
    "volumes?:[]Volume initContainers?:[]Container containers:[]Container ephemeralContainers?:[]raw restartPolicy?:string " +
    "terminationGracePeriodSeconds?:*int activeDeadlineSeconds?:*int dnsPolicy?:string nodeSelector?:map serviceAccountName?:string " +
    "serviceAccount?:string automountServiceAccountToken?:*bool nodeName?:string hostNetwork?:bool hostPID?:bool hostIPC?:bool " +
    "shareProcessNamespace?:*bool securityContext?:*PodSecurityContext imagePullSecrets?:[]LocalObjectReference hostname?:string " +
    "subdomain?:string affinity?:*Affinity schedulerName?:string tolerations?:[]Toleration hostAliases?:[]HostAlias " +
    "priorityClassName?:string priority?:*int dnsConfig?:*PodDNSConfig readinessGates?:[]raw runtimeClassName?:*string " +
    "enableServiceLinks?:*bool preemptionPolicy?:*string overhead?:resources topologySpreadConstraints?:[]TopologySpreadConstraint " +
    "setHostnameAsFQDN?:*bool os?:*raw hostUsers?:*bool schedulingGates?:[]raw resourceClaims?:[]raw resources?:*ResourceRequirements",
  Container:
    "name:string image?:string command?:[]string args?:[]string workingDir?:string ports?:[]ContainerPort envFrom?:[]EnvFromSource " +
    "env?:[]EnvVar resources?:ResourceRequirements resizePolicy?:[]raw restartPolicy?:*string volumeMounts?:[]VolumeMount " +
    "volumeDevices?:[]raw livenessProbe?:*Probe readinessProbe?:*Probe startupProbe?:*Probe lifecycle?:*Lifecycle " +
    "terminationMessagePath?:string terminationMessagePolicy?:string imagePullPolicy?:string securityContext?:*SecurityContext " +
    "stdin?:bool stdinOnce?:bool tty?:bool",
  ContainerPort: "name?:string hostPort?:int containerPort:int protocol?:string hostIP?:string",
  EnvVar: "name:string value?:string valueFrom?:*EnvVarSource",
  EnvVarSource: "fieldRef?:*ObjectFieldSelector resourceFieldRef?:*ResourceFieldSelector configMapKeyRef?:*KeySelector secretKeyRef?:*KeySelector",
  ObjectFieldSelector: "apiVersion?:string fieldPath:string",
  ResourceFieldSelector: "containerName?:string resource:string divisor?:quantity",
  KeySelector: "name?:string key:string optional?:*bool",
  EnvFromSource: "prefix?:string configMapRef?:*NameOptional secretRef?:*NameOptional",
  NameOptional: "name?:string optional?:*bool",
  ResourceRequirements: "limits?:resources requests?:resources claims?:[]raw",
  VolumeMount: "name:string readOnly?:bool recursiveReadOnly?:*string mountPath:string subPath?:string mountPropagation?:*string subPathExpr?:string",
  Probe:
    "exec?:*ExecAction httpGet?:*HTTPGetAction tcpSocket?:*TCPSocketAction grpc?:*GRPCAction initialDelaySeconds?:int " +
    "timeoutSeconds?:int periodSeconds?:int successThreshold?:int failureThreshold?:int terminationGracePeriodSeconds?:*int",
  ExecAction: "command?:[]string",
  HTTPGetAction: "path?:string port:intstr host?:string scheme?:string httpHeaders?:[]HTTPHeader",
  HTTPHeader: "name:string value:string",
  TCPSocketAction: "port:intstr host?:string",
  GRPCAction: "port:int service:*string",
  Lifecycle: "postStart?:*LifecycleHandler preStop?:*LifecycleHandler stopSignal?:*string",
  LifecycleHandler: "exec?:*ExecAction httpGet?:*HTTPGetAction tcpSocket?:*TCPSocketAction sleep?:*raw",
  SecurityContext:
    "capabilities?:*Capabilities privileged?:*bool seLinuxOptions?:*raw windowsOptions?:*raw runAsUser?:*int runAsGroup?:*int " +
    "runAsNonRoot?:*bool readOnlyRootFilesystem?:*bool allowPrivilegeEscalation?:*bool procMount?:*string " +
    "seccompProfile?:*SeccompProfile appArmorProfile?:*raw",
  Capabilities: "add?:[]string drop?:[]string",
  SeccompProfile: "type:string localhostProfile?:*string",
  PodSecurityContext:
    "seLinuxOptions?:*raw windowsOptions?:*raw runAsUser?:*int runAsGroup?:*int runAsNonRoot?:*bool supplementalGroups?:[]int " +
    "supplementalGroupsPolicy?:*string fsGroup?:*int sysctls?:[]raw fsGroupChangePolicy?:*string seccompProfile?:*SeccompProfile " +
    "appArmorProfile?:*raw seLinuxChangePolicy?:*string",
  LocalObjectReference: "name?:string",
  Toleration: "key?:string operator?:string value?:string effect?:string tolerationSeconds?:*int",
  HostAlias: "ip:string hostnames?:[]string",
  PodDNSConfig: "nameservers?:[]string searches?:[]string options?:[]raw",
  Affinity: "nodeAffinity?:*NodeAffinity podAffinity?:*PodAffinity podAntiAffinity?:*PodAffinity",
  NodeAffinity: "requiredDuringSchedulingIgnoredDuringExecution?:*NodeSelector preferredDuringSchedulingIgnoredDuringExecution?:[]PreferredSchedulingTerm",
  NodeSelector: "nodeSelectorTerms:[]NodeSelectorTerm",
  NodeSelectorTerm: "matchExpressions?:[]Requirement matchFields?:[]Requirement",
  Requirement: "key:string operator:string values?:[]string",
  PreferredSchedulingTerm: "weight:int preference:NodeSelectorTerm",
  PodAffinity: "requiredDuringSchedulingIgnoredDuringExecution?:[]PodAffinityTerm preferredDuringSchedulingIgnoredDuringExecution?:[]WeightedPodAffinityTerm",
  PodAffinityTerm:
    "labelSelector?:*LabelSelector namespaces?:[]string topologyKey:string namespaceSelector?:*LabelSelector matchLabelKeys?:[]string mismatchLabelKeys?:[]string",
  WeightedPodAffinityTerm: "weight:int podAffinityTerm:PodAffinityTerm",
  LabelSelector: "matchLabels?:map matchExpressions?:[]Requirement",
  TopologySpreadConstraint:
    "maxSkew:int topologyKey:string whenUnsatisfiable:string labelSelector?:*LabelSelector minDomains?:*int nodeAffinityPolicy?:*string " +
    "nodeTaintsPolicy?:*string matchLabelKeys?:[]string",
  Volume:
    "name:string hostPath?:*HostPathVolumeSource emptyDir?:*EmptyDirVolumeSource gcePersistentDisk?:*raw awsElasticBlockStore?:*raw " +
    "gitRepo?:*raw secret?:*SecretVolumeSource nfs?:*raw iscsi?:*raw glusterfs?:*raw persistentVolumeClaim?:*PVCVolumeSource rbd?:*raw " +
    "flexVolume?:*raw cinder?:*raw cephfs?:*raw flocker?:*raw downwardAPI?:*DownwardAPIVolumeSource fc?:*raw azureFile?:*raw " +
    "configMap?:*ConfigMapVolumeSource vsphereVolume?:*raw quobyte?:*raw azureDisk?:*raw photonPersistentDisk?:*raw " +
    "projected?:*ProjectedVolumeSource portworxVolume?:*raw scaleIO?:*raw storageos?:*raw csi?:*raw ephemeral?:*raw image?:*raw",
  HostPathVolumeSource: "path:string type?:*string",
  EmptyDirVolumeSource: "medium?:string sizeLimit?:*quantity",
  SecretVolumeSource: "secretName?:string items?:[]KeyToPath defaultMode?:*int optional?:*bool",
  ConfigMapVolumeSource: "name?:string items?:[]KeyToPath defaultMode?:*int optional?:*bool",
  PVCVolumeSource: "claimName:string readOnly?:bool",
  KeyToPath: "key:string path:string mode?:*int",
  DownwardAPIVolumeSource: "items?:[]DownwardAPIVolumeFile defaultMode?:*int",
  DownwardAPIVolumeFile: "path:string fieldRef?:*ObjectFieldSelector resourceFieldRef?:*ResourceFieldSelector mode?:*int",
  ProjectedVolumeSource: "sources:[]VolumeProjection defaultMode?:*int",
  VolumeProjection:
    "secret?:*ProjectionSource downwardAPI?:*DownwardAPIProjection configMap?:*ProjectionSource serviceAccountToken?:*ServiceAccountTokenProjection " +
    "clusterTrustBundle?:*raw podCertificate?:*raw",
  ProjectionSource: "name?:string items?:[]KeyToPath optional?:*bool",
  DownwardAPIProjection: "items?:[]DownwardAPIVolumeFile",
  ServiceAccountTokenProjection: "audience?:string expirationSeconds?:*int path:string",
  // Argo Rollouts' own types, for the steps hash (pkg/apis/rollouts/v1alpha1/types.go CanaryStep).
  CanaryStep:
    "setWeight?:*int pause?:*RolloutPause experiment?:*raw analysis?:*raw setCanaryScale?:*SetCanaryScale setHeaderRoute?:*raw " +
    "setMirrorRoute?:*raw plugin?:*raw",
  RolloutPause: "duration?:*intstr",
  SetCanaryScale: "weight?:*int replicas?:*int matchTrafficWeight?:bool",
};

const SCHEMA = new Map<string, Field[]>(
  Object.entries(TYPES).map(([name, spec]) => [
    name,
    spec.split(/\s+/).map((f) => {
      const [rawName, rawType] = f.split(":");
      const omitempty = rawName.endsWith("?");
      const slice = rawType.startsWith("[]");
      const pointer = rawType.startsWith("*");
      return { name: omitempty ? rawName.slice(0, -1) : rawName, type: rawType.replace(/^(\[\]|\*)/, ""), omitempty, pointer, slice };
    }),
  ]),
);

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Go's JSON string escaping (HTML-safe, as json.Marshal does by default). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || ch === "<" || ch === ">" || ch === "&" || c === 0x2028 || c === 0x2029) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += ch;
  }
  return out + '"';
}

function goNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  const abs = Math.abs(n);
  // Go (like JS) writes exponent form below 1e-6 and from 1e21, with the shortest digits: 1e-7, 1e+21.
  return abs !== 0 && (abs < 1e-6 || abs >= 1e21) ? n.toExponential() : String(n);
}

/** json.Marshal of untyped data (map[string]interface{}): sorted keys. */
export function goRawJson(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "string") return goQuote(v);
  if (typeof v === "number") return goNumber(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) return "[" + v.map(goRawJson).join(",") + "]";
  if (isObj(v)) {
    const keys = Object.keys(v).sort();
    return "{" + keys.map((k) => goQuote(k) + ":" + goRawJson(v[k])).join(",") + "}";
  }
  return goQuote(String(v));
}

// ---------------------------------------------------------------- resource.Quantity

const BINARY: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, "": 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const DECIMAL_SUFFIX = new Map(Object.entries(DECIMAL).map(([s, e]) => [e, s]));
const NANO = 10n ** 9n;

const ceilDiv = (a: bigint, b: bigint): bigint => (a >= 0n ? (a + b - 1n) / b : -(-a / b));

/**
 * resource.Quantity's canonical string, as `Quantity.MarshalJSON` writes it: "0.5" → "500m",
 * "1024Mi" → "1Gi", "1000m" → "1", "1.5Gi" → "1536Mi". Values finer than a nano round up.
 * Returns the input unchanged when it is not a quantity.
 */
export function canonicalQuantity(input: string | number): string {
  const text = String(input).trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(.*)$/.exec(text);
  if (!m || (m[2] === "" && (m[3] ?? "") === "")) return text;
  const [, sign, whole, frac = "", suffix] = m;
  const digits = BigInt((whole || "0") + frac);
  const fracLen = BigInt(frac.length);
  let nano: bigint;
  let format: "BinarySI" | "DecimalSI" | "DecimalExponent";
  if (suffix in BINARY) {
    format = "BinarySI";
    nano = ceilDiv(digits * 1024n ** BigInt(BINARY[suffix]) * NANO, 10n ** fracLen);
  } else if (suffix in DECIMAL || /^[eE][+-]?\d+$/.test(suffix)) {
    format = suffix in DECIMAL ? "DecimalSI" : "DecimalExponent";
    const exp = suffix in DECIMAL ? DECIMAL[suffix] : Number(suffix.slice(1));
    const shift = BigInt(exp) + 9n - fracLen;
    nano = shift >= 0n ? digits * 10n ** shift : ceilDiv(digits, 10n ** -shift);
  } else {
    return text;
  }
  if (nano === 0n) return "0";
  const neg = sign === "-";
  if (format === "BinarySI") {
    const within = nano < 1024n * NANO;
    if (within || nano % NANO !== 0n) format = "DecimalSI";
    else {
      let v = nano / NANO;
      let k = 0;
      while (v % 1024n === 0n && k < 6) {
        v /= 1024n;
        k++;
      }
      const bin = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"][k];
      return (neg ? "-" : "") + v.toString() + bin;
    }
  }
  let mantissa = nano;
  let exp = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exp++;
  }
  const r = exp % 3;
  if (r === 1 || r === -2) {
    mantissa *= 10n;
    exp -= 1;
  } else if (r === 2 || r === -1) {
    mantissa *= 100n;
    exp -= 2;
  }
  const suffixOut = format === "DecimalExponent" ? (exp === 0 ? "" : `e${exp}`) : (DECIMAL_SUFFIX.get(exp) ?? `e${exp}`);
  return (neg ? "-" : "") + mantissa.toString() + suffixOut;
}

// ---------------------------------------------------------------- typed marshal

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).length === 0;
  return false;
}

function zeroOf(type: string): string {
  switch (type) {
    case "string":
      return '""';
    case "int":
    case "intstr":
      return "0";
    case "bool":
      return "false";
    case "quantity":
      return '"0"';
    case "time":
      return "null";
    case "map":
    case "resources":
    case "raw":
      return "null";
    default:
      return marshalStruct(type, {});
  }
}

function marshalValue(type: string, v: unknown): string {
  switch (type) {
    case "string":
      return typeof v === "string" ? goQuote(v) : goRawJson(v);
    case "int":
    case "bool":
    case "intstr":
    case "raw":
      return goRawJson(v);
    case "quantity":
      return typeof v === "string" || typeof v === "number" ? goQuote(canonicalQuantity(v)) : goRawJson(v);
    case "time":
      return v === null || v === undefined || v === "" ? "null" : goRawJson(v);
    case "map":
      return goRawJson(v);
    case "resources":
      if (!isObj(v)) return goRawJson(v);
      return "{" + Object.keys(v).sort().map((k) => goQuote(k) + ":" + marshalValue("quantity", v[k])).join(",") + "}";
    default:
      return isObj(v) ? marshalStruct(type, v) : goRawJson(v);
  }
}

function marshalField(f: Field, v: unknown): string | undefined {
  const present = v !== undefined && v !== null;
  if (f.slice) {
    if (f.omitempty && (!present || (Array.isArray(v) && v.length === 0))) return undefined;
    if (!present) return "null";
    return Array.isArray(v) ? "[" + v.map((item) => marshalValue(f.type, item)).join(",") + "]" : goRawJson(v);
  }
  if (f.pointer) {
    if (!present) return f.omitempty ? undefined : "null";
    return marshalValue(f.type, v);
  }
  const isStruct = SCHEMA.has(f.type) || f.type === "quantity" || f.type === "time" || f.type === "intstr";
  // omitempty never drops a struct value (Go only looks at nil, 0, "", false and empty maps/slices).
  if (f.omitempty && !isStruct && isEmpty(v)) return undefined;
  if (!present) return zeroOf(f.type);
  return marshalValue(f.type, v);
}

function marshalStruct(type: string, obj: Record<string, unknown>): string {
  const fields = SCHEMA.get(type)!;
  const parts: string[] = [];
  const known = new Set<string>();
  for (const f of fields) {
    known.add(f.name);
    const out = marshalField(f, obj[f.name]);
    if (out !== undefined) parts.push(goQuote(f.name) + ":" + out);
  }
  for (const k of Object.keys(obj).filter((key) => !known.has(key)).sort()) {
    if (obj[k] !== undefined) parts.push(goQuote(k) + ":" + goRawJson(obj[k]));
  }
  return "{" + parts.join(",") + "}";
}

/** json.Marshal(corev1.PodTemplateSpec) for a template given as plain JSON. */
export function marshalPodTemplate(template: Record<string, unknown>): string {
  return marshalStruct("PodTemplateSpec", template);
}

/** json.Marshal([]v1alpha1.CanaryStep); Go writes a nil slice as null. */
export function marshalCanarySteps(steps: ReadonlyArray<Record<string, unknown>> | undefined): string {
  if (steps === undefined) return "null";
  return "[" + steps.map((s) => marshalStruct("CanaryStep", s)).join(",") + "]";
}
