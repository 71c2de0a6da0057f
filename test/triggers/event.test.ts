import { describe, expect, it } from "vitest";
import { argoEventContext, argoEventData, eventParameters } from "../../src/triggers/event.js";
import { branchPush, event, payload, tagPush } from "./helpers.js";

describe("eventParameters", () => {
  it.each([
    {
      what: "push to a branch",
      ev: () => event("push", branchPush()),
      want: { sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", ref: "refs/heads/master", branch: "master", event: "push", pr: "" },
    },
    {
      what: "push of a tag has no branch",
      ev: () => event("push", tagPush()),
      want: { sha: "6113728f27ae82c7b1a177c8d03f9e96e0adf246", ref: "refs/tags/simple-tag", branch: "", event: "push", pr: "" },
    },
    {
      what: "pull_request opened: the head",
      ev: () => event("pull_request", payload("pull_request", "opened")),
      want: { sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", ref: "refs/heads/changes", branch: "changes", event: "pull_request", pr: "2" },
    },
    {
      what: "pull_request synchronize",
      ev: () => event("pull_request", payload("pull_request", "synchronize")),
      want: { sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", branch: "changes", pr: "2" },
    },
    {
      what: "pull_request closed",
      ev: () => event("pull_request", payload("pull_request", "closed")),
      want: { branch: "changes", pr: "2", event: "pull_request" },
    },
    {
      what: "issue_comment on an issue: no sha, no pr",
      ev: () => event("issue_comment", payload("issue_comment", "created")),
      want: { sha: "", ref: "", branch: "", pr: "", event: "issue_comment" },
    },
    {
      what: "issue_comment on a pull request, sha given by the caller",
      ev: () => {
        const body = payload("issue_comment", "created");
        body.issue.pull_request = { url: "https://api.github.com/repos/Codertocat/Hello-World/pulls/1" };
        return event("issue_comment", body, { sha: "abc123" });
      },
      want: { sha: "abc123", pr: "1" },
    },
    {
      what: "check_run: its head sha and branch",
      ev: () => event("check_run", payload("check_run", "created")),
      want: { sha: "ec26c3e57ca3a959ca5aad62de7213c562f8c821", branch: "changes", ref: "refs/heads/changes", event: "check_run" },
    },
  ])("$what", ({ ev, want }) => {
    const params = eventParameters(ev());
    expect(params).toMatchObject({ repo: "Codertocat/Hello-World", actor: "Codertocat", ...want });
  });
});

describe("argoEventData and argoEventContext", () => {
  it("reproduces what Argo's GitHub EventSource publishes", () => {
    const body = payload("pull_request", "opened");
    const data = argoEventData(event("pull_request", body, { deliveryId: "d-1" }));
    expect(data.headers).toEqual({ "X-Github-Event": ["pull_request"], "X-Github-Delivery": ["d-1"] });
    expect(data.body["X-GitHub-Event"]).toBe("pull_request");
    expect(data.body["X-GitHub-Delivery"]).toBe("d-1");
    expect((data.body.pull_request as { number: number }).number).toBe(2);
  });

  it("does not change the payload it copies", () => {
    const body = payload("push");
    argoEventData(event("push", body));
    expect(body["X-GitHub-Event"]).toBeUndefined();
  });

  it("gives a CloudEvent context with the event name as subject", () => {
    const ctx = argoEventContext(event("push", branchPush(), { deliveryId: "d-2", time: new Date("2024-05-01T10:00:00Z") }), "gh");
    expect(ctx).toEqual({
      id: "d-2", source: "gh", specversion: "1.0", type: "github", subject: "push",
      datacontenttype: "application/json", time: "2024-05-01T10:00:00.000Z",
    });
  });
});
