import { describe, expect, it } from "vitest";
import { formatProblem } from "../../src/core/errors.js";
import { parseYamlDocuments } from "../../src/engine/model/load.js";
import type { CronWorkflowSpec } from "../../src/engine/model/types.js";
import { latestActivation, nextScheduledTime, parseCronSchedules, scheduleKey } from "../../src/schedules/cron.js";
import { parseRobfig } from "../../src/schedules/robfig-cron.js";

const spec = (fields: Partial<CronWorkflowSpec> & Record<string, unknown>): CronWorkflowSpec =>
  ({ workflowSpec: { entrypoint: "main", templates: [] }, schedules: [], ...fields }) as CronWorkflowSpec;

describe("parseCronSchedules", () => {
  it("parses every schedule with the spec's timezone", () => {
    const result = parseCronSchedules(spec({ schedules: ["0 9 * * 1-5", "@every 2h", "@daily"], timezone: "Europe/Paris" }));
    expect(result.problems).toEqual([]);
    expect(result.timezone).toBe("Europe/Paris");
    expect(result.schedules).toEqual(["0 9 * * 1-5", "@every 2h", "@daily"]);
    expect(result.parsed.map((p) => [p.index, p.schedule.kind, p.schedule.zone])).toEqual([
      [0, "spec", "Europe/Paris"],
      [1, "every", "Europe/Paris"],
      [2, "spec", "Europe/Paris"],
    ]);
  });

  it("defaults to UTC and lets a CRON_TZ= prefix choose a schedule's zone", () => {
    const result = parseCronSchedules(spec({ schedules: ["0 9 * * *", "CRON_TZ=Asia/Tokyo 0 9 * * *"] }));
    expect(result.problems).toEqual([]);
    expect(result.parsed.map((p) => p.schedule.zone)).toEqual(["UTC", "Asia/Tokyo"]);
  });

  it("names the field of an invalid schedule and points at it in the file", () => {
    const [doc] = parseYamlDocuments(
      [
        "apiVersion: argoproj.io/v1alpha1",
        "kind: CronWorkflow",
        "metadata: {name: nightly}",
        "spec:",
        "  schedules:",
        '    - "0 2 * * *"',
        '    - "0 25 * * *"',
        "  timezone: Mars/Olympus_Mons",
        "  workflowSpec: {entrypoint: main, templates: []}",
      ].join("\n"),
      ".tiphys/nightly.yaml",
    );
    const result = parseCronSchedules((doc.data as { spec: CronWorkflowSpec }).spec, doc);
    expect(result.problems.map(formatProblem)).toEqual([
      '.tiphys/nightly.yaml:8:13: error: unknown time zone "Mars/Olympus_Mons": expected an IANA name such as "Europe/Paris" or "America/New_York" (spec.timezone)',
      ".tiphys/nightly.yaml:7:7: error: cron schedule 0 25 * * * is malformed: hour field \"25\": end of range (25) above maximum (23): 25 (spec.schedules[1])",
    ]);
    expect(result.parsed.map((p) => p.index)).toEqual([0]);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ["no schedules", {}, "spec.schedules", "spec.schedules is required: list at least one cron schedule"],
    ["an empty list", { schedules: [] }, "spec.schedules", "spec.schedules is required"],
    ["a string instead of a list", { schedules: "0 * * * *" }, "spec.schedules", "schedules must be a list of cron schedules"],
    ["a number in the list", { schedules: [5] }, "spec.schedules[0]", "schedules[0] must be a string"],
    ["the singular field removed in v4", { schedule: "0 * * * *", schedules: ["0 * * * *"] }, "spec.schedule", '"schedule" was removed in Argo Workflows v4: use "schedules" (a list)'],
    ["a six-field (seconds) schedule", { schedules: ["0 0 * * * *"] }, "spec.schedules[0]", "expected exactly 5 fields, found 6"],
    ["a timezone in the wrong case", { schedules: ["@daily"], timezone: "america/new_york" }, "spec.timezone", 'did you mean "America/New_York"'],
    [
      "CRON_TZ= together with spec.timezone",
      { schedules: ["@daily", "CRON_TZ=Asia/Tokyo 0 9 * * *"], timezone: "Europe/Paris" },
      "spec.schedules[1]",
      "it has its own CRON_TZ= prefix and spec.timezone is set too",
    ],
  ])("reports %s", (_title, fields, field, message) => {
    const problems = parseCronSchedules(spec(fields)).problems;
    expect(problems).toContainEqual(expect.objectContaining({ field, severity: "error", message: expect.stringContaining(message) }));
  });

  it("warns that timezone Local is scheduled in UTC", () => {
    const result = parseCronSchedules(spec({ schedules: ["@daily"], timezone: "Local" }));
    expect(result.problems).toEqual([expect.objectContaining({ field: "spec.timezone", severity: "warning" })]);
    expect(result.parsed[0].schedule.zone).toBe("UTC");
  });
});

describe("nextScheduledTime", () => {
  it("is the earliest next time over all schedules, in their zone", () => {
    const s = spec({ schedules: ["0 9 * * *", "30 8 * * 1"], timezone: "America/New_York" });
    // Monday 2024-01-08 07:00 EST: 08:30 (Mondays) comes before 09:00.
    expect(nextScheduledTime(s, new Date("2024-01-08T12:00:00Z"))?.toISOString()).toBe("2024-01-08T13:30:00.000Z");
    expect(nextScheduledTime(s, new Date("2024-01-08T13:30:00Z"))?.toISOString()).toBe("2024-01-08T14:00:00.000Z");
  });

  it("is undefined for an invalid spec or a date that never comes", () => {
    expect(nextScheduledTime(spec({ schedules: ["nope"] }), new Date("2024-01-01T00:00:00Z"))).toBeUndefined();
    expect(nextScheduledTime(spec({ schedules: ["0 0 31 2 *"] }), new Date("2024-01-01T00:00:00Z"))).toBeUndefined();
  });
});

describe("scheduleKey", () => {
  it("is Argo's last-used-schedule string", () => {
    expect(scheduleKey({ schedules: ["0 * * * *", "@daily"] })).toBe("0 * * * *,@daily");
    expect(scheduleKey({ schedules: ["0 * * * *", "@daily"], timezone: "Asia/Tokyo" })).toBe("CRON_TZ=Asia/Tokyo 0 * * * *,CRON_TZ=Asia/Tokyo @daily");
  });
});

describe("latestActivation", () => {
  const t = (iso: string): number => Date.parse(iso);

  it("finds the latest time in (from, to] and whether an earlier one was skipped", () => {
    const hourly = parseRobfig("0 * * * *", "UTC");
    expect(latestActivation(hourly, t("2024-01-01T10:00:00Z"), t("2024-01-01T10:59:59Z"))).toBeUndefined();
    expect(latestActivation(hourly, t("2024-01-01T10:00:00Z"), t("2024-01-01T11:00:00Z"))).toEqual({ time: t("2024-01-01T11:00:00Z"), earlier: false });
    expect(latestActivation(hourly, t("2024-01-01T10:00:00Z"), t("2024-01-01T13:30:00Z"))).toEqual({ time: t("2024-01-01T13:00:00Z"), earlier: true });
  });

  it("stays fast after a month of downtime of a minutely schedule, and finds a yearly one", () => {
    const minutely = parseRobfig("* * * * *", "Europe/Berlin");
    const started = performance.now();
    expect(latestActivation(minutely, t("2024-01-01T00:00:00Z"), t("2024-02-01T12:34:56Z"))).toEqual({ time: t("2024-02-01T12:34:00Z"), earlier: true });
    expect(performance.now() - started).toBeLessThan(1000);
    const yearly = parseRobfig("0 0 1 1 *", "UTC");
    expect(latestActivation(yearly, t("2020-06-01T00:00:00Z"), t("2024-06-01T00:00:00Z"))).toEqual({ time: t("2024-01-01T00:00:00Z"), earlier: true });
  });

  it("puts @every on a grid from `from`", () => {
    const every = parseRobfig("@every 90m", "UTC");
    expect(latestActivation(every, t("2024-01-01T00:00:00Z"), t("2024-01-01T01:29:59Z"))).toBeUndefined();
    expect(latestActivation(every, t("2024-01-01T00:00:00Z"), t("2024-01-01T05:00:00Z"))).toEqual({ time: t("2024-01-01T04:30:00Z"), earlier: true });
  });
});
