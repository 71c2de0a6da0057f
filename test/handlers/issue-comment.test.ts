/** issue_comment.created: `/tiphys` commands acknowledged, authorised, answered and audited. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { WebhookPayload } from "../helpers/webhooks.js";
import { example, expectComment, expectPermission, expectReaction, expectToken, R } from "./fixtures.js";
import { startHarness, type Harness } from "./harness.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

type Comment = { issue: { number: number; pull_request?: unknown }; comment: { id: number; body: string; user: { login: string; type: string } } };

/** The one `created` example with an installation: a comment by Codertocat on issue #1. */
function comment(body: string): WebhookPayload & Comment {
  const p = example("issue_comment.created", (e) => e.installation !== undefined) as WebhookPayload & Comment;
  p.comment.body = body;
  return p;
}

const reactions = (id: number) => `POST ${R}/issues/comments/${id}/reactions`;

describe("issue_comment", () => {
  it("/tiphys help: eyes, a comment listing every command, rocket; audited as done by the commenter", async () => {
    const p = comment("Thanks!\n/tiphys help");
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "read");
    const replies = expectComment(scope, p.issue.number);
    expectReaction(scope, p.comment.id, "rocket");

    await h.deliver("issue_comment", p);

    expect(h.gh.calls).toEqual([
      "POST /app/installations/1/access_tokens",
      reactions(p.comment.id),
      `GET ${R}/collaborators/Codertocat/permission`,
      `POST ${R}/issues/${p.issue.number}/comments`,
      reactions(p.comment.id),
    ]);
    expect(replies).toHaveLength(1);
    for (const verb of ["help", "retry", "cancel", "ok-to-test"]) expect(replies[0].body).toContain(`/tiphys ${verb}`);
    expect(await h.app.store.listAudit()).toEqual([
      expect.objectContaining({ actor: "Codertocat", action: "command", target: "help", decision: "done", repo: "Codertocat/Hello-World" }),
    ]);
    h.gh.done();
  });

  it("/tiphys retyr: a 'did you mean' reply and a confused reaction, without asking for permissions", async () => {
    const p = comment("/tiphys retyr");
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    const replies = expectComment(scope, p.issue.number);
    expectReaction(scope, p.comment.id, "confused");

    await h.deliver("issue_comment", p);

    expect(replies[0].body).toContain("Did you mean `/tiphys retry`");
    expect(h.gh.calls.some((c) => c.includes("/permission"))).toBe(false);
    expect(await h.app.store.listAudit()).toEqual([
      expect.objectContaining({ actor: "Codertocat", target: "retyr", decision: "refused", reason: "invalid command" }),
    ]);
    h.gh.done();
  });

  it("/tiphys cancel by a read-only user: refused with the permission it needs, audited as refused", async () => {
    const p = comment("/tiphys cancel");
    p.issue.pull_request = { url: `https://api.github.com${R}/pulls/${p.issue.number}` };
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "read");
    const replies = expectComment(scope, p.issue.number);
    expectReaction(scope, p.comment.id, "confused");

    await h.deliver("issue_comment", p);

    expect(replies[0].body).toContain("`/tiphys cancel` needs write permission on this repository; @Codertocat has read.");
    expect(await h.app.store.listAudit()).toEqual([
      expect.objectContaining({ actor: "Codertocat", target: "cancel", decision: "refused", reason: expect.stringContaining("cancel needs write") }),
    ]);
    h.gh.done();
  });

  it("/tiphys cancel by a writer with nothing running: allowed, then told there is nothing to cancel", async () => {
    const p = comment("/tiphys cancel");
    p.issue.pull_request = { url: `https://api.github.com${R}/pulls/${p.issue.number}` };
    const { scope } = h.gh;
    expectToken(scope);
    expectReaction(scope, p.comment.id, "eyes");
    expectPermission(scope, "Codertocat", "write");
    const replies = expectComment(scope, p.issue.number);
    expectReaction(scope, p.comment.id, "confused");

    await h.deliver("issue_comment", p);

    expect(replies[0].body).toContain("Nothing to cancel");
    expect(replies[0].body).not.toContain("needs write permission");
    expect(await h.app.store.listAudit()).toEqual([expect.objectContaining({ actor: "Codertocat", target: "cancel", decision: "refused", reason: "nothing running" })]);
    h.gh.done();
  });

  it("a bot's comment: no GitHub call at all, nothing audited", async () => {
    const p = comment("/tiphys help");
    p.comment.user = { ...p.comment.user, login: "renovate", type: "Bot" };

    await h.deliver("issue_comment", p);

    expect(h.gh.calls).toEqual([]);
    expect(await h.app.store.listAudit()).toEqual([]);
    h.gh.done();
  });

  it("a comment without /tiphys: ignored at the door, no GitHub call", async () => {
    const id = "plain-comment-1";
    await h.deliver("issue_comment", comment("You are totally right! I'll get this fixed right away."), id);

    expect(h.gh.calls).toEqual([]);
    expect(await h.app.store.hasDelivery(id)).toBe(false);
    h.gh.done();
  });

  it("a command inside a ``` code fence is quoted, not run: no GitHub call", async () => {
    await h.deliver("issue_comment", comment("To cancel, write:\n```\n/tiphys cancel\n```\nin a comment."));

    expect(h.gh.calls).toEqual([]);
    expect(await h.app.store.listAudit()).toEqual([]);
    h.gh.done();
  });
});
