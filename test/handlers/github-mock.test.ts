/** The nock helper itself: a handler test can only be trusted if its mock fails when it should. */
import { describe, expect, it } from "vitest";
import { mockGitHub } from "../helpers/github-mock.js";

describe("mockGitHub", () => {
  it("passes when every interceptor was used, and records the calls in order", async () => {
    const gh = mockGitHub();
    gh.scope.get("/repos/o/r").reply(200, { id: 1 }).post("/repos/o/r/issues", { title: "t" }).reply(201, { number: 1 });

    expect((await fetch("https://api.github.com/repos/o/r")).status).toBe(200);
    const created = await fetch("https://api.github.com/repos/o/r/issues", { method: "POST", body: JSON.stringify({ title: "t" }), headers: { "content-type": "application/json" } });
    expect(created.status).toBe(201);

    expect(gh.calls).toEqual(["GET /repos/o/r", "POST /repos/o/r/issues"]);
    expect(() => gh.done()).not.toThrow();
  });

  it("fails naming an interceptor that was never used", () => {
    const gh = mockGitHub();
    gh.scope.get("/repos/o/r/pulls/7").reply(200, {});

    expect(() => gh.done()).toThrow(/never used:\s+GET https:\/\/api\.github\.com:443\/repos\/o\/r\/pulls\/7/);
  });

  it("fails naming a request nothing was set up for, even when the code swallowed the error", async () => {
    const gh = mockGitHub();
    gh.scope.get("/repos/o/r").reply(200, {});
    await fetch("https://api.github.com/repos/o/r");

    await expect(fetch("https://api.github.com/repos/o/r/check-runs", { method: "POST", body: "{}" })).rejects.toThrow();

    expect(gh.unmatched).toEqual(["POST api.github.com/repos/o/r/check-runs"]);
    expect(() => gh.done()).toThrow(/nothing was set up for:\s+POST api\.github\.com\/repos\/o\/r\/check-runs/);
  });

  it("keeps the network off for every other host", async () => {
    const gh = mockGitHub();

    await expect(fetch("https://example.com/")).rejects.toThrow();

    expect(gh.unmatched).toEqual(["GET example.com/"]);
  });
});
