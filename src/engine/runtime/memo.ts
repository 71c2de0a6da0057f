import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Memoize, Outputs } from "../model/types.js";
import { parseDuration } from "../model/durations.js";

interface Entry {
  outputs: Outputs;
  createdAt: number;
  lastHitAt: number;
}

/**
 * Memoization caches (Argo keeps them in ConfigMaps labelled as caches); here one JSON file per
 * cache name under the data folder, shared by runs.
 */
export class MemoStore {
  private readonly caches = new Map<string, Record<string, Entry>>();
  constructor(private readonly dir: string) {}

  private file(name: string): string {
    return join(this.dir, `${name.replace(/[^A-Za-z0-9_.-]/g, "_") || "default"}.json`);
  }

  private load(name: string): Record<string, Entry> {
    let c = this.caches.get(name);
    if (!c) {
      const f = this.file(name);
      c = existsSync(f) ? (JSON.parse(readFileSync(f, "utf8")) as Record<string, Entry>) : {};
      this.caches.set(name, c);
    }
    return c;
  }

  get(memo: Memoize, key: string): Outputs | undefined {
    const name = memo.cache?.configMap?.name ?? "default";
    const e = this.load(name)[key];
    if (!e) return undefined;
    if (memo.maxAge && Date.now() - e.createdAt > parseDuration(memo.maxAge, "memoize.maxAge")) return undefined;
    e.lastHitAt = Date.now();
    return e.outputs;
  }

  set(memo: Memoize, key: string, outputs: Outputs): void {
    const name = memo.cache?.configMap?.name ?? "default";
    const c = this.load(name);
    c[key] = { outputs, createdAt: Date.now(), lastHitAt: Date.now() };
    mkdirSync(this.dir, { recursive: true });
    const f = this.file(name);
    writeFileSync(f + ".tmp", JSON.stringify(c));
    renameSync(f + ".tmp", f);
  }
}
