import { describe, expect, it } from "vitest";
import { eventsUsedBy, indexNames } from "../../src/app/event-index.js";

const wf = (on: string) => ({ file: ".tiphys/a.yaml", manifest: { kind: "Workflow", metadata: { annotations: { "tiphys.io/on": on } } } });
const sensor = (...events: string[]) => ({
  file: ".tiphys/s.yaml",
  manifest: { kind: "Sensor", spec: { dependencies: events.map((e, i) => ({ name: `d${i}`, eventSourceName: "github", eventName: e })) } },
});

describe("the event index: which events may start anything in a repo", () => {
  it("collects tiphys.io/on values as written and Sensor dependencies as any action", () => {
    expect(eventsUsedBy([wf("push, pull_request.closed"), sensor("release", "issues"), { file: "x", manifest: "not a doc" }])).toEqual([
      "issues.*",
      "pull_request.closed",
      "push",
      "release.*",
    ]);
  });

  it.each([
    [["push"], "push", undefined, true],
    [["push"], "release", "published", false],
    [["release.*"], "release", "published", true],
    [["pull_request"], "pull_request", "closed", false],
    [["pull_request"], "pull_request", "synchronize", true],
    [["pull_request.closed"], "pull_request", "closed", true],
    [["pull_request.closed"], "pull_request", "labeled", false],
    [["issues"], "issues", "opened", true],
    [["*"], "star", "created", true],
    [[], "issues", "opened", false],
  ] as const)("%j names %s.%s: %s", (events, event, action, expected) => {
    expect(indexNames([...events], event, action)).toBe(expected);
  });
});
