// The example functions deployed by `npm start` work in a real sandbox.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import test from 'node:test';
import { fileURLToPath } from 'node:url';
import type { InvokeRequest, InvokeResponse } from '../../host/isolate/api.js';
import { bodyText, id, loaded } from '../isolate/helpers.js';

const example = (name: string) => readFileSync(fileURLToPath(new URL(`../../../examples/${name}`, import.meta.url)), 'utf8');
const get = (url: string, init: Partial<InvokeRequest> = {}): InvokeRequest => ({ method: 'GET', url, headers: [], body: null, ...init });
const json = async (r: InvokeResponse) => JSON.parse(await bodyText(r));

test('router: URLPattern routes, 404 and 405', async () => {
  const { sandbox } = await loaded(example('router.js'));
  const call = (r: InvokeRequest) => sandbox.invoke(r, { invocationId: id() });
  assert.deepEqual(await json(await call(get('http://g/router/users/42'))), { id: '42', name: 'Grace' });
  assert.equal((await call(get('http://g/router/users/7'))).status, 404);
  assert.deepEqual((await json(await call(get('http://g/router/search?q=isol&limit=1')))).results, ['isolate']);
  const created = await call(get('http://g/router/users', { method: 'POST', body: new TextEncoder().encode('{"name":"ada"}') }));
  assert.equal(created.status, 201);
  assert.equal(created.headers.find(([n]) => n === 'location')?.[1], 'http://g/router/users/101');
  assert.equal((await call(get('http://g/router/users', { method: 'POST', body: new TextEncoder().encode('nope') }))).status, 400);
  const wrong = await call(get('http://g/router/search', { method: 'DELETE' }));
  assert.equal(wrong.status, 405);
  sandbox.dispose();
});

test('stream: pulled NDJSON, gzip, and a request body transformed as it streams', async () => {
  const { sandbox } = await loaded(example('stream.js'));
  const r = await sandbox.invoke(get('http://g/stream/count?to=2500'), { invocationId: id() });
  assert.ok(!(r.body instanceof Uint8Array));
  const lines = (await bodyText(r)).trim().split('\n');
  assert.equal(lines.length, 2500);
  assert.equal(JSON.parse(lines[2499]!).i, 2500);
  const gz = await sandbox.invoke(get('http://g/stream/count?to=50', { headers: [['accept-encoding', 'gzip']] }), { invocationId: id() });
  assert.equal(gz.headers.find(([n]) => n === 'content-encoding')?.[1], 'gzip');
  const { gunzipSync } = await import('node:zlib');
  const chunks: Uint8Array[] = [];
  for await (const c of gz.body as AsyncIterable<Uint8Array>) chunks.push(c);
  assert.equal(gunzipSync(Buffer.concat(chunks)).toString().trim().split('\n').length, 50);
  async function* body() { yield new TextEncoder().encode('héllo '); yield new TextEncoder().encode('wörld'); }
  assert.equal(await bodyText(await sandbox.invoke(get('http://g/stream/upper', { method: 'POST', body: body() }), { invocationId: id() })), 'HÉLLO WÖRLD');
  sandbox.dispose();
});

test('crypto: JWT issued, verified, tampering refused; sha256 of a body', async () => {
  const { sandbox } = await loaded(example('crypto.js'), { env: { JWT_SECRET: 's3cret' } });
  const call = (r: InvokeRequest) => sandbox.invoke(r, { invocationId: id() });
  const { token } = await json(await call(get('http://g/crypto/token', { method: 'POST', body: new TextEncoder().encode('{"sub":"ada"}') })));
  assert.equal((await json(await call(get('http://g/crypto/me', { headers: [['authorization', `Bearer ${token}`]] })))).sub, 'ada');
  // Change the signature's first character: the last one carries padding bits that base64 decoding ignores.
  const dot = token.lastIndexOf('.') + 1;
  const tampered = token.slice(0, dot) + (token[dot] === 'A' ? 'B' : 'A') + token.slice(dot + 1);
  assert.equal((await call(get('http://g/crypto/me', { headers: [['authorization', `Bearer ${tampered}`]] }))).status, 401);
  assert.equal((await bodyText(await call(get('http://g/crypto/sha256', { method: 'POST', body: new TextEncoder().encode('abc') })))).trim(), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  sandbox.dispose();
});

test('compose: calls other functions through dispatchInternal', async () => {
  const hello = await loaded(example('hello.js'));
  const router = await loaded(example('router.js'));
  const { sandbox } = await loaded(example('compose.js'), {
    dispatchInternal: async (request) => {
      const u = new URL(request.url);
      if (u.origin !== 'http://127.0.0.1:8787') return undefined;
      const target = u.pathname.startsWith('/hello/') ? hello.sandbox : u.pathname.startsWith('/router/') ? router.sandbox : undefined;
      return target?.invoke(request, { invocationId: id() });
    },
  });
  const r = await json(await sandbox.invoke(get('http://127.0.0.1:8787/compose/?name=SRE'), { invocationId: id() }));
  assert.deepEqual(r, { hello: 'Hello, SRE!', search: ['isolate', 'isolation', 'isotel'] });
  sandbox.dispose(); hello.sandbox.dispose(); router.sandbox.dispose();
});
