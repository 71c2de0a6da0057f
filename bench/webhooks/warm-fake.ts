/**
 * The fake answers from a real git repository with one `git` process per lookup, and keeps what a
 * full object id names. GitHub's cost is not what this bench measures, and those processes would run
 * on the CPUs the servers under test use, so every cacheable lookup a push leads to (the commit and
 * tree of `after`, the recursive tree, the diff and each commit a compare lists) is made once, before
 * the clock starts. What the fake cannot cache (a compare's merge-base and two rev-lists) still runs
 * during the measurement: three short git processes per push.
 */
import type { FakeGitHub } from "../../test/helpers/fake-github.js";
import type { BenchPush } from "./fixture.js";

async function pool<T>(items: T[], width: number, work: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: width }, worker));
}

export async function warmFake(fake: FakeGitHub, owner: string, name: string, pushes: BenchPush[]): Promise<void> {
  const repo = fake.state.repo(owner, name);
  if (!repo) throw new Error(`fake GitHub has no ${owner}/${name}`);
  const reader = repo.reader;
  await pool(pushes, 8, async (p) => {
    await Promise.all([reader.resolve(p.before), reader.resolve(p.after), reader.commit(p.before), reader.diff(p.before, p.after)]);
    const tree = await reader.resolve(p.after, "tree");
    if (tree) await reader.lsTree(tree, true);
  });
  await pool(
    pushes.flatMap((p) => p.commits.map((c) => c.id)),
    8,
    (sha) => reader.commit(sha),
  );
}
