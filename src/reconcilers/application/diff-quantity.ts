/**
 * Kubernetes resource quantities (`500m`, `0.5`, `1Gi`, `1024Mi`, `1e3`) compared by value. The API
 * server stores a quantity in canonical form, so `cpu: 0.5` in a manifest reads back as `500m`; Argo
 * CD's typed remarshalling hides that, and so does this.
 */

const QUANTITY = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

const DECIMAL_SUFFIX: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };

/** The exact value as numerator / denominator, or undefined when `v` is not a quantity. */
export function parseQuantity(v: unknown): { num: bigint; den: bigint } | undefined {
  if (typeof v !== "string" && typeof v !== "number") return undefined;
  const m = QUANTITY.exec(typeof v === "number" ? String(v) : v.trim());
  if (!m) return undefined;
  const [, sign, number, exp, suffix] = m;
  const dot = number.indexOf(".");
  const digits = dot < 0 ? number : number.slice(0, dot) + number.slice(dot + 1);
  let num = BigInt(digits === "" ? "0" : digits) * (sign === "-" ? -1n : 1n);
  let den = 10n ** BigInt(dot < 0 ? 0 : number.length - dot - 1);
  let exp10 = exp !== undefined ? Number(exp) : 0;
  if (suffix !== undefined && suffix in DECIMAL_SUFFIX) exp10 = DECIMAL_SUFFIX[suffix];
  if (suffix !== undefined && suffix in BINARY_SUFFIX) num *= 1024n ** BigInt(BINARY_SUFFIX[suffix]);
  if (Math.abs(exp10) > 100) return undefined;
  if (exp10 >= 0) num *= 10n ** BigInt(exp10);
  else den *= 10n ** BigInt(-exp10);
  return { num, den };
}

export function quantityEqual(a: unknown, b: unknown): boolean {
  const x = parseQuantity(a);
  const y = parseQuantity(b);
  return x !== undefined && y !== undefined && x.num * y.den === y.num * x.den;
}
