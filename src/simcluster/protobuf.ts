// Kubernetes' protobuf request bodies, for the few kinds kubectl's typed commands send that way
// (`kubectl create namespace|configmap|secret|serviceaccount`, `kubectl auth can-i|whoami`). Other kinds are refused with 415:
// their schemas are large, and every other kubectl command sends JSON.
import { errors } from "./status.js";
import type { JsonObject } from "./types.js";

type FieldType = "string" | "bytes" | "int" | "bool" | "time" | "stringMap" | "bytesMap" | Schema;
interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
}
type Schema = Record<number, Field>;

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

const OWNER_REFERENCE: Schema = {
  1: { name: "kind", type: "string" },
  3: { name: "name", type: "string" },
  4: { name: "uid", type: "string" },
  5: { name: "apiVersion", type: "string" },
  6: { name: "controller", type: "bool" },
  7: { name: "blockOwnerDeletion", type: "bool" },
};

const OBJECT_META: Schema = {
  1: { name: "name", type: "string" },
  2: { name: "generateName", type: "string" },
  3: { name: "namespace", type: "string" },
  5: { name: "uid", type: "string" },
  6: { name: "resourceVersion", type: "string" },
  7: { name: "generation", type: "int" },
  8: { name: "creationTimestamp", type: "time" },
  11: { name: "labels", type: "stringMap" },
  12: { name: "annotations", type: "stringMap" },
  13: { name: "ownerReferences", type: OWNER_REFERENCE, repeated: true },
  14: { name: "finalizers", type: "string", repeated: true },
};

const RESOURCE_ATTRIBUTES: Schema = {
  1: { name: "namespace", type: "string" },
  2: { name: "verb", type: "string" },
  3: { name: "group", type: "string" },
  4: { name: "version", type: "string" },
  5: { name: "resource", type: "string" },
  6: { name: "subresource", type: "string" },
  7: { name: "name", type: "string" },
};

const KINDS: Record<string, Schema> = {
  SelfSubjectAccessReview: {
    1: { name: "metadata", type: OBJECT_META },
    2: {
      name: "spec",
      type: {
        1: { name: "resourceAttributes", type: RESOURCE_ATTRIBUTES },
        2: { name: "nonResourceAttributes", type: { 1: { name: "path", type: "string" }, 2: { name: "verb", type: "string" } } },
      },
    },
  },
  SelfSubjectReview: { 1: { name: "metadata", type: OBJECT_META } },
  Namespace: { 1: { name: "metadata", type: OBJECT_META }, 2: { name: "spec", type: { 1: { name: "finalizers", type: "string", repeated: true } } } },
  ConfigMap: {
    1: { name: "metadata", type: OBJECT_META },
    2: { name: "data", type: "stringMap" },
    3: { name: "binaryData", type: "bytesMap" },
    4: { name: "immutable", type: "bool" },
  },
  Secret: {
    1: { name: "metadata", type: OBJECT_META },
    2: { name: "data", type: "bytesMap" },
    3: { name: "type", type: "string" },
    4: { name: "stringData", type: "stringMap" },
    5: { name: "immutable", type: "bool" },
  },
  ServiceAccount: {
    1: { name: "metadata", type: OBJECT_META },
    3: { name: "imagePullSecrets", type: { 1: { name: "name", type: "string" } }, repeated: true },
    4: { name: "automountServiceAccountToken", type: "bool" },
  },
};

interface RawField {
  no: number;
  varint?: bigint;
  bytes?: Buffer;
}

function readFields(buf: Buffer): RawField[] {
  const out: RawField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw errors.badRequest("protobuf: truncated varint");
      const b = buf[pos++];
      result |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, varint: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ no, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw errors.badRequest(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

function decodeMessage(buf: Buffer, schema: Schema): JsonObject {
  const out: JsonObject = {};
  for (const f of readFields(buf)) {
    const field = schema[f.no];
    if (!field) continue;
    const value = decodeValue(f, field.type);
    // Go writes every non-pointer field; JSON (omitempty) leaves out the empty ones.
    if (value === "" || value === 0 || value === undefined) continue;
    if (field.type === "stringMap" || field.type === "bytesMap") {
      out[field.name] = { ...(out[field.name] as JsonObject), ...(value as JsonObject) };
    } else if (field.repeated) out[field.name] = [...((out[field.name] as unknown[]) ?? []), value];
    else out[field.name] = value;
  }
  return out;
}

function decodeValue(f: RawField, type: FieldType): unknown {
  const bytes = f.bytes ?? Buffer.alloc(0);
  switch (type) {
    case "string":
      return bytes.toString("utf8");
    case "bytes":
      return bytes.toString("base64");
    case "int":
      return Number(f.varint ?? 0n);
    case "bool":
      return (f.varint ?? 0n) !== 0n;
    case "time": {
      const t = decodeMessage(bytes, { 1: { name: "seconds", type: "int" } });
      if (!t.seconds) return undefined;
      return new Date(Number(t.seconds ?? 0) * 1000).toISOString().replace(".000Z", "Z");
    }
    case "stringMap":
    case "bytesMap": {
      const entry = decodeMessage(bytes, { 1: { name: "key", type: "string" }, 2: { name: "value", type: type === "stringMap" ? "string" : "bytes" } });
      return { [String(entry.key ?? "")]: entry.value ?? "" };
    }
    default:
      return decodeMessage(bytes, type);
  }
}

/** Decodes a `k8s\0`-prefixed protobuf body (runtime.Unknown around the object) into its JSON form. */
export function decodeProtobuf(body: Buffer): JsonObject {
  if (!body.subarray(0, 4).equals(MAGIC)) throw errors.badRequest("protobuf: the body does not start with the Kubernetes magic number");
  const unknown = decodeMessage(body.subarray(4), {
    1: { name: "typeMeta", type: { 1: { name: "apiVersion", type: "string" }, 2: { name: "kind", type: "string" } } },
    2: { name: "raw", type: "bytes" },
  });
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const schema = KINDS[typeMeta.kind ?? ""];
  if (!schema) {
    throw errors.unsupportedMediaType(
      `the simulated cluster decodes protobuf bodies only for ${Object.keys(KINDS).filter((k) => !k.startsWith("Self")).join(", ")} (and reviews), not ${typeMeta.kind}: send JSON or YAML (e.g. kubectl apply -f)`,
    );
  }
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(Buffer.from(String(unknown.raw ?? ""), "base64"), schema) };
}
