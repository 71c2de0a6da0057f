/**
 * Keeps the fake's git work off the clock. The fake answers from a real repository with one `git`
 * process per lookup; GitHub's cost is not what this bench measures, and those processes would run
 * on the CPUs the servers under test use (a compare of a 12-commit push costs the fake about 15).
 *
 * - The lookups a linear history answers by itself (a commit's metadata and tree, the merge base of
 *   two of its commits, the commits between them) are answered from one `git log`, for the fixture's
 *   commits only; anything else goes to the fake's own reader. A few answers are checked against it.
 * - The rest (each push's recursive tree and its diff) goes through the fake's reader once, before
 *   the clock starts; the reader keeps them.
 */
import { isDeepStrictEqual } from "node:util";
import type { FakeGitHub } from "../../test/helpers/fake-github.js";
import type { CommitInfo } from "../../test/helpers/fake-github/git-reader.js";
import { runGit } from "../../test/helpers/git-fixture.js";
import type { BenchPush } from "./fixture.js";

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

/** Every commit of `main`, oldest first, parsed as the fake's reader parses one. */
async function readHistory(dir: string): Promise<CommitInfo[]> {
  const format = ["%H", "%T", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%B"].join("%x00") + "%x1e";
  const out = await runGit(dir, ["log", "--reverse", `--format=${format}`, "main"]);
  return out
    .split("\x1e")
    .map((rec) => rec.replace(/^\n/, ""))
    .filter((rec) => rec !== "")
    .map((rec) => {
      const [sha, tree, parents, an, ae, ad, cn, ce, cd, ...message] = rec.split("\0");
      return {
        sha,
        tree,
        parents: parents.split(" ").filter(Boolean),
        author: { name: an, email: ae, date: ad },
        committer: { name: cn, email: ce, date: cd },
        message: message.join("\0").replace(/\n+$/, ""),
      };
    });
}

export async function warmFake(fake: FakeGitHub, owner: string, name: string, dir: string, pushes: BenchPush[]): Promise<void> {
  const repo = fake.state.repo(owner, name);
  if (!repo) throw new Error(`fake GitHub has no ${owner}/${name}`);
  const reader = repo.reader;
  const history = await readHistory(dir);
  const index = new Map(history.map((c, i) => [c.sha, i]));
  const original = {
    resolve: reader.resolve.bind(reader),
    commit: reader.commit.bind(reader),
    mergeBase: reader.mergeBase.bind(reader),
    commitsBetween: reader.commitsBetween.bind(reader),
  };
  const at = (sha: string) => index.get(sha);
  reader.resolve = (rev, kind = "commit") => {
    const i = at(rev);
    if (i !== undefined && kind === "commit") return Promise.resolve(rev);
    if (i !== undefined && kind === "tree") return Promise.resolve(history[i].tree);
    return original.resolve(rev, kind);
  };
  reader.commit = (sha) => {
    const i = at(sha);
    return i === undefined ? original.commit(sha) : Promise.resolve(history[i]);
  };
  reader.mergeBase = (a, b) => {
    const i = at(a);
    const j = at(b);
    return i === undefined || j === undefined ? original.mergeBase(a, b) : Promise.resolve(i <= j ? a : b);
  };
  reader.commitsBetween = (base, head) => {
    const i = at(base);
    const j = at(head);
    if (i === undefined || j === undefined) return original.commitsBetween(base, head);
    return Promise.resolve(history.slice(i + 1, j + 1).map((c) => c.sha));
  };

  // The shortcuts must say what git says.
  for (const p of [pushes[0], pushes[Math.floor(pushes.length / 2)], pushes[pushes.length - 1]]) {
    const pairs: Array<[string, unknown, unknown]> = [
      ["commit", await reader.commit(p.after), await original.commit(p.after)],
      ["tree", await reader.resolve(p.after, "tree"), await original.resolve(p.after, "tree")],
      ["merge-base", await reader.mergeBase(p.before, p.after), await original.mergeBase(p.before, p.after)],
      ["ahead", await reader.commitsBetween(p.before, p.after), await original.commitsBetween(p.before, p.after)],
      ["behind", await reader.commitsBetween(p.after, p.before), await original.commitsBetween(p.after, p.before)],
    ];
    for (const [what, mine, theirs] of pairs) {
      if (!isDeepStrictEqual(mine, theirs)) throw new Error(`warmFake: ${what} of ${p.after} differs from git: ${JSON.stringify(mine)} vs ${JSON.stringify(theirs)}`);
    }
  }

  await pool(pushes, 8, async (p) => {
    await reader.lsTree(history[at(p.after)!].tree, true);
    await reader.diff(p.before, p.after);
  });
}
