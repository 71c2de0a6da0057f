import { distance } from "fastest-levenshtein";

/**
 * The candidate closest to `name`, if it is close enough to be a plausible typo: within a third of
 * the name's length (at least 1, at most 3 edits), or equal ignoring case and `-`/`_`.
 */
export function closestMatch(name: string, candidates: Iterable<string>): string | undefined {
  const fold = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const folded = fold(name);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === name) continue;
    if (fold(c) === folded) return c;
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(Math.max(name.length, best.length) / 3)));
  return bestDistance <= limit ? best : undefined;
}

/** ` (did you mean "X"?)` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const m = closestMatch(name, candidates);
  return m === undefined ? "" : ` (did you mean "${m}"?)`;
}
