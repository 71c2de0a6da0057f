/**
 * Shared arrangement for the fake GitHub tests: one real repository with a `feature` branch that
 * modifies, adds, removes and renames files, served by a fake for installation 7 of App 42, and an
 * Octokit configured the way Probot's would be.
 */
import { ProbotOctokit } from "probot";
import { createRepo, type GitFixture } from "../helpers/git-fixture.js";
import { startFakeGitHub, unsignedJwt, type FakeGitHub } from "../helpers/fake-github.js";

export const APP_ID = 42;
export const INSTALLATION = 7;
export const OWNER = "acme";
export const NAME = "widgets";

/** Throttling off (Probot re-wraps it, so only the function form works) and no retries. */
export const TestOctokit = ProbotOctokit.defaults((o: { throttle?: object }) => ({
  ...o,
  throttle: { ...o.throttle, enabled: false },
  retry: { enabled: false },
}));
export type TestClient = InstanceType<typeof TestOctokit>;

export const LONG_DOC = Array.from({ length: 40 }, (_, i) => `line ${i} of a document that gets renamed`).join("\n") + "\n";

export interface World {
  repo: GitFixture;
  fake: FakeGitHub;
  /** First commit (main). */
  base: string;
  /** Tip of `feature`. */
  head: string;
  token: string;
  octokit: TestClient;
  /** An Octokit authenticated as the App (JWT). */
  appOctokit: TestClient;
}

/** POST /app/installations/:id/access_tokens with a JWT, as Probot does before any repo call. */
export async function issueToken(fake: FakeGitHub, installationId: number, appId = APP_ID): Promise<string> {
  const res = await fetch(`${fake.apiUrl}/app/installations/${installationId}/access_tokens`, {
    method: "POST",
    headers: { authorization: `Bearer ${unsignedJwt(appId)}`, accept: "application/vnd.github+json" },
  });
  if (res.status !== 201) throw new Error(`access_tokens answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

export async function createWorld(): Promise<World> {
  const repo = await createRepo({
    "README.md": "# widgets\n",
    ".tiphys/build.yaml": "kind: Workflow\nname: build\n",
    "docs/a.md": LONG_DOC,
  });
  const base = repo.sha;
  await repo.branch("feature");
  const head = await repo.commit(
    {
      ".tiphys/build.yaml": "kind: Workflow\nname: build\nsteps: 2\n",
      ".tiphys/lint.yaml": "kind: Workflow\nname: lint\n",
      "README.md": null,
      "docs/a.md": null,
      "docs/b.md": LONG_DOC,
    },
    "feature work",
  );
  const fake = await startFakeGitHub({ appId: APP_ID });
  fake.addRepo({ owner: OWNER, name: NAME, gitDir: repo.dir, defaultBranch: "main", installationId: INSTALLATION });
  const token = await issueToken(fake, INSTALLATION);
  return {
    repo,
    fake,
    base,
    head,
    token,
    octokit: new TestOctokit({ auth: { token }, baseUrl: fake.apiUrl }),
    appOctokit: new TestOctokit({ auth: { token: unsignedJwt(APP_ID) }, baseUrl: fake.apiUrl }),
  };
}

export async function disposeWorld(world: World | undefined): Promise<void> {
  await world?.fake.close();
  world?.repo.cleanup();
}

/** The HTTP status of an Octokit call, whether it succeeded or threw a RequestError. */
export function statusOf(call: Promise<{ status: number }>): Promise<number | undefined> {
  return call.then(
    (r) => r.status,
    (e: { status?: number }) => e.status,
  );
}
