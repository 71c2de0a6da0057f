/**
 * Where the server's CPU went, from the `.cpuprofile` that `node --cpu-prof` writes on exit: self
 * time by function and by place (a package under node_modules, a file of ours, or Node itself).
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileLine {
  what: string;
  ms: number;
  share: number;
}

function place(url: string): string {
  if (url === "") return "(native / gc / idle)";
  const nm = url.lastIndexOf("/node_modules/");
  if (nm >= 0) {
    const parts = url.slice(nm + "/node_modules/".length).split("/");
    return parts[0].startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.startsWith("node:")) return "node core";
  const dist = url.indexOf("/dist/");
  return dist >= 0 ? url.slice(dist + "/dist/".length) : url;
}

export function summarizeProfile(file: string, top = 20): { totalMs: number; byFunction: ProfileLine[]; byPlace: ProfileLine[] } {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === "(idle)" || frame.functionName === "(program)") continue;
    busy += us;
    const where = place(frame.url);
    const fn = `${frame.functionName || "(anonymous)"} ${where}${frame.url ? `:${frame.lineNumber + 1}` : ""}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byPlace.set(where, (byPlace.get(where) ?? 0) + us);
  }
  const lines = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([what, us]) => ({ what, ms: us / 1000, share: us / busy }));
  return { totalMs: busy / 1000, byFunction: lines(byFunction), byPlace: lines(byPlace) };
}
