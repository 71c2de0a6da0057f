import { readFile, stat } from "node:fs/promises";
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode } from "yaml";
import { ConfigError, type ConfigProblem, type SourcePos } from "../../core/errors.js";

/** Files above this size are refused before parsing (Argo's own objects must fit etcd's 1 MiB). */
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
/** YAML aliases beyond this count are refused (an alias bomb expands exponentially). */
export const MAX_ALIASES = 1000;

export type PathSeg = string | number;

/** One YAML document of a file, as plain data, with a way back to positions in the file. */
export interface LoadedDoc {
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  data: unknown;
  /** Position of the value at `path` (or of its nearest existing ancestor). */
  posOf(path: readonly PathSeg[]): SourcePos;
  /** Position of the key at `path` (for "unknown field" messages), else of the value. */
  keyPosOf(path: readonly PathSeg[]): SourcePos;
}

export function formatPath(path: readonly PathSeg[]): string {
  let out = "";
  for (const seg of path) out += typeof seg === "number" ? `[${seg}]` : out ? `.${seg}` : seg;
  return out;
}

function lookup(doc: Document, path: readonly PathSeg[]): { node?: YamlNode; key?: YamlNode } {
  let node: unknown = doc.contents;
  let key: YamlNode | undefined;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : p.key) === String(seg));
      if (!pair) return { node: node as YamlNode, key };
      key = pair.key as YamlNode;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === "number") {
      const item = node.items[seg];
      if (item === undefined) return { node: node as YamlNode, key };
      key = undefined;
      node = item;
    } else {
      return { node: node as YamlNode | undefined, key };
    }
  }
  return { node: node as YamlNode | undefined, key };
}

function posAt(file: string, lc: LineCounter, offset: number | undefined): SourcePos {
  const { line, col } = lc.linePos(offset ?? 0);
  return { file, line, column: col };
}

/** Parses every document of a YAML text. Syntax errors are ConfigErrors with positions. */
export function parseYamlDocuments(text: string, file: string): LoadedDoc[] {
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
    throw new ConfigError(`${file}: file is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_FILE_BYTES}`, [
      {
        message: `file too large (${Buffer.byteLength(text)} bytes, limit ${MAX_FILE_BYTES})`,
        pos: { file, line: 1, column: 1 },
        severity: "error",
      },
    ]);
  }
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  const out: LoadedDoc[] = [];
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An empty stream comes back as an EmptyStream object: no documents.
    return [];
  }
  list.forEach((doc, index) => {
    for (const e of doc.errors) {
      problems.push({ message: e.message.split("\n")[0], pos: posAt(file, lineCounter, e.pos[0]), severity: "error" });
    }
    if (doc.errors.length > 0) return;
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIASES });
    } catch (err) {
      problems.push({
        message: `cannot expand document: ${(err as Error).message}`,
        pos: posAt(file, lineCounter, doc.range[0]),
        severity: "error",
      });
      return;
    }
    if (data === null || data === undefined) return; // empty document (e.g. a trailing `---`)
    out.push({
      file,
      index,
      data,
      posOf(path) {
        const { node } = lookup(doc, path);
        return posAt(file, lineCounter, node?.range?.[0]);
      },
      keyPosOf(path) {
        const { node, key } = lookup(doc, path);
        return posAt(file, lineCounter, (key ?? node)?.range?.[0]);
      },
    });
  });
  if (problems.length > 0) throw new ConfigError(`${file}: invalid YAML`, problems);
  return out;
}

export async function readYamlFile(file: string, opts?: { parse: true }): Promise<LoadedDoc[]>;
export async function readYamlFile(file: string, opts: { parse: false }): Promise<LoadedDoc[] | undefined>;
/** A file's documents; with `parse: false`, only the size check (throws when too large). */
export async function readYamlFile(file: string, opts: { parse: boolean } = { parse: true }): Promise<LoadedDoc[] | undefined> {
  const st = await stat(file);
  if (st.size > MAX_FILE_BYTES) {
    throw new ConfigError(`${file}: file is ${st.size} bytes; the limit is ${MAX_FILE_BYTES}`, [
      {
        message: `file too large (${st.size} bytes, limit ${MAX_FILE_BYTES})`,
        pos: { file, line: 1, column: 1 },
        severity: "error",
      },
    ]);
  }
  if (!opts.parse) return undefined;
  return parseYamlDocuments(await readFile(file, "utf8"), file);
}
