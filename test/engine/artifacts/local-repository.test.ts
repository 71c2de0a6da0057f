import { lstat, mkdir, readFile, readdir, readlink, stat, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/core/errors.js";
import { isTarball } from "../../../src/engine/artifacts/archive.js";
import { ArtifactError, ArtifactNotFoundError } from "../../../src/engine/artifacts/errors.js";
import { LocalArtifactRepository, UNSUPPORTED_STORAGE_KINDS } from "../../../src/engine/artifacts/local-repository.js";
import type { Artifact } from "../../../src/engine/model/types.js";
import { craftTarGz, tempDir } from "./fixtures.js";

let dir: string;
let cleanup: () => Promise<void>;
let repo: LocalArtifactRepository;
let work: string;

beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  repo = new LocalArtifactRepository(path.join(dir, "run", "artifacts"));
  work = path.join(dir, "work");
  await mkdir(work, { recursive: true });
});
afterEach(async () => cleanup());

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function makeTree(root: string): Promise<void> {
  await mkdir(path.join(root, "sub", "deeper"), { recursive: true });
  await writeFile(path.join(root, "top.txt"), "top\n");
  await writeFile(path.join(root, "sub", "a.txt"), "a\n");
  await writeFile(path.join(root, "sub", "deeper", "b.txt"), "b\n");
  await symlink("sub/a.txt", path.join(root, "link-to-a"));
}

async function listTree(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(root, { withFileTypes: true })).sort((x, y) => x.name.localeCompare(y.name))) {
    const rel = prefix + e.name;
    if (e.isDirectory()) out.push(rel + "/", ...(await listTree(path.join(root, e.name), rel + "/")));
    else if (e.isSymbolicLink()) out.push(`${rel} -> ${await readlink(path.join(root, e.name))}`);
    else out.push(`${rel}: ${await readFile(path.join(root, e.name), "utf8")}`);
  }
  return out;
}

describe("save", () => {
  it("stores a file as <nodeId>/<name>.tgz and returns the status artifact", async () => {
    const src = path.join(work, "hello_world.txt");
    await writeFile(src, "hello world\n");
    const art: Artifact = { name: "hello-art", path: "/tmp/hello_world.txt" };
    const saved = await repo.save({ nodeId: "wf-123", artifact: art, hostPath: src });
    expect(saved).toEqual({ name: "hello-art", path: "/tmp/hello_world.txt", local: { key: "wf-123/hello-art.tgz" } });
    const stored = path.join(repo.rootDir, "wf-123", "hello-art.tgz");
    expect(await isTarball(stored)).toBe(true);
    expect(art).toEqual({ name: "hello-art", path: "/tmp/hello_world.txt" });
  });

  it("round-trips a file: the single-file tarball becomes that file at the input path", async () => {
    const src = path.join(work, "out.txt");
    await writeFile(src, "payload");
    const saved = await repo.save({ nodeId: "n1", artifact: { name: "a", path: "/tmp/out.txt" }, hostPath: src });
    const dest = path.join(dir, "consumer", "tmp", "message");
    await repo.load({ artifact: { ...saved!, path: "/tmp/message" }, hostPath: dest });
    expect((await stat(dest)).isFile()).toBe(true);
    expect(await readFile(dest, "utf8")).toBe("payload");
  });

  it("round-trips a folder, symlinks included", async () => {
    const src = path.join(work, "outdir");
    await makeTree(src);
    const saved = await repo.save({ nodeId: "n1", artifact: { name: "tree", path: "/tmp/outdir" }, hostPath: src });
    const dest = path.join(dir, "consumer", "in");
    await repo.load({ artifact: saved!, hostPath: dest });
    expect(await listTree(dest)).toEqual(await listTree(src));
  });

  it("honours archive.tar.compressionLevel", async () => {
    const src = path.join(work, "big.txt");
    await writeFile(src, "abcdefgh".repeat(50_000));
    const stored = await repo.save({
      nodeId: "n0",
      artifact: { name: "raw", path: "/big.txt", archive: { tar: { compressionLevel: 0 } } },
      hostPath: src,
    });
    const best = await repo.save({
      nodeId: "n9",
      artifact: { name: "best", path: "/big.txt", archive: { tar: { compressionLevel: 9 } } },
      hostPath: src,
    });
    expect(stored!.local).toEqual({ key: "n0/raw.tgz" });
    const size0 = (await stat(path.join(repo.rootDir, "n0/raw.tgz"))).size;
    const size9 = (await stat(path.join(repo.rootDir, "n9/best.tgz"))).size;
    expect(size0).toBeGreaterThan(400_000);
    expect(size9).toBeLessThan(10_000);
    expect(best!.local).toEqual({ key: "n9/best.tgz" });
    await expect(
      repo.save({ nodeId: "n", artifact: { name: "x", path: "/b", archive: { tar: { compressionLevel: 12 } } }, hostPath: src }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it("archive none stores a file as is and a folder as a folder copy", async () => {
    const file = path.join(work, "f.txt");
    await writeFile(file, "plain");
    const a = await repo.save({ nodeId: "n1", artifact: { name: "f", path: "/f.txt", archive: { none: {} } }, hostPath: file });
    expect(a!.local).toEqual({ key: "n1/f" });
    expect(await readFile(path.join(repo.rootDir, "n1", "f"), "utf8")).toBe("plain");

    const folder = path.join(work, "d");
    await makeTree(folder);
    const d = await repo.save({ nodeId: "n1", artifact: { name: "d", path: "/d", archive: { none: {} } }, hostPath: folder });
    expect(d!.local).toEqual({ key: "n1/d" });
    expect(await listTree(path.join(repo.rootDir, "n1", "d"))).toEqual(await listTree(folder));

    const fileDest = path.join(dir, "c", "file");
    await repo.load({ artifact: a!, hostPath: fileDest });
    expect(await readFile(fileDest, "utf8")).toBe("plain");
    const dirDest = path.join(dir, "c", "dir");
    await repo.load({ artifact: d!, hostPath: dirDest });
    expect(await listTree(dirDest)).toEqual(await listTree(folder));
    // Loading copies: the stored artifact is still there for the next consumer.
    expect(await exists(path.join(repo.rootDir, "n1", "d", "top.txt"))).toBe(true);
  });

  it("an optional missing output is skipped; a required one fails with Argo's wording", async () => {
    const missing = path.join(work, "nope.txt");
    await expect(
      repo.save({ nodeId: "n1", artifact: { name: "o", path: "/tmp/nope.txt", optional: true }, hostPath: missing }),
    ).resolves.toBeUndefined();
    const err = await repo
      .save({ nodeId: "n1", artifact: { name: "o", path: "/tmp/nope.txt" }, hostPath: missing })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toMatch(/^failed to save outputs: \/tmp\/nope\.txt no such file or directory$/);
    expect(await exists(path.join(repo.rootDir, "n1"))).toBe(false);
  });

  it("refuses node ids and names that would leave the repository", async () => {
    const src = path.join(work, "x");
    await writeFile(src, "x");
    for (const nodeId of ["..", "a/b", ""]) {
      await expect(repo.save({ nodeId, artifact: { name: "x", path: "/x" }, hostPath: src })).rejects.toBeInstanceOf(ConfigError);
    }
    await expect(repo.save({ nodeId: "n", artifact: { name: "../x", path: "/x" }, hostPath: src })).rejects.toBeInstanceOf(ConfigError);
  });

  it("refuses outputs aimed at a storage kind a local run lacks", async () => {
    const src = path.join(work, "x");
    await writeFile(src, "x");
    const err = await repo
      .save({ nodeId: "n", artifact: { name: "x", path: "/x", s3: { key: "a/b" } }, hostPath: src })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("no s3 artifact repository configured");
  });
});

describe("load from the repository", () => {
  async function savedTree(archive?: Artifact["archive"]): Promise<Artifact> {
    const src = path.join(work, "tree");
    await makeTree(src);
    const saved = await repo.save({ nodeId: "n1", artifact: { name: "tree", path: "/tree", archive }, hostPath: src });
    return saved!;
  }

  it.each([
    ["a tarball", undefined],
    ["an unarchived folder", { none: {} }],
  ])("subPath picks a file or a folder inside %s", async (_label, archive) => {
    const saved = await savedTree(archive);
    const fileDest = path.join(dir, "c", "b.txt");
    await repo.load({ artifact: { ...saved, subPath: "sub/deeper/b.txt" }, hostPath: fileDest });
    expect(await readFile(fileDest, "utf8")).toBe("b\n");
    const dirDest = path.join(dir, "c", "sub");
    await repo.load({ artifact: { ...saved, subPath: "sub/" }, hostPath: dirDest });
    expect(await listTree(dirDest)).toEqual(["a.txt: a\n", "deeper/", "deeper/b.txt: b\n"]);
  });

  it("a missing subPath is not found (skipped when optional); an escaping one is refused", async () => {
    const saved = await savedTree();
    const dest = path.join(dir, "c", "x");
    await expect(repo.load({ artifact: { ...saved, subPath: "nope" }, hostPath: dest })).rejects.toBeInstanceOf(
      ArtifactNotFoundError,
    );
    await repo.load({ artifact: { ...saved, subPath: "nope", optional: true }, hostPath: dest });
    expect(await exists(dest)).toBe(false);
    await expect(repo.load({ artifact: { ...saved, subPath: "../../etc" }, hostPath: dest })).rejects.toThrow(
      /escapes its root/,
    );
    await expect(repo.load({ artifact: { ...saved, subPath: "/etc" }, hostPath: dest })).rejects.toThrow(/absolute/);
  });

  it("an input without any source: optional does nothing, required fails like Argo", async () => {
    const dest = path.join(dir, "c", "x");
    await repo.load({ artifact: { name: "in", path: "/x", optional: true }, hostPath: dest });
    expect(await exists(dest)).toBe(false);
    await expect(repo.load({ artifact: { name: "in", path: "/x" }, hostPath: dest })).rejects.toThrow(
      "required artifact 'in' not supplied",
    );
  });

  it("a key that is not stored is not found; optional skips it", async () => {
    const dest = path.join(dir, "c", "x");
    const art: Artifact = { name: "in", path: "/x", local: { key: "n9/gone.tgz" } };
    await expect(repo.load({ artifact: art, hostPath: dest })).rejects.toBeInstanceOf(ArtifactNotFoundError);
    await repo.load({ artifact: { ...art, optional: true }, hostPath: dest });
    expect(await exists(dest)).toBe(false);
  });

  it("refuses keys that escape the repository, directly or through a symlink", async () => {
    await writeFile(path.join(dir, "secret.txt"), "secret");
    await mkdir(repo.rootDir, { recursive: true });
    await symlink(dir, path.join(repo.rootDir, "escape"));
    const dest = path.join(dir, "c", "x");
    for (const key of ["../secret.txt", "/etc/passwd", "n1/../../secret.txt", "escape/secret.txt"]) {
      const err = await repo.load({ artifact: { name: "in", local: { key } }, hostPath: dest }).catch((e: unknown) => e);
      expect(err, key).toBeInstanceOf(ArtifactError);
      expect(err, key).not.toBeInstanceOf(ArtifactNotFoundError);
    }
    expect(await exists(dest)).toBe(false);
  });

  it.each([
    ["a ../ entry", [{ path: "../evil.txt", type: "File", body: "x" }], /escapes its root/],
    ["an absolute entry", [{ path: "/tmp/tiphys-evil.txt", type: "File", body: "x" }], /absolute/],
    ["an absolute symlink", [{ path: "d/link", type: "SymbolicLink", linkpath: "/etc" }], /illegal symlink target/],
    ["a climbing symlink", [{ path: "d/link", type: "SymbolicLink", linkpath: "../../x" }], /illegal symlink target/],
    ["a climbing hard link", [{ path: "d/h", type: "Link", linkpath: "../x" }], /illegal hard link/],
    ["a FIFO", [{ path: "d/fifo", type: "FIFO" }], /unsupported type FIFO/],
  ] as const)("refuses a tarball with %s", async (_label, entries, message) => {
    const nodeDir = path.join(repo.rootDir, "n1");
    await mkdir(nodeDir, { recursive: true });
    await writeFile(
      path.join(nodeDir, "bad.tgz"),
      craftTarGz([{ path: "d/", type: "Directory" }, { path: "d/ok.txt", type: "File", body: "ok" }, ...entries]),
    );
    const dest = path.join(dir, "c", "in");
    const err = await repo.load({ artifact: { name: "bad", local: { key: "n1/bad.tgz" } }, hostPath: dest }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as Error).message).toMatch(message);
    expect(await exists(dest)).toBe(false);
    expect(await exists(path.join(dir, "evil.txt"))).toBe(false);
    expect(await exists("/tmp/tiphys-evil.txt")).toBe(false);
    expect((await readdir(path.join(dir, "c"))).filter((n) => n.startsWith("."))).toEqual([]);
  });

  it("keeps symlinks that stay inside, and unpacks several top-level entries into a folder", async () => {
    const nodeDir = path.join(repo.rootDir, "n1");
    await mkdir(nodeDir, { recursive: true });
    await writeFile(
      path.join(nodeDir, "multi.tgz"),
      craftTarGz([
        { path: "one.txt", type: "File", body: "1" },
        { path: "two/", type: "Directory" },
        { path: "two/link", type: "SymbolicLink", linkpath: "../one.txt" },
      ]),
    );
    const dest = path.join(dir, "c", "in");
    await repo.load({ artifact: { name: "multi", local: { key: "n1/multi.tgz" } }, hostPath: dest });
    expect(await listTree(dest)).toEqual(["one.txt: 1", "two/", "two/link -> ../one.txt"]);
  });

  it("archive none on the input copies a stored tarball without untarring it", async () => {
    const src = path.join(work, "f.txt");
    await writeFile(src, "content");
    const saved = await repo.save({ nodeId: "n1", artifact: { name: "f", path: "/f.txt" }, hostPath: src });
    const dest = path.join(dir, "c", "f.tgz");
    await repo.load({ artifact: { ...saved!, archive: { none: {} } }, hostPath: dest });
    expect(await isTarball(dest)).toBe(true);
  });

  it("replaces whatever is at the input path and sets mode, recursively with recurseMode", async () => {
    const saved = await savedTree();
    const dest = path.join(dir, "c", "in");
    await mkdir(dest, { recursive: true });
    await writeFile(path.join(dest, "stale.txt"), "old");
    await repo.load({ artifact: { ...saved, mode: 0o700 }, hostPath: dest });
    expect(await exists(path.join(dest, "stale.txt"))).toBe(false);
    expect((await stat(dest)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dest, "top.txt"))).mode & 0o777).toBe(0o644);

    await repo.load({ artifact: { ...saved, mode: 0o750, recurseMode: true }, hostPath: dest });
    expect((await stat(path.join(dest, "top.txt"))).mode & 0o777).toBe(0o750);
    expect((await stat(path.join(dest, "sub", "deeper", "b.txt"))).mode & 0o777).toBe(0o750);
  });
});

describe("load from raw and unsupported kinds", () => {
  it("raw.data becomes a file with that content and mode", async () => {
    const dest = path.join(dir, "c", "raw.txt");
    await repo.load({ artifact: { name: "r", path: "/raw.txt", raw: { data: "this is\nraw\n" }, mode: 0o600 }, hostPath: dest });
    expect(await readFile(dest, "utf8")).toBe("this is\nraw\n");
    expect((await stat(dest)).mode & 0o777).toBe(0o600);
  });

  it.each(UNSUPPORTED_STORAGE_KINDS)("%s is a ConfigError naming the storage kind", async (kind) => {
    const dest = path.join(dir, "c", "x");
    const err = await repo.load({ artifact: { name: "in", path: "/x", [kind]: { key: "k" } }, hostPath: dest }).catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(
      `input artifact "in" uses ${kind} storage, but a local run has no ${kind} artifact repository configured ` +
        `(only the local repository, raw, http and git inputs are available)`,
    );
  });
});
