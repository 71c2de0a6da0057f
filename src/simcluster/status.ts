// Kubernetes `Status` bodies, and the error that carries one through the simulated server.
import type { JsonObject } from "./types.js";

export type StatusReason =
  | "BadRequest"
  | "Unauthorized"
  | "Forbidden"
  | "NotFound"
  | "AlreadyExists"
  | "Conflict"
  | "Gone"
  | "Expired"
  | "Invalid"
  | "MethodNotAllowed"
  | "NotAcceptable"
  | "UnsupportedMediaType"
  | "RequestEntityTooLarge"
  | "TooManyRequests"
  | "InternalError"
  | "Timeout";

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: "Status";
  apiVersion: "v1";
  metadata: JsonObject;
  status: "Success" | "Failure";
  message?: string;
  reason?: StatusReason;
  details?: StatusDetails;
  code: number;
}

/** What a resource is called in messages: `deployments.apps`, `pods`. */
export interface ResourceName {
  group: string;
  plural: string;
  kind?: string;
}

function qualified(r: ResourceName): string {
  return r.group ? `${r.plural}.${r.group}` : r.plural;
}

/** An API error with the Status body the server answers with. Thrown by the internal API too. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(readonly status: StatusBody) {
    super(status.message ?? status.reason ?? `HTTP ${status.code}`);
  }
  get code(): number {
    return this.status.code;
  }
  get reason(): StatusReason | undefined {
    return this.status.reason;
  }
}

export function statusBody(code: number, reason: StatusReason, message: string, details?: StatusDetails): StatusBody {
  const body: StatusBody = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code };
  if (details) body.details = details;
  return body;
}

export function successStatus(details?: StatusDetails): StatusBody {
  const body: StatusBody = { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 200 };
  if (details) body.details = details;
  return body;
}

const fail = (code: number, reason: StatusReason, message: string, details?: StatusDetails) =>
  new ApiError(statusBody(code, reason, message, details));

export const errors = {
  badRequest: (message: string) => fail(400, "BadRequest", message),
  unauthorized: () => fail(401, "Unauthorized", "Unauthorized"),
  forbidden: (message: string, r?: ResourceName, name?: string) =>
    fail(403, "Forbidden", message, r ? { name, group: r.group, kind: r.plural } : undefined),
  notFound: (r: ResourceName, name: string) =>
    fail(404, "NotFound", `${qualified(r)} "${name}" not found`, { name, group: r.group, kind: r.plural }),
  /** An unknown path or subresource, worded as the real server words it; `what` adds detail for in-process callers. */
  pathNotFound: (what?: string) => fail(404, "NotFound", `the server could not find the requested resource${what ? ` (${what})` : ""}`),
  alreadyExists: (r: ResourceName, name: string) =>
    fail(409, "AlreadyExists", `${qualified(r)} "${name}" already exists`, { name, group: r.group, kind: r.plural }),
  /** Optimistic-concurrency failure, worded as the real server words it. */
  conflict: (r: ResourceName, name: string, why: string) =>
    fail(409, "Conflict", `Operation cannot be fulfilled on ${qualified(r)} "${name}": ${why}`, {
      name,
      group: r.group,
      kind: r.plural,
    }),
  applyConflict: (message: string, causes: StatusCause[]) => fail(409, "Conflict", message, { causes }),
  gone: (message: string) => fail(410, "Gone", message),
  /** What a watch or a continue token too old for the kept history gets (the watch cache says Expired). */
  expired: (message: string) => fail(410, "Expired", message),
  invalid: (kind: string, group: string, name: string, causes: StatusCause[]) => {
    const list = causes.map((c) => `${c.field ? c.field + ": " : ""}${c.message}`);
    const message = `${kind} "${name}" is invalid: ${list.length === 1 ? list[0] : "[" + list.join(", ") + "]"}`;
    return fail(422, "Invalid", message, { name, group, kind, causes });
  },
  methodNotAllowed: (message: string) => fail(405, "MethodNotAllowed", message),
  notAcceptable: (message: string) => fail(406, "NotAcceptable", message),
  unsupportedMediaType: (message: string) => fail(415, "UnsupportedMediaType", message),
  tooLarge: () => fail(413, "RequestEntityTooLarge", "Request entity too large: limit is 3145728"),
  tooManyRequests: (retryAfterSeconds: number) =>
    fail(429, "TooManyRequests", "Too many requests, please try again later.", { retryAfterSeconds }),
  internal: (message: string) => fail(500, "InternalError", `Internal error occurred: ${message}`),
};

/** A field-level cause for 422 Invalid. */
export function invalidValue(field: string, value: unknown, why: string): StatusCause {
  return { reason: "FieldValueInvalid", message: `Invalid value: ${JSON.stringify(value)}: ${why}`, field };
}

export function requiredValue(field: string): StatusCause {
  return { reason: "FieldValueRequired", message: "Required value", field };
}
