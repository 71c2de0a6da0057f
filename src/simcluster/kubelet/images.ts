// Images in the simulated kubelet: nothing is pulled. An image is recorded (normalized the way a
// container runtime reports it, with a made-up digest), may be configured to fail to pull, and a few
// well-known images tell what to run when a container gives `args` without `command`.
import { createHash } from "node:crypto";

/** `busybox` → `docker.io/library/busybox:latest`, as the runtime reports `status.containerStatuses[].image`. */
export function normalizeImage(image: string): string {
  let name = image;
  const first = name.split("/")[0];
  if (!name.includes("/")) name = `docker.io/library/${name}`;
  else if (!first.includes(".") && !first.includes(":") && first !== "localhost") name = `docker.io/${name}`;
  const last = name.slice(name.lastIndexOf("/") + 1);
  return name.includes("@") || last.includes(":") ? name : `${name}:latest`;
}

/** A stable, made-up digest: `docker.io/library/busybox@sha256:<sha256 of the image name>`. */
export function imageId(image: string): string {
  const normalized = normalizeImage(image);
  const repo = normalized.replace(/@.*$/, "").replace(/:[^/:]+$/, "");
  return `${repo}@sha256:${createHash("sha256").update(normalized).digest("hex")}`;
}

/** The repository without registry, tag or digest: `docker.io/library/python:3.12` → `python`, `alpine/git` → `alpine/git`. */
export function shortName(image: string): string {
  const n = normalizeImage(image).replace(/@.*$/, "").replace(/:[^/:]+$/, "");
  return n.replace(/^docker\.io\/(library\/)?/, "");
}

/**
 * The ENTRYPOINT of well-known images: what runs when a container has `args` but no `command`.
 * Images not listed are taken to have no ENTRYPOINT (like busybox, alpine, debian, ubuntu, python), so
 * `args` is the command line.
 */
const ENTRYPOINTS: Record<string, string[]> = {
  "alpine/git": ["git"],
  "alpine/curl": ["curl"],
  "curlimages/curl": ["curl"],
  "bitnami/kubectl": ["kubectl"],
  "bitnami/git": ["git"],
  "stedolan/jq": ["jq"],
  "ghcr.io/jqlang/jq": ["jq"],
  "mikefarah/yq": ["yq"],
};

/** The argv a container runs, or undefined when nothing is given to run (the image's default command). */
export function argvOf(container: { image?: unknown; command?: unknown; args?: unknown }): string[] | undefined {
  const command = Array.isArray(container.command) ? container.command.map(String) : [];
  const args = Array.isArray(container.args) ? container.args.map(String) : [];
  if (command.length > 0) return [...command, ...args];
  if (args.length === 0) return undefined;
  return [...(ENTRYPOINTS[shortName(String(container.image ?? ""))] ?? []), ...args];
}

export type ImageMatcher = RegExp | string[] | undefined;

/** Whether the image is configured to fail to pull: a RegExp over the image, or names with or without tag. */
export function failsToPull(image: string, failImages: ImageMatcher): boolean {
  if (!failImages) return false;
  if (failImages instanceof RegExp) return failImages.test(image);
  return failImages.some((f) => {
    if (f === image || normalizeImage(f) === normalizeImage(image)) return true;
    const tagless = !/[:@]/.test(f.slice(f.lastIndexOf("/") + 1));
    return tagless && shortName(f) === shortName(image);
  });
}
