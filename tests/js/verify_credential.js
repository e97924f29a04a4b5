// A third party's check of a Hirfa certificate: the `jose` npm package, nothing of
// Hirfa's. Reads the issuer's JWKS and a credential file, verifies the EdDSA signature
// with jose's createLocalJWKSet + jwtVerify, and prints one JSON line:
// {"valid": true, "header": {...}, "payload": {...}} or {"valid": false, "error": "..."}.
//
//   node tests/js/verify_credential.js JWKS_FILE CREDENTIAL_FILE
"use strict";

const fs = require("node:fs");

async function main([jwksFile, tokenFile]) {
  if (!jwksFile || !tokenFile) {
    throw new Error("usage: node verify_credential.js JWKS_FILE CREDENTIAL_FILE");
  }
  // jose 6 is an ES module: imported, not required, so Node 20 can load it.
  const { createLocalJWKSet, jwtVerify } = await import("jose");
  const jwks = createLocalJWKSet(JSON.parse(fs.readFileSync(jwksFile, "utf8")));
  const token = fs.readFileSync(tokenFile, "utf8").trim();
  try {
    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      algorithms: ["EdDSA"],
    });
    return { valid: true, header: protectedHeader, payload };
  } catch (error) {
    return { valid: false, error: `${error.code || error.name}: ${error.message}` };
  }
}

main(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(JSON.stringify(result) + "\n");
  },
  (error) => {
    process.stderr.write(`${error.stack || error}\n`);
    process.exit(2);
  },
);
