/**
 * When GitHub (the fake) heard about each push: the first `POST /repos/:o/:r/check-runs` whose body
 * names the push's head sha, and, to split that time, the first call Tiphys made for the push at all
 * (its compare or its tree). The fake runs in this process, so its `at` and the sender's `sentAt` are
 * read from the same clock.
 */
import type { FakeGitHub } from "../../test/helpers/fake-github.js";

export interface PushTimes {
  /** First request Tiphys made for the push (compare `...sha` or the tree of sha). */
  firstCall?: number;
  /** First check run created for the push's sha. */
  checkRun?: number;
  /** First read of the push's tree (its `.tiphys/` config). */
  tree?: number;
  /** First listing of the check runs at the push's sha: the last call for a push that starts no run. */
  listed?: number;
}

export class CheckRunWatch {
  readonly times = new Map<string, PushTimes>();
  /** When each check-run write (POST or PATCH, any sha) arrived: they show the pace of writes. */
  readonly writes: number[] = [];
  private scanned: number;
  private found = 0;
  private trees = 0;
  private listed = 0;

  private readonly repos: Set<string>;

  /** Watches the requests the fake receives from now on, to these repositories (`owner/name`), for these shas. */
  constructor(
    private readonly fake: FakeGitHub,
    repos: string[],
    shas: string[],
  ) {
    this.repos = new Set(repos);
    this.scanned = fake.requests.length;
    for (const sha of shas) this.times.set(sha, {});
  }

  get checkRuns(): number {
    return this.found;
  }

  private scan(): void {
    const requests = this.fake.requests;
    for (; this.scanned < requests.length; this.scanned++) {
      const r = requests[this.scanned];
      const m0 = /^\/repos\/([^/]+\/[^/]+)\/(.*)$/.exec(r.path);
      if (!m0 || !this.repos.has(m0[1])) continue;
      const rest = m0[2];
      if ((r.method === "POST" && rest === "check-runs") || (r.method === "PATCH" && rest.startsWith("check-runs/"))) this.writes.push(r.at);
      if (r.method === "POST" && rest === "check-runs") {
        const sha = String((r.body as { head_sha?: unknown } | undefined)?.head_sha ?? "");
        const t = this.times.get(sha);
        if (t && t.checkRun === undefined) {
          t.checkRun = r.at;
          this.found++;
        }
      } else if (r.method === "GET") {
        const m = /^(compare\/[0-9a-f]{40}\.\.\.|git\/trees\/)([0-9a-f]{40})$/.exec(rest);
        const t = m ? this.times.get(m[2]) : undefined;
        if (t && t.firstCall === undefined) t.firstCall = r.at;
        if (t && t.tree === undefined && m![1] === "git/trees/") {
          t.tree = r.at;
          this.trees++;
        }
        const listing = /^commits\/([0-9a-f]{40})\/check-runs$/.exec(rest);
        const l = listing ? this.times.get(listing[1]) : undefined;
        if (l && l.listed === undefined) {
          l.listed = r.at;
          this.listed++;
        }
      }
    }
  }

  /**
   * Resolves when every sha has a check run (or had its tree read, or its check runs listed) or
   * `timeoutMs` has passed; returns how many have one.
   */
  async wait(timeoutMs: number, what: "checkRun" | "tree" | "listed" = "checkRun"): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.scan();
      const done = what === "tree" ? this.trees : what === "listed" ? this.listed : this.found;
      if (done === this.times.size || performance.now() >= deadline) return done;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
