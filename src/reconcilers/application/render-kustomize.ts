/**
 * Kustomize sources, as Argo CD renders them (`util/kustomize/kustomize.go` Build): the overrides of
 * `spec.source.kustomize` are applied to the kustomization file, in Argo CD's order (nameprefix,
 * namesuffix, images, replicas, labels, annotations, namespace, patches, components), then
 *
 *   kustomize build <app path>          (in the repo root; Argo CD adds no build options by default)
 *
 * Argo CD applies the overrides with `kustomize edit ...`. Our `kustomize` is `kubectl kustomize`,
 * which has no `edit`, so `planKustomizeEdits` makes the same changes to the file with the yaml
 * package (kustomize's `edit set image` / `edit set replicas` / `edit add label` rules), on a copy
 * of the checkout.
 */
import { readFile, stat, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { isMap, isScalar, isSeq, parseDocument, YAMLMap, type Document } from "yaml";
import { ConfigError } from "../../core/errors.js";
import type { SourceContext, ToolText } from "./render.js";
import { envsubst } from "./render-support.js";
import type { KustomizeSource } from "./types.js";

/** Fields of Argo CD's `ApplicationSourceKustomize` that types.ts does not list but users write. */
export interface KustomizeSourceExtras {
  forceCommonLabels?: boolean;
  forceCommonAnnotations?: boolean;
  commonAnnotationsEnvsubst?: boolean;
  labelWithoutSelector?: boolean;
  labelIncludeTemplates?: boolean;
  patches?: unknown[];
  components?: string[];
  ignoreMissingComponents?: boolean;
  kubeVersion?: string;
  apiVersions?: string[];
}

export type KustomizeOptions = KustomizeSource & KustomizeSourceExtras;

export const KUSTOMIZATION_NAMES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

export interface KustomizeImage {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

const IMAGE_TAG = /^(.*):([a-zA-Z0-9._-]*|\*)$/;
const IMAGE_FORMATS = `use one of <image>=<newimage>:<newtag>, <image>=<newimage>@<digest>, <image>=<newimage>, <image>:<newtag>, <image>@<digest>`;

/** kustomize's `edit set image` argument parser. */
export function parseImageOverride(arg: string): KustomizeImage {
  const overwrite = (text: string, allowName: boolean): Omit<KustomizeImage, "name"> & { name: string } => {
    const at = text.split("@");
    if (at.length > 1) return { name: at[0], digest: at[1] };
    const t = IMAGE_TAG.exec(text);
    if (t) return { name: t[1], newTag: t[2] };
    if (text.length > 0 && allowName) return { name: text };
    throw new ConfigError(`invalid kustomize image override "${arg}": ${IMAGE_FORMATS}`);
  };
  const eq = arg.split("=");
  if (eq.length === 2) {
    const p = overwrite(eq[1], true);
    return clean({ name: eq[0], newName: p.name, newTag: p.newTag, digest: p.digest });
  }
  const p = overwrite(arg, false);
  return clean({ name: p.name, newTag: p.newTag, digest: p.digest });
}

function clean(img: KustomizeImage): KustomizeImage {
  const out: KustomizeImage = { name: img.name };
  if (img.newName) out.newName = img.newName;
  if (img.newTag) out.newTag = img.newTag;
  if (img.digest) out.digest = img.digest;
  return out;
}

/**
 * kustomize's `edit set image`: an override replaces the whole entry of the same name (`*` keeps that
 * field of the existing entry), other entries stay, sorted by name. `from` is the index of the
 * existing entry kept as it was.
 */
export function mergeImageEntries(existing: KustomizeImage[], overrides: KustomizeImage[]): Array<{ image: KustomizeImage; from?: number }> {
  const byName = new Map<string, { image: KustomizeImage; from?: number }>();
  const overridden = new Set<string>();
  for (const o of overrides) {
    byName.set(o.name, { image: o });
    overridden.add(o.name);
  }
  existing.forEach((im, from) => {
    if (!overridden.has(im.name)) {
      if (!byName.has(im.name)) byName.set(im.name, { image: im, from });
      return;
    }
    const arg = byName.get(im.name)!.image;
    byName.set(im.name, {
      image: {
        name: arg.name,
        newName: arg.newName === "*" ? im.newName : arg.newName,
        newTag: arg.newTag === "*" ? im.newTag : arg.newTag,
        digest: arg.digest === "*" ? im.digest : arg.digest,
      },
    });
  });
  const star = (v: string | undefined) => (v === "*" ? undefined : v);
  return [...byName.values()]
    .map((e) => (e.from !== undefined ? e : { image: clean({ name: e.image.name, newName: star(e.image.newName), newTag: star(e.image.newTag), digest: star(e.image.digest) }) }))
    .sort((a, b) => (a.image.name < b.image.name ? -1 : a.image.name > b.image.name ? 1 : 0));
}

export function mergeImages(existing: KustomizeImage[], overrides: KustomizeImage[]): KustomizeImage[] {
  return mergeImageEntries(existing, overrides).map((e) => e.image);
}

/** A scalar field as the text the user wrote (`newTag: 1.10` is the tag "1.10", not the number 1.1). */
function scalarText(map: YAMLMap, key: string): string | undefined {
  const node = map.get(key, true);
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  return typeof node.value === "string" ? node.value : (node.source ?? String(node.value));
}

/** The maps of a list field, as nodes (kept untouched when not overridden). */
function listMaps(doc: Document, key: string): YAMLMap[] {
  const seq = doc.get(key, true);
  return isSeq(seq) ? seq.items.filter((i): i is YAMLMap => isMap(i)) : [];
}

/** kustomize's `ConvertSliceToMap` on `name:value` (Argo CD formats each label that way). */
function metadataPairs(kind: "label" | "annotation", values: Record<string, string>): Array<[string, string]> {
  return Object.entries(values).map(([k, v]) => {
    const input = `${k}:${v}`;
    const c = input.indexOf(":");
    if (c === 0) throw new ConfigError(`invalid ${kind}: '${input}' (need k:v pair where v may be quoted)`);
    let value = input.slice(c + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    return [input.slice(0, c), value];
  });
}

/** Adds pairs to the map at `key` (kustomize's `edit add label|annotation [--force]`). */
function addToMap(doc: Document, path: Array<string | number>, kind: "label" | "annotation", pairs: Array<[string, string]>, force: boolean): void {
  let map = doc.getIn(path, true);
  if (!isMap(map)) {
    map = new YAMLMap();
    doc.setIn(path, map);
  }
  const m = map as YAMLMap;
  for (const [k, v] of pairs) {
    if (m.has(k) && !force) throw new ConfigError(`kustomize edit add ${kind}: ${kind} ${k} already in kustomization file. Use --force to override.`);
    m.set(k, doc.createNode(v));
  }
}

/**
 * Applies the overrides to the kustomization file's text, as `kustomize edit` would. Pure: the caller
 * reads and writes the file, and says which `components` exist (missing ones are skipped, as
 * `kustomize edit add component` skips paths that match nothing).
 */
export function planKustomizeEdits(text: string, opts: KustomizeOptions, env: Record<string, string>, existingComponents: ReadonlySet<string> = new Set()): string {
  const doc = parseDocument(text, { version: "1.1" });
  if (doc.errors.length > 0) throw new ConfigError(`invalid kustomization file: ${doc.errors[0].message.split("\n")[0]}`);
  if (doc.contents === null) doc.contents = new YAMLMap() as never;
  if (!isMap(doc.contents)) throw new ConfigError("invalid kustomization file: expected a mapping");

  if (opts.namePrefix) doc.set("namePrefix", opts.namePrefix);
  if (opts.nameSuffix) doc.set("nameSuffix", opts.nameSuffix);
  if (opts.images?.length) {
    const nodes = listMaps(doc, "images");
    const existing = nodes.map((n) => ({ name: scalarText(n, "name") ?? "", newName: scalarText(n, "newName"), newTag: scalarText(n, "newTag"), digest: scalarText(n, "digest") }));
    const overrides = opts.images.map((i) => parseImageOverride(envsubst(String(i), env)));
    const merged = mergeImageEntries(existing, overrides).map((e) => (e.from !== undefined ? nodes[e.from] : doc.createNode(e.image)));
    doc.set("images", doc.createNode(merged));
  }
  if (opts.replicas?.length) {
    const byName = new Map<string, unknown>();
    for (const r of opts.replicas) {
      const count = typeof r.count === "number" ? r.count : /^-?\d+$/.test(String(r.count).trim()) ? Number(String(r.count).trim()) : NaN;
      if (!Number.isInteger(count)) throw new ConfigError(`kustomize replicas: count ${JSON.stringify(r.count)} of ${r.name} is not an integer`);
      byName.set(r.name, doc.createNode({ name: r.name, count }));
    }
    for (const n of listMaps(doc, "replicas")) {
      const name = scalarText(n, "name") ?? "";
      if (!byName.has(name)) byName.set(name, n);
    }
    const sorted = [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => byName.get(k));
    doc.set("replicas", doc.createNode(sorted));
  }
  const labels = opts.commonLabels ?? {};
  if (Object.keys(labels).length > 0) {
    const substituted = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, envsubst(String(v), env)]));
    const pairs = metadataPairs("label", substituted);
    if (opts.labelWithoutSelector) {
      let list = doc.get("labels", true);
      if (!isSeq(list)) {
        list = doc.createNode([]);
        doc.set("labels", list);
      }
      const entry: Record<string, unknown> = { pairs: {}, includeSelectors: false };
      if (opts.labelIncludeTemplates) entry.includeTemplates = true;
      (list as { items: unknown[] }).items.push(doc.createNode(entry));
      addToMap(doc, ["labels", (list as { items: unknown[] }).items.length - 1, "pairs"], "label", pairs, true);
    } else {
      if (opts.labelIncludeTemplates) throw new ConfigError("kustomize edit add label: --without-selector flag must be specified for --include-templates to work (set labelWithoutSelector)");
      addToMap(doc, ["commonLabels"], "label", pairs, opts.forceCommonLabels === true);
    }
  }
  const annotations = opts.commonAnnotations ?? {};
  if (Object.keys(annotations).length > 0) {
    const values = opts.commonAnnotationsEnvsubst ? Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, envsubst(String(v), env)])) : annotations;
    addToMap(doc, ["commonAnnotations"], "annotation", metadataPairs("annotation", values), opts.forceCommonAnnotations === true);
  }
  if (opts.namespace) doc.set("namespace", opts.namespace);
  if (opts.patches?.length) {
    const current = doc.get("patches", true);
    if (current !== undefined && !isSeq(current)) throw new ConfigError("expected 'patches' field in the kustomization file to be a list");
    const list = isSeq(current) ? current : doc.createNode([]);
    for (const p of opts.patches) list.items.push(doc.createNode(p));
    doc.set("patches", list);
  }
  if (opts.components?.length) {
    const current = doc.get("components", true);
    const list = isSeq(current) ? current.items.map((i) => (isScalar(i) ? String(i.value) : String(i))) : [];
    for (const c of opts.components) {
      if (/[*?[]/.test(c)) throw new ConfigError(`kustomize components: glob patterns are not supported yet (${c})`);
      if (!existingComponents.has(c)) continue; // `edit add component` skips paths with no match
      if (!list.includes(c)) list.push(c);
    }
    doc.set("components", list);
  }
  return doc.toString();
}

/** True when the source asks for any change to the kustomization file. */
export function hasKustomizeEdits(opts: KustomizeOptions): boolean {
  return Boolean(
    opts.namePrefix ||
      opts.nameSuffix ||
      opts.images?.length ||
      opts.replicas?.length ||
      Object.keys(opts.commonLabels ?? {}).length ||
      Object.keys(opts.commonAnnotations ?? {}).length ||
      opts.namespace ||
      opts.patches?.length ||
      opts.components?.length,
  );
}

async function findKustomization(dir: string): Promise<string | undefined> {
  for (const name of KUSTOMIZATION_NAMES) {
    if (await stat(join(dir, name)).then((s) => s.isFile(), () => false)) return join(dir, name);
  }
  return undefined;
}

export async function renderKustomize(ctx: SourceContext): Promise<ToolText> {
  const opts: KustomizeOptions = ctx.source.kustomize ?? {};
  if (opts.version) throw new ConfigError(`kustomize.version (${opts.version}) is not supported yet: Tiphys runs one kustomize`);
  let root = ctx.checkout.root;
  let appPath = ctx.appPath;
  if (hasKustomizeEdits(opts)) {
    const copy = await ctx.writableCopy();
    root = copy.root;
    appPath = join(copy.root, relative(ctx.checkout.root, ctx.appPath));
    const file = await findKustomization(appPath);
    if (!file) throw new ConfigError(`kustomize edit: no kustomization file (${KUSTOMIZATION_NAMES.join(", ")}) in ${relative(root, appPath) || "."}`);
    const components = new Set<string>();
    for (const c of opts.components ?? []) if (await stat(join(appPath, c)).then(() => true, () => false)) components.add(c);
    await writeFile(file, planKustomizeEdits(await readFile(file, "utf8"), opts, ctx.env, components));
  }
  const { stdout } = await ctx.tools.run("kustomize", ["build", appPath], { cwd: root, timeoutMs: ctx.timeoutMs, env: ctx.env });
  return { text: stdout, label: "`kustomize build` output" };
}
