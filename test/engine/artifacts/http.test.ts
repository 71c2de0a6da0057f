import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { lstat, readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ArtifactError, ArtifactNotFoundError } from "../../../src/engine/artifacts/errors.js";
import { downloadHttp } from "../../../src/engine/artifacts/http-source.js";
import { LocalArtifactRepository } from "../../../src/engine/artifacts/local-repository.js";
import { craftTarGz, tempDir } from "./fixtures.js";

let server: Server;
let base: string;
const seen: Array<{ url: string; headers: IncomingMessage["headers"] }> = [];
const hanging = new Set<() => void>();

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers });
    switch (req.url) {
      case "/file.txt":
        res.writeHead(200, { "content-type": "text/plain" }).end("served over http\n");
        return;
      case "/needs-token":
        if (req.headers["x-token"] === "tok-123") res.writeHead(200).end("with token");
        else res.writeHead(403, "Forbidden").end();
        return;
      case "/basic":
        if (req.headers.authorization === "Basic " + Buffer.from("bob:hunter2").toString("base64")) {
          res.writeHead(200).end("authorised");
        } else res.writeHead(401, "Unauthorized").end();
        return;
      case "/redirect":
        res.writeHead(302, { location: "/hop" }).end();
        return;
      case "/hop":
        res.writeHead(301, { location: `${base}/file.txt` }).end();
        return;
      case "/tree.tgz":
        res.writeHead(200, { "content-type": "application/gzip" }).end(
          craftTarGz([
            { path: "a.txt", type: "File", body: "A" },
            { path: "dir/", type: "Directory" },
            { path: "dir/b.txt", type: "File", body: "B" },
          ]),
        );
        return;
      case "/boom":
        res.writeHead(500, "Internal Server Error").end("no");
        return;
      case "/hang":
        hanging.add(() => res.destroy());
        return;
      default:
        res.writeHead(404, "Not Found").end("missing");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const stop of hanging) stop();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

let dir: string;
let cleanup: () => Promise<void>;
let repo: LocalArtifactRepository;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  repo = new LocalArtifactRepository(path.join(dir, "artifacts"));
  seen.length = 0;
});
afterEach(async () => cleanup());

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

describe("http input artifacts", () => {
  it("downloads a file", async () => {
    const dest = path.join(dir, "in", "file.txt");
    await repo.load({ artifact: { name: "f", path: "/file.txt", http: { url: `${base}/file.txt` }, mode: 0o640 }, hostPath: dest });
    expect(await readFile(dest, "utf8")).toBe("served over http\n");
    expect((await stat(dest)).mode & 0o777).toBe(0o640);
  });

  it("sends the artifact's headers", async () => {
    const dest = path.join(dir, "in", "t");
    await repo.load({
      artifact: { name: "t", http: { url: `${base}/needs-token`, headers: [{ name: "X-Token", value: "tok-123" }] } },
      hostPath: dest,
    });
    expect(await readFile(dest, "utf8")).toBe("with token");
  });

  it("follows redirects", async () => {
    const dest = path.join(dir, "in", "r");
    await repo.load({ artifact: { name: "r", http: { url: `${base}/redirect` } }, hostPath: dest });
    expect(await readFile(dest, "utf8")).toBe("served over http\n");
    expect(seen.map((s) => s.url)).toEqual(["/redirect", "/hop", "/file.txt"]);
  });

  it("untars a tarball body, as Argo detects tarballs by content", async () => {
    const dest = path.join(dir, "in", "tree");
    await repo.load({ artifact: { name: "t", http: { url: `${base}/tree.tgz` } }, hostPath: dest });
    expect((await readdir(dest)).sort()).toEqual(["a.txt", "dir"]);
    expect(await readFile(path.join(dest, "dir", "b.txt"), "utf8")).toBe("B");
  });

  it("404 is not found, naming the URL and status; optional skips it", async () => {
    const dest = path.join(dir, "in", "x");
    const url = `${base}/nope`;
    const err = await repo.load({ artifact: { name: "x", http: { url } }, hostPath: dest }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactNotFoundError);
    expect((err as Error).message).toBe(`artifact x failed to load: loading content from ${url} failed with reason: 404 Not Found`);
    await repo.load({ artifact: { name: "x", http: { url }, optional: true }, hostPath: dest });
    expect(await exists(dest)).toBe(false);
    expect((await readdir(path.join(dir, "in"))).length).toBe(0);
  });

  it("other non-2xx statuses are errors even when optional", async () => {
    const dest = path.join(dir, "in", "x");
    const err = await repo.load({ artifact: { name: "x", http: { url: `${base}/boom` }, optional: true }, hostPath: dest }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect(err).not.toBeInstanceOf(ArtifactNotFoundError);
    expect((err as Error).message).toBe(
      `artifact x failed to load: loading content from ${base}/boom failed with reason: 500 Internal Server Error`,
    );
  });

  it("turns URL credentials into Basic auth and keeps them out of messages", async () => {
    const withCreds = base.replace("http://", "http://bob:hunter2@");
    const dest = path.join(dir, "in", "b");
    await repo.load({ artifact: { name: "b", http: { url: `${withCreds}/basic` } }, hostPath: dest });
    expect(await readFile(dest, "utf8")).toBe("authorised");
    const err = await repo.load({ artifact: { name: "b", http: { url: `${withCreds}/boom` } }, hostPath: dest }).catch((e) => e);
    expect((err as Error).message).toContain(`${base}/boom`);
    expect((err as Error).message).not.toContain("hunter2");
    expect((err as Error).message).not.toContain("bob");
  });

  it("a refused connection is an error naming the URL", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const err = await repo
      .load({ artifact: { name: "x", http: { url: `http://127.0.0.1:${port}/f` } }, hostPath: path.join(dir, "x") })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toContain(`GET http://127.0.0.1:${port}/f`);
  });

  it("times out", async () => {
    const err = await downloadHttp({ url: `${base}/hang`, artifact: "h", timeoutMs: 300 }, path.join(dir, "h")).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toBe(`artifact h failed to load: GET ${base}/hang: timed out after 300ms`);
  });
});
