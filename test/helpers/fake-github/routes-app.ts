/** App-level routes (JWT): the App, installation tokens, webhook deliveries; and /rate_limit. */
import { randomBytes, randomUUID } from "node:crypto";
import { clampInt, HttpError, isoNow, notFound, ok, type Route } from "./http.js";
import { appJson, userJson } from "./shapes.js";
import type { Delivery, DeliveryInput, FakeState } from "./state.js";

const INSTALLATION_PERMISSIONS = { checks: "write", contents: "read", issues: "write", pull_requests: "write", metadata: "read" };

export function addDelivery(state: FakeState, d: DeliveryInput): Delivery {
  const delivery: Delivery = {
    id: d.id ?? state.newId(),
    guid: d.guid ?? randomUUID(),
    event: d.event,
    action: d.action ?? null,
    status: d.status ?? "OK",
    status_code: d.status_code ?? (d.status === "failed" ? 500 : 200),
    delivered_at: d.delivered_at ?? isoNow(),
    redelivery: d.redelivery ?? false,
    duration: d.duration ?? 0.05,
    installation_id: d.installation_id ?? null,
    repository_id: d.repository_id ?? null,
    throttled_at: d.throttled_at ?? null,
  };
  state.deliveries.push(delivery);
  return delivery;
}

/** Newest first, as GitHub lists them. */
function newestFirst(state: FakeState): Delivery[] {
  return [...state.deliveries].sort((a, b) => Date.parse(b.delivered_at) - Date.parse(a.delivered_at) || b.id - a.id);
}

function installationJson(state: FakeState, id: number) {
  const repo = [...state.repos.values()].find((r) => r.installationId === id);
  if (!repo) throw notFound();
  return {
    id,
    account: userJson(repo.owner),
    app_id: Number(state.appId ?? 1),
    app_slug: "tiphys",
    target_type: "Organization",
    repository_selection: "all",
    permissions: INSTALLATION_PERMISSIONS,
    events: appJson(state).events,
  };
}

export function appRoutes(state: FakeState): Route[] {
  const app = (method: string, pattern: string, handle: Route["handle"]): Route => ({ method, pattern, auth: "app", handle });
  return [
    app("GET", "/app", () => ok(appJson(state))),
    app("GET", "/app/installations", () => ok([...state.installationIds()].map((id) => installationJson(state, id)))),
    app("GET", "/app/installations/:id", (req) => ok(installationJson(state, Number(req.params.id)))),
    app("POST", "/app/installations/:id/access_tokens", (req) => {
      const installationId = Number(req.params.id);
      if (!state.installationIds().has(installationId)) throw notFound();
      const token = `ghs_${randomBytes(18).toString("hex")}`;
      const expiresAt = Date.now() + 3600_000;
      state.tokens.set(token, { token, installationId, expiresAt });
      return ok(
        {
          token,
          expires_at: new Date(expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
          permissions: INSTALLATION_PERMISSIONS,
          repository_selection: "all",
        },
        201,
      );
    }),
    app("GET", "/app/hook/deliveries", (req) => {
      const all = newestFirst(state);
      const perPage = clampInt(req.query.per_page, 30, 1, 100);
      let start = 0;
      if (req.query.cursor) {
        const match = /^v1_(\d+)$/.exec(req.query.cursor);
        start = match ? all.findIndex((d) => d.id === Number(match[1])) : -1;
        if (start < 0) throw new HttpError(422, "Invalid cursor");
      }
      const page = all.slice(start, start + perPage);
      const next = all[start + perPage];
      const headers: Record<string, string> = {};
      if (next) {
        const q = new URLSearchParams({ per_page: String(perPage), cursor: `v1_${next.id}` });
        headers.link = `<${state.apiUrl}/app/hook/deliveries?${q}>; rel="next"`;
      }
      return ok(page, 200, headers);
    }),
    app("GET", "/app/hook/deliveries/:id", (req) => {
      const d = state.deliveries.find((x) => x.id === Number(req.params.id));
      if (!d) throw notFound();
      return ok({ ...d, url: "", request: { headers: {}, payload: null }, response: { headers: {}, payload: null } });
    }),
    app("POST", "/app/hook/deliveries/:id/attempts", (req) => {
      const id = Number(req.params.id);
      if (!state.deliveries.some((d) => d.id === id)) throw notFound();
      const attempt: FakeState["redeliveries"][number] = { id, at: performance.now() };
      state.redeliveries.push(attempt);
      // GitHub accepts first and delivers later, so the hook runs after the reply, not before.
      setImmediate(() => {
        Promise.resolve(state.onRedeliver?.(id)).catch((err: unknown) => (attempt.error = String(err)));
      });
      return ok({}, 202);
    }),
    {
      method: "GET",
      pattern: "/orgs/:org/teams/:team/memberships/:user",
      auth: "installation",
      handle: (req) => {
        const members = state.teams.get(`${req.params.org}/${req.params.team}`.toLowerCase());
        const user = req.params.user.toLowerCase();
        if (!members?.has(user)) throw notFound();
        return ok({ url: `${state.apiUrl}/orgs/${req.params.org}/teams/${req.params.team}/memberships/${req.params.user}`, role: "member", state: "active" });
      },
    },
    {
      method: "GET",
      pattern: "/rate_limit",
      auth: "none",
      handle: () => {
        const core = { limit: state.rate.limit, used: state.rate.used, remaining: Math.max(0, state.rate.limit - state.rate.used), reset: state.rate.reset };
        return ok({ resources: { core, search: { ...core, limit: 30, used: 0, remaining: 30 }, graphql: core }, rate: core });
      },
    },
  ];
}
