/**
 * Who is calling. Installation routes need a token this fake issued; App routes need a JWT-shaped
 * bearer whose `iss` is the configured App id. The JWT signature is not checked: the fake has no
 * public key, and proving the App signs is Probot's job, not the fake's.
 */
import type { IncomingHttpHeaders } from "node:http";
import { HttpError, type AuthKind, type Caller } from "./http.js";
import type { FakeState } from "./state.js";

const BASE64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function credentials(headers: IncomingHttpHeaders): { scheme: string; value: string } | null {
  const match = /^(\w+)\s+(\S+)$/.exec(String(headers.authorization ?? "").trim());
  return match ? { scheme: match[1].toLowerCase(), value: match[2] } : null;
}

function decodeJwt(value: string): Record<string, unknown> | null {
  const parts = value.split(".");
  if (parts.length !== 3 || !parts.every((p) => BASE64URL.test(p))) return null;
  try {
    const payload: unknown = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return typeof payload === "object" && payload !== null ? (payload as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** Checks the Authorization header for a route; throws GitHub's 401 when it does not fit. */
export function authenticate(state: FakeState, kind: AuthKind, headers: IncomingHttpHeaders): Caller | null {
  const cred = credentials(headers);
  if (kind === "none") return null;
  if (kind === "app") {
    const payload = cred?.scheme === "bearer" ? decodeJwt(cred.value) : null;
    if (!payload) throw new HttpError(401, "A JSON web token could not be decoded");
    if (state.appId !== undefined && String(payload.iss) !== state.appId) {
      throw new HttpError(401, `'Issuer' claim ('iss') is ${String(payload.iss)}, not the App id ${state.appId}`);
    }
    if (typeof payload.exp === "number" && payload.exp * 1000 < Date.now()) {
      throw new HttpError(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires");
    }
    return { kind: "app", iss: String(payload.iss) };
  }
  const issued = cred && (cred.scheme === "token" || cred.scheme === "bearer") ? state.tokens.get(cred.value) : undefined;
  if (!issued || issued.expiresAt < Date.now()) throw new HttpError(401, "Bad credentials");
  return { kind: "installation", installationId: issued.installationId, token: issued.token };
}

/** An unsigned JWT-shaped string the fake accepts on App routes (for tests that call them directly). */
export function unsignedJwt(appId: number | string, lifetimeSeconds = 600): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part({ iat: now - 60, exp: now + lifetimeSeconds, iss: appId })}.${part({ sig: "none" })}`;
}
