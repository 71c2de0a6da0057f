import { distance } from "fastest-levenshtein";

/** Ignores case and separators, so `ok_to_test`, `OkToTest` and `ok-to-test` are the same word. */
const fold = (s: string) => s.toLowerCase().replace(/[-_\s]/g, "");

/**
 * The candidate `typed` was most likely meant to be, or undefined when none is close: equal after
 * folding, the only candidate it is a prefix of (3+ characters), or within 2 edits (a third of the
 * length for long words). An edit distance as long as the word itself is a different word, not a typo.
 */
export function closestWord(typed: string, candidates: Iterable<string>): string | undefined {
  const word = fold(typed);
  if (word === "") return undefined;
  const list = [...candidates];
  const same = list.find((c) => fold(c) === word);
  if (same !== undefined) return same;
  if (word.length >= 3) {
    const extending = list.filter((c) => fold(c).startsWith(word));
    if (extending.length === 1) return extending[0];
  }
  const allowed = Math.max(2, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of list) {
    const d = distance(word, fold(c));
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  if (best === undefined) return undefined;
  const ok = bestDistance <= allowed && bestDistance < Math.max(word.length, fold(best).length);
  return ok ? best : undefined;
}
