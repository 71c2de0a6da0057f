/** Percentiles (nearest rank) and medians for the bench's figures. */

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export const median = (values: number[]) => percentile(values, 50);

/** `12.3` style, or `-` for a missing figure. */
export function fmt(n: number, digits = 1): string {
  return Number.isFinite(n) ? n.toFixed(digits) : "-";
}

/** The median of repetitions with their range: `12.3 (11.0-14.2)`, or the one figure when there is one. */
export function withRange(values: number[], digits = 1): string {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return "-";
  if (finite.length === 1) return fmt(finite[0], digits);
  return `${fmt(median(finite), digits)} (${fmt(Math.min(...finite), digits)}-${fmt(Math.max(...finite), digits)})`;
}
