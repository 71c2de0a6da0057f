/**
 * GitHub's REST API mocked with nock, Renovate style: the network is off, every interceptor a test
 * sets up must be used, and any request nothing was set up for fails the test with its method and
 * path. The only module allowed to import nock (eslint.config.js).
 */
import nock from "nock";
import { afterEach } from "vitest";

export const GITHUB_API = "https://api.github.com";

/** A scope of interceptors, for helpers outside this folder (which may not import nock). */
export type MockScope = nock.Scope;

export interface GitHubMock {
  /** Interceptors for https://api.github.com. */
  scope: MockScope;
  /** "METHOD /path?query" of every request an interceptor answered, in order. */
  calls: string[];
  /** "METHOD host/path" of every request nothing was set up for. */
  unmatched: string[];
  /** Fails unless every interceptor was used and no request went unmatched. */
  done(): void;
  /** Lets requests to 127.0.0.1 through and out of `unmatched` (a simulated cluster in the same test). */
  allowLoopback(): void;
}

interface RequestLike {
  method?: string;
  path?: string;
  host?: string;
  hostname?: string;
}

const describeRequest = (req: RequestLike | undefined, options?: RequestLike): string => {
  const r = { ...req, ...options };
  const host = (r.hostname ?? r.host ?? "").replace(/:443$/, "");
  return `${(r.method ?? "GET").toUpperCase()} ${host}${r.path ?? ""}`;
};

const active = new Set<() => void>();
const LOOPBACK = /^127\.0\.0\.1(:\d+)?(\/|$)/;

/** Turns the network off and starts an empty scope for GitHub's API. */
export function mockGitHub(): GitHubMock {
  nock.disableNetConnect();
  const scope = nock(GITHUB_API);
  const calls: string[] = [];
  const unmatched: string[] = [];
  // nock emits "no match" with a request, its options, or both, depending on the HTTP client.
  let loopback = false;
  const onNoMatch = (req: RequestLike, options?: RequestLike) => {
    const described = describeRequest(req, options);
    if (!(loopback && LOOPBACK.test(described.split(" ")[1] ?? ""))) unmatched.push(described);
  };
  const onRequest = (req: RequestLike) => calls.push(`${(req.method ?? "GET").toUpperCase()} ${req.path ?? ""}`);
  nock.emitter.on("no match", onNoMatch);
  scope.on("request", onRequest);
  const detach = () => {
    nock.emitter.removeListener("no match", onNoMatch);
    scope.removeListener("request", onRequest);
  };
  active.add(detach);
  return {
    scope,
    calls,
    unmatched,
    allowLoopback() {
      loopback = true;
      nock.enableNetConnect((host) => LOOPBACK.test(host));
    },
    done() {
      const problems: string[] = [];
      if (unmatched.length > 0) problems.push(`requests nothing was set up for:\n  ${unmatched.join("\n  ")}`);
      if (!scope.isDone()) problems.push(`interceptors never used:\n  ${scope.pendingMocks().join("\n  ")}`);
      if (problems.length > 0) throw new Error(`GitHub mock: ${problems.join("\n")}\ncalls made:\n  ${calls.join("\n  ") || "(none)"}`);
    },
  };
}

afterEach(() => {
  for (const detach of active) detach();
  active.clear();
  nock.cleanAll();
  nock.enableNetConnect();
});
