import { describe, expect, it } from "vitest";
import { cronRunMetadata, cronRunName, formatScheduledTime } from "../../src/schedules/run-metadata.js";

describe("cron run identity", () => {
  it("names a run after the unix seconds of its scheduled time", () => {
    expect(cronRunName("nightly", new Date("2024-01-01T11:00:00Z"))).toBe("nightly-1704106800");
    expect(cronRunName("nightly", new Date("2024-01-01T11:00:00.999Z"))).toBe("nightly-1704106800");
  });

  it("formats the scheduled time as Go's RFC3339 in UTC", () => {
    expect(formatScheduledTime(new Date("2024-01-01T11:00:00.250Z"))).toBe("2024-01-01T11:00:00Z");
  });

  it("labels and annotates the run as Argo does, workflowMetadata last", () => {
    const meta = cronRunMetadata({
      cronName: "nightly",
      scheduledTime: new Date("2024-01-01T11:00:00Z"),
      cronLabels: { "workflows.argoproj.io/creator": "ana", team: "data" },
      workflowMetadata: { labels: { app: "etl" }, annotations: { note: "hello" } },
    });
    expect(meta).toEqual({
      name: "nightly-1704106800",
      labels: { "workflows.argoproj.io/creator": "ana", "workflows.argoproj.io/cron-workflow": "nightly", app: "etl" },
      annotations: { "workflows.argoproj.io/scheduled-time": "2024-01-01T11:00:00Z", note: "hello" },
    });
  });
});
