/**
 * Keeps secrets out of logs, comments and check runs. Pure.
 *
 * A secret is masked as itself, URL-encoded, and base64-encoded. Base64 of a secret that sits
 * inside a longer encoded blob (a `user:token` basic-auth header, a docker config) depends on
 * where it starts modulo 3 bytes, so all three alignments are masked, as GitHub Actions does.
 */

export const MASK = "***";

/** Shorter values are too likely to occur by chance (`true`, `1`, `abc`) to be worth masking. */
const MIN_SECRET_LENGTH = 4;
/** An aligned base64 fragment shorter than this could match ordinary text. */
const MIN_FRAGMENT_LENGTH = 8;

/** Patterns for credentials whose values are not known in advance; the replacement never grows the text. */
const PATTERNS: Array<[RegExp, string]> = [
  // GitHub tokens: fine-grained PATs, then ghp_ (PAT), gho_ (OAuth), ghu_ (user-to-server),
  // ghs_ (installation / server-to-server), ghr_ (refresh).
  [/\bgithub_pat_[A-Za-z0-9_]{20,}/g, MASK],
  [/\bgh[pousr]_[A-Za-z0-9_]{10,}/g, MASK],
  // Credentials in URLs: https://x-access-token:TOKEN@github.com/..., https://user:pass@host.
  [/(x-access-token:)[^\s@/]{4,}@/gi, `$1${MASK}@`],
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s/@]{4,}@/gi, `$1${MASK}@`],
  // Authorization: Bearer|token|Basic VALUE (headers, curl -H, JSON dumps of headers).
  [/(authorization["']?\s*[:=]\s*["']?(?:bearer|token|basic)\s+)[^\s"',;]{4,}/gi, `$1${MASK}`],
];

function base64Forms(secret: string): string[] {
  const bytes = Buffer.from(secret, "utf8");
  const forms = [bytes.toString("base64")];
  for (let k = 0; k < 3; k++) {
    const encoded = Buffer.concat([Buffer.alloc(k), bytes]).toString("base64");
    // Keep only the characters whose 6 bits all come from the secret's bytes.
    const start = Math.ceil((8 * k) / 6);
    const end = Math.floor((8 * (k + bytes.length)) / 6);
    const fragment = encoded.slice(start, end);
    if (fragment.length >= MIN_FRAGMENT_LENGTH) forms.push(fragment);
  }
  // base64url, as in JWTs and some config formats.
  for (const f of [...forms]) forms.push(f.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""));
  return forms;
}

function formsOf(secret: string): string[] {
  return [secret, encodeURIComponent(secret), encodeURIComponent(secret).replace(/%20/g, "+"), ...base64Forms(secret)];
}

/** Cheap test for whether any pattern could match; most strings (node names, short messages) skip them all. */
const PATTERN_HINT = /gh[pousr]_|github_pat_|:\/\/|x-access-token:|authorization/i;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Builds a masker for a fixed set of secrets (their forms are compiled once, not per string). */
export function createMasker(secrets: readonly string[] = []): (text: string) => string {
  const set = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== "string" || s.length < MIN_SECRET_LENGTH) continue;
    for (const f of formsOf(s)) if (f.length >= MIN_SECRET_LENGTH) set.add(f);
  }
  // One alternation, longest first, so a form that contains another is masked whole.
  const forms = [...set].sort((a, b) => b.length - a.length);
  const secretRe = forms.length > 0 ? new RegExp(forms.map(escapeRegExp).join("|"), "g") : undefined;
  return (text: string): string => {
    if (!text) return text;
    let out = secretRe ? text.replace(secretRe, MASK) : text;
    if (PATTERN_HINT.test(out)) for (const [re, replacement] of PATTERNS) out = out.replace(re, replacement);
    return out;
  };
}

/**
 * Replaces every secret value (and its base64 and URL-encoded forms; values shorter than 4
 * characters are ignored) with `***`, and masks GitHub tokens, URL credentials and
 * `Authorization` header values wherever they appear.
 */
export function maskSecrets(text: string, secrets: readonly string[] = []): string {
  return createMasker(secrets)(text);
}
