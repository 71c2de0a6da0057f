/** Helpers that keep credentials out of messages. */

const URL_WITH_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]*@/gi;

/** `https://user:token@host/x` → `https://host/x`. Leaves anything that is not a URL alone. */
export function stripUserinfo(url: string): string {
  return url.replace(URL_WITH_USERINFO, "$1");
}

/**
 * Removes URL userinfo and every occurrence of each secret (and its URL-encoded and base64
 * `user:password` forms when `username` is given) from `text`.
 */
export function redact(text: string, secrets: Array<string | undefined> = [], username?: string): string {
  let out = stripUserinfo(text);
  for (const secret of secrets) {
    if (!secret) continue;
    const forms = new Set([secret, encodeURIComponent(secret)]);
    if (username !== undefined) forms.add(Buffer.from(`${username}:${secret}`).toString("base64"));
    for (const form of forms) out = out.split(form).join("***");
  }
  return out;
}
