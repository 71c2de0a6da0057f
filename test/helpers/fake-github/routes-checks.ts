/**
 * Check runs kept in memory as GitHub returns them, validated with GitHub's limits, with the full
 * history of updates and every annotation sent.
 */
import { HttpError, invalid, isoNow, notFound, ok, paginate, type Json, type Route } from "./http.js";
import { commitOf, repoOf } from "./routes-repo.js";
import { appJson, checkRunUrl, WEB } from "./shapes.js";
import { repoKey, type CheckRunRecord, type FakeState, type RepoState } from "./state.js";

const STATUSES = ["queued", "in_progress", "completed", "waiting", "requested", "pending"];
const CONCLUSIONS = ["action_required", "cancelled", "failure", "neutral", "success", "skipped", "stale", "timed_out"];
const LEVELS = ["notice", "warning", "failure"];
const MAX_TEXT = 65535;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

function optionalString(body: Json, field: string, label = field): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw invalid("CheckRun", label, `${label} is not a string`);
  return v;
}

function requiredString(body: Json, field: string, label = field): string {
  const v = optionalString(body, field, label);
  if (v === undefined || v === "") throw invalid("CheckRun", label, `${label} wasn't supplied`);
  return v;
}

function checkLength(value: string | undefined, field: string, max: number): void {
  if (value !== undefined && value.length > max) {
    throw invalid("CheckRun", field, `Only ${max} characters are allowed; ${value.length} were supplied.`);
  }
}

function checkAnnotation(a: unknown, i: number): Json {
  const at = `output.annotations[${i}]`;
  if (!isObject(a)) throw invalid("CheckRun", at, `${at} is not an object`);
  requiredString(a, "path", `${at}.path`);
  requiredString(a, "message", `${at}.message`);
  const level = requiredString(a, "annotation_level", `${at}.annotation_level`);
  if (!LEVELS.includes(level)) throw invalid("CheckRun", `${at}.annotation_level`, `${level} is not one of ${LEVELS.join(", ")}`);
  for (const f of ["start_line", "end_line"]) {
    if (!Number.isInteger(a[f])) throw invalid("CheckRun", `${at}.${f}`, `${at}.${f} wasn't supplied`);
  }
  const hasColumns = a.start_column !== undefined || a.end_column !== undefined;
  if (hasColumns && a.start_line !== a.end_line) {
    throw invalid("CheckRun", `${at}.start_column`, "start_column and end_column are only allowed when start_line equals end_line");
  }
  return a;
}

function checkActions(actions: unknown): Json[] {
  if (!Array.isArray(actions)) throw invalid("CheckRun", "actions", "actions is not an array");
  if (actions.length > 3) throw invalid("CheckRun", "actions", `Only 3 actions are allowed; ${actions.length} were supplied.`);
  return actions.map((a, i) => {
    if (!isObject(a)) throw invalid("CheckRun", `actions[${i}]`, "action is not an object");
    for (const [field, max] of [["label", 20], ["identifier", 20], ["description", 40]] as const) {
      checkLength(requiredString(a, field, `actions[${i}].${field}`), `actions[${i}].${field}`, max);
    }
    return a;
  });
}

/** Everything GitHub checks before creating or updating a run; returns the annotations sent. */
function validate(body: Json, existing: CheckRunRecord["json"] | undefined): Json[] {
  if (!existing) {
    requiredString(body, "name");
    requiredString(body, "head_sha");
  } else optionalString(body, "name");
  const status = optionalString(body, "status");
  if (status !== undefined && !STATUSES.includes(status)) throw invalid("CheckRun", "status", `${status} is not a valid status`);
  const conclusion = optionalString(body, "conclusion");
  if (conclusion !== undefined && !CONCLUSIONS.includes(conclusion)) throw invalid("CheckRun", "conclusion", `${conclusion} is not a valid conclusion`);
  if (status === "completed" && conclusion === undefined && !existing?.conclusion) {
    throw invalid("CheckRun", "conclusion", "Conclusion is required when status is completed");
  }
  for (const f of ["details_url", "external_id", "started_at", "completed_at"]) optionalString(body, f);
  if (body.actions !== undefined) checkActions(body.actions);
  if (body.output === undefined) return [];
  if (!isObject(body.output)) throw invalid("CheckRun", "output", "output is not an object");
  const output = body.output;
  if (!existing) requiredString(output, "title", "output.title");
  checkLength(requiredString(output, "summary", "output.summary"), "output.summary", MAX_TEXT);
  checkLength(optionalString(output, "text", "output.text"), "output.text", MAX_TEXT);
  optionalString(output, "title", "output.title");
  const annotations = output.annotations ?? [];
  if (!Array.isArray(annotations)) throw invalid("CheckRun", "output.annotations", "annotations is not an array");
  if (annotations.length > 50) {
    throw invalid("CheckRun", "output.annotations", `Only 50 annotations are allowed per request; ${annotations.length} were supplied.`);
  }
  return annotations.map(checkAnnotation);
}

/** Applies a validated create/update body to the run, as GitHub does. */
function apply(rec: CheckRunRecord, body: Json, annotations: Json[], method: "POST" | "PATCH"): void {
  const run = rec.json;
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  run.name = text(body.name) ?? run.name;
  run.details_url = text(body.details_url) ?? run.details_url;
  run.external_id = text(body.external_id) ?? run.external_id;
  run.started_at = text(body.started_at) ?? run.started_at;
  if (Array.isArray(body.actions)) run.actions = body.actions;
  if (typeof body.conclusion === "string") {
    run.conclusion = body.conclusion;
    run.status = "completed"; // a conclusion implies completed
  } else if (typeof body.status === "string") {
    run.status = body.status;
    if (body.status !== "completed") run.conclusion = null;
  }
  run.completed_at = run.status === "completed" ? (text(body.completed_at) ?? run.completed_at ?? isoNow()) : null;
  if (isObject(body.output)) {
    run.output.title = text(body.output.title) ?? run.output.title;
    run.output.summary = text(body.output.summary) ?? run.output.summary;
    run.output.text = text(body.output.text) ?? run.output.text;
    rec.annotations.push(...annotations);
    run.output.annotations_count = rec.annotations.length;
  }
  rec.history.push({
    at: performance.now(),
    method,
    request: structuredClone(body),
    status: run.status,
    conclusion: run.conclusion,
    title: run.output.title,
  });
}

function runOf(state: FakeState, repo: RepoState, id: string): CheckRunRecord {
  const rec = state.checkRuns.get(Number(id));
  if (!rec || rec.repoKey !== repoKey(repo.owner, repo.name)) throw notFound();
  return rec;
}

export function checkRunRoutes(state: FakeState): Route[] {
  const route = (method: string, pattern: string, handle: Route["handle"]): Route => ({ method, pattern: `/repos/:owner/:repo${pattern}`, auth: "installation", handle });
  return [
    route("POST", "/check-runs", async (req) => {
      const repo = repoOf(req);
      const annotations = validate(req.body, undefined);
      const headSha = String(req.body.head_sha).toLowerCase();
      if ((await repo.reader.resolve(headSha)) !== headSha) throw new HttpError(422, `No commit found for SHA: ${req.body.head_sha}`);
      const id = state.newId();
      const rec: CheckRunRecord = {
        repoKey: repoKey(repo.owner, repo.name),
        json: {
          id,
          node_id: `CR_${id}`,
          name: "",
          head_sha: headSha,
          external_id: "",
          url: checkRunUrl(state, repo, id),
          html_url: `${WEB}/${repo.fullName}/runs/${id}`,
          details_url: `${WEB}/apps/tiphys`,
          status: "queued",
          conclusion: null,
          started_at: isoNow(),
          completed_at: null,
          output: { title: null, summary: null, text: null, annotations_count: 0, annotations_url: `${checkRunUrl(state, repo, id)}/annotations` },
          check_suite: { id: 1 },
          app: appJson(state),
          pull_requests: pullsAt(state, repo, headSha),
          actions: [],
        },
        history: [],
        annotations: [],
      };
      apply(rec, req.body, annotations, "POST");
      state.checkRuns.set(id, rec);
      return ok(rec.json, 201);
    }),
    route("PATCH", "/check-runs/:id", (req) => {
      const rec = runOf(state, repoOf(req), req.params.id);
      const annotations = validate(req.body, rec.json);
      apply(rec, req.body, annotations, "PATCH");
      return ok(rec.json);
    }),
    route("GET", "/check-runs/:id", (req) => ok(runOf(state, repoOf(req), req.params.id).json)),
    route("GET", "/check-runs/:id/annotations", (req) => {
      const { page, headers } = paginate(runOf(state, repoOf(req), req.params.id).annotations, req, state.apiUrl);
      return ok(page, 200, headers);
    }),
    route("GET", "/commits/:ref/check-runs", async (req) => {
      const repo = repoOf(req);
      const sha = await commitOf(repo, req.params.ref);
      const key = repoKey(repo.owner, repo.name);
      let runs = [...state.checkRuns.values()]
        .filter((r) => r.repoKey === key && r.json.head_sha === sha)
        .filter((r) => !req.query.check_name || r.json.name === req.query.check_name)
        .filter((r) => !req.query.status || r.json.status === req.query.status)
        .map((r) => r.json)
        .sort((a, b) => b.id - a.id);
      if ((req.query.filter ?? "latest") === "latest") {
        const seen = new Set<string>();
        runs = runs.filter((r) => !seen.has(r.name) && seen.add(r.name));
      }
      const { page, headers } = paginate(runs, req, state.apiUrl);
      return ok({ total_count: runs.length, check_runs: page }, 200, headers);
    }),
  ];
}

function pullsAt(state: FakeState, repo: RepoState, sha: string): Json[] {
  const prefix = `${repoKey(repo.owner, repo.name)}#`;
  return [...state.pulls.entries()]
    .filter(([k, pr]) => k.startsWith(prefix) && !pr.fork && pr.headSha === sha)
    .map(([, pr]) => ({
      number: pr.number,
      url: `${state.repoUrl(repo)}/pulls/${pr.number}`,
      head: { ref: pr.headRef, sha },
      base: { ref: pr.baseRef, sha: pr.baseSha ?? null },
    }));
}
