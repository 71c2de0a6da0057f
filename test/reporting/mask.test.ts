import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createMasker, maskSecrets } from "../../src/reporting/index.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("maskSecrets: given values", () => {
  const secret = "p@ss w/rd+Z9!";

  it("masks the value, its URL-encoded and its base64 forms", () => {
    const text = [`pw=${secret}`, `url=${encodeURIComponent(secret)}`, `b64=${b64(secret)}`].join("\n");
    const out = maskSecrets(text, [secret]);
    expect(out).toBe("pw=***\nurl=***\nb64=***");
  });

  it("masks a value base64-encoded inside a longer blob (basic auth, docker config)", () => {
    for (const prefix of ["bot:", "x:", "user:"]) {
      const header = `Authorization-ish: ${b64(prefix + secret + "\n")}`;
      expect(maskSecrets(header, [secret])).toContain("***");
    }
    const dockerConfig = JSON.stringify({ auths: { "ghcr.io": { auth: b64(`bot:${secret}`) } } });
    expect(maskSecrets(dockerConfig, [secret])).toMatch(/"auth":"[^"]*\*\*\*/);
  });

  it("ignores values shorter than 4 characters and empty ones", () => {
    expect(maskSecrets("the abc of it is true", ["abc", "", "tr"])).toBe("the abc of it is true");
  });

  it("masks every occurrence, and the longest form first", () => {
    expect(maskSecrets("tok1234 tok1234 tok12345", ["tok1234", "tok12345"])).toBe("*** *** ***");
  });

  it("treats regular-expression characters in a value literally", () => {
    expect(maskSecrets("a.*b and aXXb", ["a.*b"])).toBe("*** and aXXb");
  });

  const chars = fc.constantFrom(..."abcdefXYZ0129-_./:@ \n".split(""));
  const text = fc.string({ unit: chars, maxLength: 40 });

  it("never leaves a value in the text around it (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: chars, minLength: 4, maxLength: 30 }), text, text, (value, before, after) => {
        expect(maskSecrets(`${before}${value}${after}`, [value])).not.toContain(value);
      }),
    );
  });

  // Shorter values give aligned base64 fragments too short to mask without false alarms.
  it("masks a value of 7 or more characters base64-encoded at any offset of a blob (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: chars, minLength: 7, maxLength: 30 }), text, text, (value, before, after) => {
        expect(maskSecrets(b64(before + value + after), [value])).toContain("***");
      }),
    );
  });
});

describe("maskSecrets: credentials found by pattern", () => {
  it.each([
    ["installation token", "token ghs_16C7e42F292c6912E7710c838347Ae178B4a used", "token *** used"],
    ["personal token", "GH_TOKEN=ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "GH_TOKEN=***"],
    ["OAuth, user and refresh tokens", "gho_abcdefghij0123 ghu_abcdefghij0123 ghr_abcdefghij0123", "*** *** ***"],
    ["fine-grained token", "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "***"],
    ["git remote URL", "fatal: https://x-access-token:v1.abcdef0123456789@github.com/acme/app.git", "fatal: https://x-access-token:***@github.com/acme/app.git"],
    ["URL password", "GET https://deploy:hunter2hunter2@registry.example.com/v2/", "GET https://deploy:***@registry.example.com/v2/"],
    ["bearer header", "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc'", "curl -H 'Authorization: Bearer ***'"],
    ["token header", 'headers: {"authorization": "token 0123456789abcdef"}', 'headers: {"authorization": "token ***"}'],
  ])("masks a %s", (_what, text, expected) => {
    expect(maskSecrets(text, [])).toBe(expected);
  });

  it("leaves text that only mentions these things alone", () => {
    const text = "set ghp_ tokens in Settings; Authorization: required; see https://github.com/acme/app";
    expect(maskSecrets(text, [])).toBe(text);
  });

  it("a masker built once masks many strings the same way", () => {
    const mask = createMasker(["correct-horse"]);
    expect(["a correct-horse", "b"].map(mask)).toEqual(["a ***", "b"]);
  });
});
