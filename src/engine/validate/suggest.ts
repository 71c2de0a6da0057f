import { distance } from "fastest-levenshtein";

/** Edits allowed for a name of this length to still read as a typo of a candidate. */
function allowedEdits(length: number): number {
  if (length <= 2) return 0;
  if (length <= 3) return 1;
  return length <= 5 ? 2 : 3;
}

/**
 * The candidate closest to `name`, if it is close enough to be a plausible typo (1 edit for short
 * names, up to 3 for long ones), or equal ignoring case and `-`/`_`.
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
  return bestDistance <= allowedEdits(Math.min(name.length, best.length)) ? best : undefined;
}

/** ` (did you mean "X"?)` or the empty string. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const m = closestMatch(name, candidates);
  return m === undefined ? "" : ` (did you mean "${m}"?)`;
}
