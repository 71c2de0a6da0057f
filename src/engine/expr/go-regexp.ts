// Go RE2 patterns (expr-lang `matches`, govaluate `=~`, sprig regex*) run on JS RegExp. The syntaxes
// mostly agree; this translates the differences that show up in practice: leading flag groups
// `(?i)`, named groups `(?P<n>…)`, `\A` / `\z`, and POSIX classes `[[:alpha:]]`.

const POSIX_CLASSES: Record<string, string> = {
  alnum: "0-9A-Za-z", alpha: "A-Za-z", ascii: "\\x00-\\x7F", blank: "\\t ", cntrl: "\\x00-\\x1F\\x7F",
  digit: "0-9", graph: "!-~", lower: "a-z", print: " -~", punct: "!-\\/:-@\\[-`{-~", space: "\\t\\n\\v\\f\\r ",
  upper: "A-Z", word: "0-9A-Za-z_", xdigit: "0-9A-Fa-f",
};

const cache = new Map<string, RegExp>();

/** Compiles a Go regular expression; throws an Error whose message starts with "error parsing regexp". */
export function goRegExp(pattern: string, global = false): RegExp {
  const key = `${global ? "g" : "-"}${pattern}`;
  const hit = cache.get(key);
  if (hit) return hit;
  let source = pattern;
  let flags = global ? "g" : "";
  const lead = /^\(\?([imsU]+)\)/.exec(source);
  if (lead) {
    source = source.slice(lead[0].length);
    for (const f of lead[1]) if (f !== "U" && !flags.includes(f)) flags += f;
  }
  source = source
    .replace(/\(\?P</g, "(?<")
    .replace(/\\A/g, "^")
    .replace(/\\z/g, "$(?![\\s\\S])")
    .replace(/\[:([a-z]+):\]/g, (m, name: string) => POSIX_CLASSES[name] ?? m);
  let re: RegExp;
  try {
    re = new RegExp(source, flags);
  } catch (e) {
    throw new Error(`error parsing regexp: ${(e as Error).message.replace(/^Invalid regular expression: /, "")}`);
  }
  if (cache.size > 500) cache.clear();
  cache.set(key, re);
  return re;
}

/** Go's FindAllStringIndex: like matchAll, but an empty match right after the previous match is dropped. */
export function goFindAll(re: RegExp, s: string, n = -1): RegExpExecArray[] {
  const g = re.global ? re : new RegExp(re.source, `${re.flags}g`);
  const out: RegExpExecArray[] = [];
  let prevEnd = -1;
  g.lastIndex = 0;
  while (n < 0 || out.length < n) {
    const m = g.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      g.lastIndex = m.index + 1;
      if (m.index === prevEnd) continue;
    }
    out.push(m);
    prevEnd = end;
    if (g.lastIndex > s.length) break;
  }
  return out;
}

/** Expands `$1`, `${1}`, `$name`, `${name}` and `$$` in a replacement template, as Go's Regexp.Expand. */
export function goExpand(template: string, m: RegExpExecArray): string {
  return template.replace(/\$(\$|\{([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))/g, (_all, whole: string, braced?: string, bare?: string) => {
    if (whole === "$") return "$";
    const name = braced ?? bare ?? "";
    const value = /^[0-9]+$/.test(name) ? m[Number(name)] : m.groups?.[name];
    return value ?? "";
  });
}

/** Go's Regexp.ReplaceAllString. */
export function goReplaceAll(re: RegExp, s: string, template: string, literal = false): string {
  let out = "";
  let last = 0;
  for (const m of goFindAll(re, s)) {
    out += s.slice(last, m.index) + (literal ? template : goExpand(template, m));
    last = m.index + m[0].length;
  }
  return out + s.slice(last);
}

/** Go's Regexp.Split. */
export function goSplit(re: RegExp, s: string, n: number): string[] {
  if (n === 0) return [];
  if (re.source !== "(?:)" && s === "") return [""];
  const parts: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of goFindAll(re, s, n)) {
    if (n > 0 && parts.length === n - 1) break;
    end = m.index;
    if (m.index + m[0].length !== 0) parts.push(s.slice(beg, end));
    beg = m.index + m[0].length;
  }
  if (end !== s.length) parts.push(s.slice(beg));
  return parts;
}
