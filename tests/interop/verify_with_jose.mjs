// Verifies a Signet access token the way a Node.js resource server would: with the
// `jose` package, keys from the JWKS named by Signet's discovery document.
// Usage: node verify_with_jose.mjs ISSUER AUDIENCE TOKEN
// Prints the verified payload as JSON and exits 0, or prints the error and exits 1.
import { createRemoteJWKSet, jwtVerify } from 'jose';

const [issuer, audience, token] = process.argv.slice(2);
try {
  const discovery = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  if (discovery.issuer !== issuer) {
    throw new Error(`discovery names issuer ${discovery.issuer}, expected ${issuer}`);
  }
  const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer,
    audience,
    typ: 'at+jwt',  // RFC 9068 §4
    algorithms: discovery.id_token_signing_alg_values_supported,
    requiredClaims: ['iat', 'jti', 'client_id', 'sub'],
  });
  console.log(JSON.stringify({ header: protectedHeader, payload }));
} catch (error) {
  console.error(`${error.code ?? 'error'}: ${error.message}`);
  process.exit(1);
}
