// Pod logs through the adapter: once, and followed until the container ends. The simulated
// cluster's log store plays the kubelet (api.appendLog / closeLog).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExternalError } from "../../src/core/errors.js";
import type { KubeObject } from "../../src/core/ports/cluster.js";
import { rejection, startHarness, until, type Harness } from "./helpers.js";

let h: Harness;

const pod = (name: string, containers: string[]): KubeObject => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "logs" },
  spec: { containers: containers.map((c) => ({ name: c, image: "busybox" })) },
});

beforeAll(async () => {
  h = await startHarness({ namespaces: ["logs"] });
});
afterAll(() => h.close());

describe("logs", () => {
  it("reads a container's log once, whole or its last lines", async () => {
    await h.cluster.create(pod("once", ["main"]));
    h.sim.api.appendLog("logs", "once", "main", "one\ntwo\nthree\n");
    expect(await h.cluster.logs({ namespace: "logs", name: "once" })).toBe("one\ntwo\nthree\n");
    expect(await h.cluster.logs({ namespace: "logs", name: "once", container: "main" }, { tailLines: 2 })).toBe("two\nthree\n");
  });

  it("picks the first container when none is named, and the named one otherwise", async () => {
    await h.cluster.create(pod("two", ["app", "sidecar"]));
    h.sim.api.appendLog("logs", "two", "app", "from app\n");
    h.sim.api.appendLog("logs", "two", "sidecar", "from sidecar\n");
    expect(await h.cluster.logs({ namespace: "logs", name: "two" })).toBe("from app\n");
    expect(await h.cluster.logs({ namespace: "logs", name: "two", container: "sidecar" })).toBe("from sidecar\n");
  });

  it("follows: onData gets what was written and what follows, until the container ends", async () => {
    await h.cluster.create(pod("follow", ["main"]));
    h.sim.api.appendLog("logs", "follow", "main", "starting\n");
    const chunks: string[] = [];
    let finished = false;
    const done = h.cluster.logs({ namespace: "logs", name: "follow" }, { follow: true, onData: (c) => chunks.push(c) }).finally(() => (finished = true));
    await until(() => chunks.join("") === "starting\n", 5_000, "the first line");
    h.sim.api.appendLog("logs", "follow", "main", "working\n");
    await until(() => chunks.join("").includes("working"), 5_000, "the second line");
    expect(finished).toBe(false);
    h.sim.api.appendLog("logs", "follow", "main", "done");
    h.sim.api.closeLog("logs", "follow", "main");
    expect(await done).toBe("starting\nworking\ndone\n");
    expect(chunks.join("")).toBe("starting\nworking\ndone\n");
    expect(h.sim.api.requests.list({ subresource: "log" }).at(-1)!.query).toMatch(/follow=true/);
  });

  it("stops following when the signal aborts, with what came so far", async () => {
    await h.cluster.create(pod("abort", ["main"]));
    h.sim.api.appendLog("logs", "abort", "main", "still running\n");
    const ctl = new AbortController();
    const chunks: string[] = [];
    const done = h.cluster.logs({ namespace: "logs", name: "abort", container: "main" }, { follow: true, signal: ctl.signal, onData: (c) => chunks.push(c) });
    await until(() => chunks.length > 0, 5_000, "the first line");
    ctl.abort();
    expect(await done).toBe("still running\n");
  });

  it("fails with an ExternalError carrying the server's reason when the container has not started, or the pod is missing", async () => {
    await h.cluster.create(pod("waiting", ["main"]));
    for (const follow of [false, true]) {
      const err = await rejection(h.cluster.logs({ namespace: "logs", name: "waiting" }, { follow }));
      expect(err).toBeInstanceOf(ExternalError);
      expect(err.message).toMatch(/waiting to start/);
      expect((err as ExternalError).status).toBe(400);
    }
    const missing = await rejection(h.cluster.logs({ namespace: "logs", name: "nobody" }));
    expect(missing).toBeInstanceOf(ExternalError);
    expect((missing as ExternalError).status).toBe(404);
  });
});
