// A GitHub event as the trigger planner sees it, and the two views made of it: Tiphys's own event
// parameters (sha, ref, branch ...) and the CloudEvent that Argo Events' GitHub EventSource would put on
// its bus, so that gjson paths written for real Sensors (`body.pull_request.base.ref`,
// `headers.X-Github-Event`) find the same values here.

export interface TriggerEvent {
  /** GitHub event name, the `X-GitHub-Event` header: "push", "pull_request" ... */
  name: string;
  /** `payload.action` when the event has one (the caller may pass it explicitly). */
  action?: string;
  // The webhook body as GitHub sent it: checked by the handler, read here by path.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  payload: any;
  /** `X-GitHub-Delivery`; the id under which a Sensor remembers the event. */
  deliveryId?: string;
  /** Paths changed by the push or pull request, when known (undefined = unknown, not "none"). */
  changedFiles?: string[];
  /** When the event was received; time filters need it (without it they fail, as this code reads no clock). */
  time?: Date;
  /** The commit, when the caller resolved one the payload lacks (issue_comment on a PR: its head). */
  sha?: string;
}

/** The parameters a workflow may declare to receive the event: see ARCHITECTURE.md "The repo contract". */
export interface EventParameters {
  sha: string;
  ref: string;
  branch: string;
  event: string;
  pr: string;
  repo: string;
  actor: string;
  [name: string]: string;
}

/** Argo Events' GitHub event data: headers are `http.Header` (every value a list), the body gets the headers injected. */
export interface ArgoEventData {
  headers: Record<string, string[]>;
  body: Record<string, unknown>;
}

/** The CloudEvent context of an Argo Events event (what `context` filters and `contextKey` read). */
export interface ArgoEventContext {
  id: string;
  source: string;
  specversion: "1.0";
  type: "github";
  subject: string;
  datacontenttype: "application/json";
  time: string;
}

const PR_EVENTS = new Set(["pull_request", "pull_request_target", "pull_request_review", "pull_request_review_comment", "pull_request_review_thread"]);

const str = (v: unknown): string => (typeof v === "string" ? v : typeof v === "number" ? String(v) : "");

/** The event's action: the explicit one, else `payload.action`. */
export function eventAction(ev: TriggerEvent): string | undefined {
  return ev.action ?? (typeof ev.payload?.action === "string" ? ev.payload.action : undefined);
}

/** The branch and full ref an event is about, when it has one; tags have ref but no branch. */
function refOf(ev: TriggerEvent): { ref: string; branch: string } {
  const p = ev.payload ?? {};
  if (ev.name === "push" || ev.name === "create" || ev.name === "delete") {
    // create/delete carry a short ref plus ref_type; push carries the full ref.
    const ref = ev.name === "push" ? str(p.ref) : p.ref_type === "tag" ? `refs/tags/${str(p.ref)}` : p.ref ? `refs/heads/${str(p.ref)}` : "";
    return { ref, branch: ref.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : "" };
  }
  if (PR_EVENTS.has(ev.name)) {
    const head = str(p.pull_request?.head?.ref);
    return { ref: head ? `refs/heads/${head}` : "", branch: head };
  }
  const headBranch = str(p.check_run?.check_suite?.head_branch ?? p.check_suite?.head_branch ?? p.workflow_run?.head_branch);
  if (headBranch) return { ref: `refs/heads/${headBranch}`, branch: headBranch };
  if (ev.name === "release") {
    const tag = str(p.release?.tag_name);
    return { ref: tag ? `refs/tags/${tag}` : "", branch: "" };
  }
  return { ref: "", branch: "" };
}

function shaOf(ev: TriggerEvent): string {
  if (ev.sha !== undefined) return ev.sha;
  const p = ev.payload ?? {};
  if (ev.name === "push") return str(p.after);
  if (PR_EVENTS.has(ev.name)) return str(p.pull_request?.head?.sha);
  if (ev.name === "check_run") return str(p.check_run?.head_sha);
  if (ev.name === "check_suite") return str(p.check_suite?.head_sha);
  if (ev.name === "workflow_run") return str(p.workflow_run?.head_sha);
  return "";
}

function prOf(ev: TriggerEvent): string {
  const p = ev.payload ?? {};
  if (PR_EVENTS.has(ev.name)) return str(p.pull_request?.number ?? p.number);
  // An issue_comment is about a pull request only when the issue carries `pull_request`.
  if (ev.name === "issue_comment" || ev.name === "issues") return p.issue?.pull_request ? str(p.issue.number) : "";
  const prs = p.check_run?.pull_requests ?? p.check_suite?.pull_requests;
  return Array.isArray(prs) && prs.length > 0 ? str(prs[0]?.number) : "";
}

/** Tiphys's event parameters (`sha`, `ref`, `branch`, `event`, `pr`, `repo`, `actor`); "" where the event has none. */
export function eventParameters(ev: TriggerEvent): EventParameters {
  const { ref, branch } = refOf(ev);
  return {
    sha: shaOf(ev),
    ref,
    branch,
    event: ev.name,
    pr: prOf(ev),
    repo: str(ev.payload?.repository?.full_name),
    actor: str(ev.payload?.sender?.login),
  };
}

/** The branch a `branches` filter looks at: the pushed branch, or the branch a pull request merges into. */
export function targetBranch(ev: TriggerEvent): { ref: string; branch: string } {
  if (PR_EVENTS.has(ev.name)) {
    const base = str(ev.payload?.pull_request?.base?.ref);
    return { ref: base ? `refs/heads/${base}` : "", branch: base };
  }
  return refOf(ev);
}

/** `data` of the CloudEvent Argo Events' GitHub EventSource publishes for this webhook. */
export function argoEventData(ev: TriggerEvent): ArgoEventData {
  const id = ev.deliveryId ?? "";
  return {
    headers: { "X-Github-Event": [ev.name], "X-Github-Delivery": [id] },
    body: { ...(ev.payload ?? {}), "X-GitHub-Event": ev.name, "X-GitHub-Delivery": id },
  };
}

/**
 * The CloudEvent context. `source` is the EventSource's name in Argo; Tiphys has no EventSource, so it
 * is the dependency's `eventSourceName` when a Sensor asks (default "github"); `subject` is the event name.
 */
export function argoEventContext(ev: TriggerEvent, source = "github"): ArgoEventContext {
  return {
    id: ev.deliveryId ?? "",
    source,
    specversion: "1.0",
    type: "github",
    subject: ev.name,
    datacontenttype: "application/json",
    time: ev.time ? ev.time.toISOString() : "",
  };
}
