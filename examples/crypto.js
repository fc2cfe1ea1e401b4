// Web Crypto: HS256 JWTs (HMAC-SHA-256) issued and verified, SHA-256 of a body, random ids.
// Try it:
//   TOKEN=$(curl -s -X POST http://127.0.0.1:8787/crypto/token -d '{"sub":"ada"}' | jq -r .token)
//   curl -H "authorization: Bearer $TOKEN" http://127.0.0.1:8787/crypto/me
//   curl -X POST --data-binary @README.md http://127.0.0.1:8787/crypto/sha256
// The signing secret comes from env.JWT_SECRET (deploy with --env JWT_SECRET=...); a fixed demo secret otherwise.
const enc = new TextEncoder();
const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const fromB64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
let keyPromise;
const hmacKey = (secret) => (keyPromise ??= crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']));

async function issue(claims, secret) {
  const head = b64url(enc.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));
  const body = b64url(enc.encode(JSON.stringify({ ...claims, iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 3600, jti: crypto.randomUUID() })));
  const sig = await crypto.subtle.sign('HMAC', await hmacKey(secret), enc.encode(`${head}.${body}`));
  return `${head}.${body}.${b64url(sig)}`;
}

async function verify(token, secret) {
  const [head, body, sig] = token.split('.');
  if (!head || !body || !sig) return null;
  const ok = await crypto.subtle.verify('HMAC', await hmacKey(secret), fromB64url(sig), enc.encode(`${head}.${body}`));
  if (!ok) return null;
  const claims = JSON.parse(new TextDecoder().decode(fromB64url(body)));
  return claims.exp > Date.now() / 1000 ? claims : null;
}

export default {
  async fetch(request, env) {
    const secret = env.JWT_SECRET ?? 'isotel-demo-secret';
    const { pathname } = new URL(request.url);
    if (pathname.endsWith('/token') && request.method === 'POST') {
      const claims = await request.json().catch(() => null);
      if (typeof claims?.sub !== 'string') return Response.json({ error: 'POST {"sub": "<user>"}' }, { status: 400 });
      return Response.json({ token: await issue({ sub: claims.sub }, secret) });
    }
    if (pathname.endsWith('/me')) {
      const token = (request.headers.get('authorization') ?? '').replace(/^Bearer /i, '');
      const claims = await verify(token, secret).catch(() => null);
      return claims ? Response.json({ sub: claims.sub, exp: claims.exp }) : Response.json({ error: 'missing or invalid token' }, { status: 401, headers: { 'www-authenticate': 'Bearer' } });
    }
    if (pathname.endsWith('/sha256') && request.method === 'POST') {
      const digest = await crypto.subtle.digest('SHA-256', await request.arrayBuffer());
      return new Response(Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('') + '\n');
    }
    return Response.json({ routes: ['POST /crypto/token', 'GET /crypto/me', 'POST /crypto/sha256'] }, { status: 404 });
  },
};
