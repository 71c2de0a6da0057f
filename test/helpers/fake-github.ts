/**
 * The loopback fake of the GitHub REST API; see fake-github/server.ts. Start it, add repositories
 * backed by real git repos, point the server under test at it with `GHE_HOST=<fake.host>` and
 * `GHE_PROTOCOL=http`, then assert on what it recorded.
 */
export { startFakeGitHub, FakeGitHub, type FakeGitHubOptions, type FakeCheckRun, type FailOptions } from "./fake-github/server.js";
export { unsignedJwt } from "./fake-github/auth.js";
export type { RecordedRequest, UnhandledRequest, Json } from "./fake-github/http.js";
export type {
  CheckRunJson, CheckRunUpdate, Delivery, DeliveryInput, IssuedToken, Permission, PullRequestInput, ReactionContent,
  ReactionRecord, RepoInput,
} from "./fake-github/state.js";
