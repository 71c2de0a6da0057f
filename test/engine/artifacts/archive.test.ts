import { writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { gzipOptions, isTarball } from "../../../src/engine/artifacts/archive.js";
import { redact, stripUserinfo } from "../../../src/engine/artifacts/redact.js";
import { craftTarGz, tempDir } from "./fixtures.js";

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(async () => cleanup());

describe("isTarball", () => {
  it.each([
    ["a tar.gz", craftTarGz([{ path: "a.txt", type: "File", body: "a" }]), true],
    ["plain text", Buffer.from("hello world\n"), false],
    ["gzip of something that is not a tar", gzipSync(Buffer.from("x".repeat(2000))), false],
    ["an empty gzip", gzipSync(Buffer.alloc(0)), false],
    ["an empty tar.gz (end blocks only)", gzipSync(Buffer.alloc(1024)), false],
    ["an empty file", Buffer.alloc(0), false],
  ])("%s → %s", async (_label, bytes, expected) => {
    const file = path.join(dir, "f");
    await writeFile(file, bytes);
    expect(await isTarball(file)).toBe(expected);
  });
});

describe("gzipOptions", () => {
  it("maps Go's levels and refuses others", () => {
    expect(gzipOptions(undefined)).toEqual({ level: -1 });
    expect(gzipOptions(0)).toEqual({ level: 0 });
    expect(gzipOptions(9)).toEqual({ level: 9 });
    expect(gzipOptions(-2).strategy).toBeDefined();
    expect(() => gzipOptions(10)).toThrow(RangeError);
    expect(() => gzipOptions(1.5)).toThrow(RangeError);
  });
});

describe("redact", () => {
  it("strips userinfo from URLs and hides secrets in their usual encodings", () => {
    expect(stripUserinfo("GET https://u:p%40ss@host.example/x failed")).toBe("GET https://host.example/x failed");
    expect(stripUserinfo("git@github.com:org/repo.git")).toBe("git@github.com:org/repo.git");
    const basic = Buffer.from("bob:s3cr/t").toString("base64");
    expect(redact(`a s3cr/t b s3cr%2Ft c ${basic}`, ["s3cr/t"], "bob")).toBe("a *** b *** c ***");
  });
});
