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
}

export class CheckRunWatch {
  readonly times = new Map<string, PushTimes>();
  private scanned: number;
  private found = 0;

  /** Watches the requests the fake receives from now on, for these shas. */
  constructor(
    private readonly fake: FakeGitHub,
    private readonly owner: string,
    private readonly name: string,
    shas: string[],
  ) {
    this.scanned = fake.requests.length;
    for (const sha of shas) this.times.set(sha, {});
  }

  get checkRuns(): number {
    return this.found;
  }

  private scan(): void {
    const prefix = `/repos/${this.owner}/${this.name}/`;
    const requests = this.fake.requests;
    for (; this.scanned < requests.length; this.scanned++) {
      const r = requests[this.scanned];
      if (!r.path.startsWith(prefix)) continue;
      const rest = r.path.slice(prefix.length);
      if (r.method === "POST" && rest === "check-runs") {
        const sha = String((r.body as { head_sha?: unknown } | undefined)?.head_sha ?? "");
        const t = this.times.get(sha);
        if (t && t.checkRun === undefined) {
          t.checkRun = r.at;
          this.found++;
        }
      } else if (r.method === "GET") {
        const m = /^(?:compare\/[0-9a-f]{40}\.\.\.|git\/trees\/)([0-9a-f]{40})$/.exec(rest);
        const t = m ? this.times.get(m[1]) : undefined;
        if (t && t.firstCall === undefined) t.firstCall = r.at;
      }
    }
  }

  /** Resolves when every sha has a check run or `timeoutMs` has passed; returns how many have one. */
  async wait(timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      this.scan();
      if (this.found === this.times.size || performance.now() >= deadline) return this.found;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
