import { createSecureContext } from "node:tls";
import { describe, expect, it } from "vitest";
import { selfSignedCertificate } from "../../src/simcluster/tls.js";

describe("the simulated cluster's self-signed certificate", () => {
  it("is valid DER every time (its random serial once made 1 in about 256 certificates unreadable to OpenSSL)", () => {
    let bad = 0;
    for (let i = 0; i < 2500; i++) {
      const m = selfSignedCertificate("tiphys-simulated", ["127.0.0.1"]);
      try {
        createSecureContext({ cert: m.cert, key: m.key });
      } catch {
        bad++;
      }
    }
    expect(bad).toBe(0);
  });
});
