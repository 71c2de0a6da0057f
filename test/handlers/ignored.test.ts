/**
 * Events and actions Tiphys does not act on (no trigger of the repo's default branch names them):
 * acknowledged, counted as ignored, not stored, no GitHub call.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { examplePayload } from "../helpers/webhooks.js";
import { example } from "./fixtures.js";
import { startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

/** What the App counted, as `event/outcome=count`. */
async function counted(): Promise<string[]> {
  const { values } = await h.app.metrics.webhooksReceived.get();
  return values.map((v) => `${v.labels.event}/${v.labels.outcome}=${v.value}`).sort();
}

describe("ignored events", () => {
  it.each([
    ["issues", "issues.opened"],
    ["star", "star.created"],
  ])("%s (%s): no trigger names it; no call, nothing stored", async (name, event) => {
    const id = `ignored-${event}`;

    await h.deliver(name, example(event), id);

    expect(h.gh.calls).toEqual([]);
    expect(await h.app.store.hasDelivery(id)).toBe(false);
    expect(await counted()).toEqual([`${name}/ignored=1`]);
    h.gh.done();
  });

  it.each([
    ["check_run", "check_run.created"],
    ["check_run", "check_run.completed"],
    ["check_suite", "check_suite.requested"],
    ["issue_comment", "issue_comment.edited"],
    ["pull_request", "pull_request.labeled"],
  ])("%s (%s): an action Tiphys does not act on is acknowledged as ignored", async (name, event) => {
    const id = `ignored-${event}`;

    await h.deliver(name, example(event), id);

    expect(h.gh.calls).toEqual([]);
    expect(await h.app.store.hasDelivery(id)).toBe(false);
    expect(await counted()).toEqual([`${name}/ignored=1`]);
    h.gh.done();
  });

  it("a push without an installation (not sent to an App) is ignored", async () => {
    const p = examplePayload("push", (e) => e.installation === undefined && e.deleted === false);

    await h.deliver("push", p, "no-installation");

    expect(h.gh.calls).toEqual([]);
    expect(await h.app.store.hasDelivery("no-installation")).toBe(false);
    expect(await counted()).toEqual(["push/ignored=1"]);
    h.gh.done();
  });

  it("a redelivery of a processed push is a duplicate: processed once", async () => {
    // A deleted branch needs no GitHub call, so only the bookkeeping shows.
    const p = { ...example("push", (e) => e.deleted === true), ref: "refs/heads/gone" };

    await h.deliver("push", p, "same-delivery");
    await h.deliver("push", p, "same-delivery");

    expect(h.gh.calls).toEqual([]);
    expect(await counted()).toEqual(["push/duplicate=1", "push/queued=1"]);
    h.gh.done();
  });
});
