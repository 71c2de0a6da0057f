/**
 * Deployments and their statuses, kept in memory as GitHub returns them. A success status with
 * `auto_inactive` (GitHub's default) marks the environment's older successful deployments inactive.
 */
import { HttpError, invalid, isoNow, notFound, ok, paginate, type Json, type Route } from "./http.js";
import { commitOf, repoOf } from "./routes-repo.js";
import { repoKey, type FakeState } from "./state.js";

const STATES = ["error", "failure", "inactive", "in_progress", "queued", "pending", "success"];

export interface DeploymentRecord {
  repoKey: string;
  json: Json & { id: number; sha: string; ref: string; environment: string; description: string | null; payload: unknown };
  statuses: Array<Json & { id: number; state: string; description: string }>;
}

// Keyed by the fake's state, so that each fake server has its own.
const byState = new WeakMap<FakeState, Map<number, DeploymentRecord>>();

export function deploymentsOf(state: FakeState): Map<number, DeploymentRecord> {
  let map = byState.get(state);
  if (!map) byState.set(state, (map = new Map()));
  return map;
}

export function deploymentRoutes(state: FakeState): Route[] {
  const route = (method: string, pattern: string, handle: Route["handle"]): Route => ({ method, pattern: `/repos/:owner/:repo${pattern}`, auth: "installation", handle });
  const recordOf = (owner: string, name: string, id: string): DeploymentRecord => {
    const rec = deploymentsOf(state).get(Number(id));
    if (!rec || rec.repoKey !== repoKey(owner, name)) throw notFound();
    return rec;
  };
  return [
    route("POST", "/deployments", async (req) => {
      const repo = repoOf(req);
      const ref = req.body.ref;
      if (typeof ref !== "string" || ref === "") throw invalid("Deployment", "ref", "ref wasn't supplied");
      const sha = await commitOf(repo, ref);
      if (req.body.required_contexts !== undefined && !Array.isArray(req.body.required_contexts)) throw invalid("Deployment", "required_contexts", "required_contexts is not an array");
      if (req.body.auto_merge !== false) throw new HttpError(409, "Tiphys always sends auto_merge: false; the fake does not merge");
      const description = req.body.description;
      if (typeof description === "string" && description.length > 140) throw invalid("Deployment", "description", "description is too long (maximum is 140 characters)");
      const id = state.newId();
      const json = {
        id,
        node_id: `DE_${id}`,
        url: `${state.repoUrl(repo)}/deployments/${id}`,
        sha,
        ref,
        task: typeof req.body.task === "string" ? req.body.task : "deploy",
        payload: req.body.payload ?? {},
        environment: typeof req.body.environment === "string" ? req.body.environment : "production",
        description: typeof description === "string" ? description : null,
        transient_environment: req.body.transient_environment === true,
        production_environment: req.body.production_environment === true,
        created_at: isoNow(),
        updated_at: isoNow(),
        statuses_url: `${state.repoUrl(repo)}/deployments/${id}/statuses`,
      };
      deploymentsOf(state).set(id, { repoKey: repoKey(repo.owner, repo.name), json, statuses: [] });
      return ok(json, 201);
    }),
    route("GET", "/deployments", (req) => {
      const repo = repoOf(req);
      const key = repoKey(repo.owner, repo.name);
      const list = [...deploymentsOf(state).values()]
        .filter((d) => d.repoKey === key && (!req.query.environment || d.json.environment === req.query.environment) && (!req.query.sha || d.json.sha === req.query.sha))
        .map((d) => d.json)
        .sort((a, b) => b.id - a.id);
      const { page, headers } = paginate(list, req, state.apiUrl);
      return ok(page, 200, headers);
    }),
    route("GET", "/deployments/:id", (req) => ok(recordOf(req.params.owner, req.params.repo, req.params.id).json)),
    route("POST", "/deployments/:id/statuses", (req) => {
      const rec = recordOf(req.params.owner, req.params.repo, req.params.id);
      const s = req.body.state;
      if (typeof s !== "string" || !STATES.includes(s)) throw invalid("DeploymentStatus", "state", `${String(s)} is not a valid state`);
      const description = typeof req.body.description === "string" ? req.body.description : "";
      if (description.length > 140) throw invalid("DeploymentStatus", "description", "description is too long (maximum is 140 characters)");
      const status = {
        id: state.newId(),
        state: s,
        description,
        environment: rec.json.environment,
        log_url: typeof req.body.log_url === "string" ? req.body.log_url : "",
        environment_url: typeof req.body.environment_url === "string" ? req.body.environment_url : "",
        created_at: isoNow(),
      };
      rec.statuses.push(status);
      if (s === "success" && req.body.auto_inactive !== false) {
        for (const other of deploymentsOf(state).values()) {
          if (other === rec || other.repoKey !== rec.repoKey || other.json.environment !== rec.json.environment) continue;
          const last = other.statuses[other.statuses.length - 1];
          // GitHub: only deployments whose state is success become inactive.
          if (last?.state === "success") other.statuses.push({ ...last, id: state.newId(), state: "inactive", description: "", created_at: isoNow() });
        }
      }
      return ok(status, 201);
    }),
    route("GET", "/deployments/:id/statuses", (req) => {
      const rec = recordOf(req.params.owner, req.params.repo, req.params.id);
      const { page, headers } = paginate([...rec.statuses].reverse(), req, state.apiUrl);
      return ok(page, 200, headers);
    }),
  ];
}
