import { describe, expect, it } from "vitest";
import { CronSyntaxError, nextActivation, parseRobfig } from "../../src/schedules/robfig-cron.js";

/** The next `n` activations after `from`, as ISO strings in UTC. */
function activations(schedule: string, from: string, n: number, zone = "UTC"): string[] {
  const s = parseRobfig(schedule, zone);
  const out: string[] = [];
  let t = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const next = nextActivation(s, t);
    if (next === undefined) break;
    out.push(new Date(next).toISOString().replace(".000Z", "Z"));
    t = next;
  }
  return out;
}

describe("robfig cron: daylight saving, as Argo's docs/cron-workflows.md tables", () => {
  // America/Los_Angeles: DST starts 2020-03-08 02:00 (PST -8 -> PDT -7), ends 2020-11-01 02:00.
  it.each([
    ["59 1 * * *", ["2020-03-08T09:59:00Z", "2020-03-09T08:59:00Z", "2020-03-10T08:59:00Z"]],
    // 02:00-02:59 does not exist on March 8th: those schedules skip the day.
    ["0 2 * * *", ["2020-03-09T09:00:00Z", "2020-03-10T09:00:00Z", "2020-03-11T09:00:00Z"]],
    ["1 2 * * *", ["2020-03-09T09:01:00Z", "2020-03-10T09:01:00Z", "2020-03-11T09:01:00Z"]],
  ])("DST start: %s", (schedule, expected) => {
    expect(activations(schedule, "2020-03-07T12:00:00Z", 3, "America/Los_Angeles")).toEqual(expected);
  });

  it.each([
    // 01:00-01:59 happens twice on November 1st: 01:59 PDT, then 01:59 PST.
    ["59 1 * * *", ["2020-11-01T08:59:00Z", "2020-11-01T09:59:00Z", "2020-11-02T09:59:00Z"]],
    ["0 2 * * *", ["2020-11-01T10:00:00Z", "2020-11-02T10:00:00Z", "2020-11-03T10:00:00Z"]],
    ["1 2 * * *", ["2020-11-01T10:01:00Z", "2020-11-02T10:01:00Z", "2020-11-03T10:01:00Z"]],
  ])("DST end: %s", (schedule, expected) => {
    expect(activations(schedule, "2020-10-31T12:00:00Z", 3, "America/Los_Angeles")).toEqual(expected);
  });

  it("America/New_York 2024: 02:30 is skipped on March 10th and 01:30 runs twice on November 3rd", () => {
    expect(activations("30 2 * * *", "2024-03-09T12:00:00Z", 2, "America/New_York")).toEqual(["2024-03-11T06:30:00Z", "2024-03-12T06:30:00Z"]);
    expect(activations("30 1 * * *", "2024-11-02T12:00:00Z", 3, "America/New_York")).toEqual([
      "2024-11-03T05:30:00Z", // 01:30 EDT
      "2024-11-03T06:30:00Z", // 01:30 EST
      "2024-11-04T06:30:00Z",
    ]);
  });

  it("an hourly schedule keeps firing every real hour across both changes", () => {
    expect(activations("0 * * * *", "2024-11-03T03:30:00Z", 4, "America/New_York")).toEqual([
      "2024-11-03T04:00:00Z",
      "2024-11-03T05:00:00Z",
      "2024-11-03T06:00:00Z",
      "2024-11-03T07:00:00Z",
    ]);
    expect(activations("0 * * * *", "2024-03-10T05:30:00Z", 3, "America/New_York")).toEqual([
      "2024-03-10T06:00:00Z", // 01:00 EST
      "2024-03-10T07:00:00Z", // 03:00 EDT
      "2024-03-10T08:00:00Z",
    ]);
  });

  it("a CRON_TZ= prefix overrides the default zone", () => {
    expect(activations("CRON_TZ=Asia/Tokyo 0 9 * * *", "2024-01-01T00:00:00Z", 1, "Europe/Paris")).toEqual(["2024-01-02T00:00:00Z"]);
    expect(activations("TZ=Asia/Kolkata 0 9 * * *", "2024-01-01T00:00:00Z", 1)).toEqual(["2024-01-01T03:30:00Z"]);
  });
});

describe("robfig cron: fields", () => {
  it.each<[string, string, string[]]>([
    ["every 15 minutes from minute 5 (N/step)", "5/15 * * * *", ["2024-01-01T00:05:00Z", "2024-01-01T00:20:00Z", "2024-01-01T00:35:00Z"]],
    ["weekday names in any case", "0 9 * * MON-fri", ["2024-01-01T09:00:00Z", "2024-01-02T09:00:00Z", "2024-01-03T09:00:00Z"]],
    ["month names", "0 0 1 jan,JUL *", ["2024-07-01T00:00:00Z", "2025-01-01T00:00:00Z", "2025-07-01T00:00:00Z"]],
    ["day of month OR day of week when both are restricted", "0 0 13 * 5", ["2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z", "2024-01-13T00:00:00Z"]],
    ["a stepped star counts as a restriction", "0 0 */10 * 5", ["2024-01-05T00:00:00Z", "2024-01-11T00:00:00Z", "2024-01-12T00:00:00Z"]],
    ["day of week AND a star day of month", "0 0 * * 5", ["2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z", "2024-01-19T00:00:00Z"]],
    ["? is a star", "0 0 ? * 5", ["2024-01-05T00:00:00Z", "2024-01-12T00:00:00Z", "2024-01-19T00:00:00Z"]],
    ["leap day", "0 0 29 2 *", ["2024-02-29T00:00:00Z", "2028-02-29T00:00:00Z"]],
    ["@hourly", "@hourly", ["2024-01-01T01:00:00Z", "2024-01-01T02:00:00Z"]],
    ["@daily", "@daily", ["2024-01-02T00:00:00Z", "2024-01-03T00:00:00Z"]],
    ["@midnight", "@midnight", ["2024-01-02T00:00:00Z"]],
    ["@weekly (Sunday)", "@weekly", ["2024-01-07T00:00:00Z", "2024-01-14T00:00:00Z"]],
    ["@monthly", "@monthly", ["2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z"]],
    ["@yearly", "@yearly", ["2025-01-01T00:00:00Z"]],
    ["@annually", "@annually", ["2025-01-01T00:00:00Z"]],
    ["never within five years", "0 0 30 2 *", []],
  ])("%s: %s", (_title, schedule, expected) => {
    expect(activations(schedule, "2024-01-01T00:00:00Z", expected.length || 1)).toEqual(expected);
  });

  it("the next activation is strictly after the given time", () => {
    expect(activations("0 * * * *", "2024-01-01T10:00:00Z", 1)).toEqual(["2024-01-01T11:00:00Z"]);
    expect(activations("0 * * * *", "2024-01-01T09:59:59.999Z", 1)).toEqual(["2024-01-01T10:00:00Z"]);
  });

  it("@every counts from the given time, in whole seconds of at least one", () => {
    expect(activations("@every 1h30m", "2024-01-01T00:00:00Z", 2)).toEqual(["2024-01-01T01:30:00Z", "2024-01-01T03:00:00Z"]);
    expect(activations("@every 1m", "2024-01-01T00:00:10.500Z", 1)).toEqual(["2024-01-01T00:01:10Z"]);
    expect(parseRobfig("@every 90.7s", "UTC")).toMatchObject({ kind: "every", everyMs: 90_000 });
    expect(parseRobfig("@every 10ms", "UTC")).toMatchObject({ kind: "every", everyMs: 1000 });
  });

  it.each([
    ["", "empty spec string"],
    ["* * * *", "expected exactly 5 fields, found 4: [* * * *]"],
    ["0 0 0 * * *", "expected exactly 5 fields, found 6"],
    ["61 * * * *", "minute field \"61\": end of range (61) above maximum (59)"],
    ["* 24 * * *", "hour field \"24\": end of range (24) above maximum (23)"],
    ["0 0 0 * *", "day of month field \"0\": beginning of range (0) below minimum (1)"],
    ["0 0 * 13 *", "month field \"13\": end of range (13) above maximum (12)"],
    ["0 0 * * 7", "day of week field \"7\": end of range (7) above maximum (6)"],
    ["0 0 L * *", "failed to parse int from L"],
    ["0 0 * * 1#2", "failed to parse int from 1#2"],
    ["H * * * *", "failed to parse int from H"],
    ["*/0 * * * *", "step of range should be a positive number: */0"],
    ["1-2-3 * * * *", "too many hyphens: 1-2-3"],
    ["1/2/3 * * * *", "too many slashes: 1/2/3"],
    ["5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"],
    ["0 0 * FOO *", "failed to parse int from FOO"],
    ["0 0 * constructor *", "failed to parse int from constructor"],
    ["@minutely", "unrecognized descriptor: @minutely"],
    ["@every 1x", "failed to parse duration @every 1x"],
    ["CRON_TZ=Mars/Base 0 * * * *", "provided bad location Mars/Base"],
    ["CRON_TZ=UTC", "missing fields after time zone"],
  ])("rejects %j: %s", (schedule, message) => {
    expect(() => parseRobfig(schedule, "UTC")).toThrow(CronSyntaxError);
    expect(() => parseRobfig(schedule, "UTC")).toThrow(message);
  });
});
