// Outbound fetch from functions against a local server: denied by default (loopback is
// private), allowed when listed; streamed bodies both ways; redirects re-checked; the
// subrequest limit; calls the host serves itself; abort.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { after, before } from 'node:test';
import { bodyText, id, loaded, req } from './helpers.js';

let server: Server;
let port = 0;
const MIB = 1024 * 1024;

before(async () => {
  server = createServer((rq, rs) => {
    const u = new URL(rq.url ?? '/', 'http://x');
    if (u.pathname === '/big') {
      // 48 MiB, written with backpressure
      let i = 0;
      const chunk = Buffer.alloc(MIB, 5);
      rs.writeHead(200, { 'content-type': 'application/octet-stream', 'x-multi': ['a', 'b'] as unknown as string });
      const pump = () => { while (i < 48) { i++; if (!rs.write(chunk)) { rs.once('drain', pump); return; } } rs.end(); };
      pump();
      return;
    }
    if (u.pathname === '/count') {
      let n = 0;
      rq.on('data', (c: Buffer) => { n += c.length; });
      rq.on('end', () => rs.end(String(n)));
      return;
    }
    if (u.pathname === '/redirect') { rs.writeHead(302, { location: u.searchParams.get('to') ?? '/' }); rs.end(); return; }
    if (u.pathname === '/slow') { setTimeout(() => rs.end('late'), 2000).unref(); return; }
    rs.setHeader('set-cookie', ['a=1', 'b=2']);
    rs.end(`hello ${rq.method} ${rq.headers['x-test'] ?? ''}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
after(() => { server.closeAllConnections(); server.close(); });

const FETCHER = `export default { async fetch(request) {
  const target = new URL(request.url).searchParams.get('target');
  try {
    const r = await fetch(target, { headers: { 'x-test': 'yes' } });
    return Response.json({ ok: true, status: r.status, text: await r.text(), cookies: r.headers.getSetCookie(), url: r.url, redirected: r.redirected });
  } catch (e) { return Response.json({ ok: false, name: e.name, message: e.message }); }
} }`;

async function call(sandbox: Awaited<ReturnType<typeof loaded>>['sandbox'], target: string) {
  return JSON.parse(await bodyText(await sandbox.invoke(req(`http://fn.test/?target=${encodeURIComponent(target)}`), { invocationId: id() })));
}

test('loopback, private, link-local and metadata targets are denied by default (resolved IP, not just the name)', async () => {
  const { sandbox } = await loaded(FETCHER);
  for (const target of [`http://127.0.0.1:${port}/`, `http://localhost:${port}/`, `http://[::1]:${port}/`, `http://[::ffff:127.0.0.1]:${port}/`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', 'http://0x7f000001:1/']) {
    const r = await call(sandbox, target);
    assert.equal(r.ok, false, target);
    assert.equal(r.name, 'TypeError', target);
    assert.match(r.message, /ISOTEL_ERR_EGRESS_DENIED/, `${target}: ${r.message}`);
  }
  sandbox.dispose();
});

test('an allow-listed address is reachable; headers and set-cookie come back', async () => {
  const { sandbox } = await loaded(FETCHER, { egress: { allow: ['127.0.0.1'] } });
  const r = await call(sandbox, `http://127.0.0.1:${port}/hi`);
  assert.deepEqual({ ok: r.ok, status: r.status, text: r.text, cookies: r.cookies, url: r.url }, { ok: true, status: 200, text: 'hello GET yes', cookies: ['a=1', 'b=2'], url: `http://127.0.0.1:${port}/hi` });
  sandbox.dispose();
});

test('a hostname allow-list entry opens that name; a redirect to a denied address is caught', async () => {
  const { sandbox } = await loaded(FETCHER, { egress: { allow: ['localhost'] } });
  const ok = await call(sandbox, `http://localhost:${port}/redirect?to=/final`);
  assert.equal(ok.text, 'hello GET yes');
  assert.equal(ok.redirected, true);
  const denied = await call(sandbox, `http://localhost:${port}/redirect?to=${encodeURIComponent(`http://127.0.0.1:${port}/`)}`);
  assert.equal(denied.ok, false);
  assert.match(denied.message, /ISOTEL_ERR_EGRESS_DENIED/);
  sandbox.dispose();
});

test('fetch bodies stream both ways through a 16 MiB isolate (48 MiB down, 40 MiB up)', async () => {
  const { sandbox } = await loaded(`export default { async fetch(request) {
    const base = new URL(request.url).searchParams.get('base');
    const down = await fetch(base + '/big');
    let n = 0;
    for await (const c of down.body) n += c.byteLength;
    let i = 0;
    const up = new ReadableStream({ pull(c) { if (i++ === 40) c.close(); else c.enqueue(new Uint8Array(1024 * 1024)); } });
    const counted = await fetch(base + '/count', { method: 'POST', body: up, duplex: 'half' });
    return Response.json({ down: n, up: Number(await counted.text()), multi: down.headers.get('x-multi') });
  } }`, { memoryLimitMb: 16, egress: { allow: ['127.0.0.0/8'] } });
  const r = JSON.parse(await bodyText(await sandbox.invoke(req(`http://fn.test/?base=${encodeURIComponent(`http://127.0.0.1:${port}`)}`), { invocationId: id() })));
  assert.deepEqual(r, { down: 48 * MIB, up: 40 * MIB, multi: 'a, b' });
  sandbox.dispose();
});

test('the per-invocation subrequest limit', async () => {
  const { sandbox } = await loaded(`export default { async fetch(request) {
    const base = new URL(request.url).searchParams.get('base');
    const out = [];
    for (let i = 0; i < 3; i++) { try { out.push((await fetch(base)).status); } catch (e) { out.push(e.message); } }
    return Response.json(out);
  } }`, { egress: { allow: ['127.0.0.1'], subrequestLimit: 2 } });
  const url = `http://fn.test/?base=${encodeURIComponent(`http://127.0.0.1:${port}/`)}`;
  const first = JSON.parse(await bodyText(await sandbox.invoke(req(url), { invocationId: id() })));
  assert.equal(first[0], 200);
  assert.equal(first[1], 200);
  assert.match(first[2], /ISOTEL_ERR_SUBREQUEST_LIMIT/);
  // the count is per invocation
  const second = JSON.parse(await bodyText(await sandbox.invoke(req(url), { invocationId: id() })));
  assert.equal(second[0], 200);
  sandbox.dispose();
});

test('calls the host can serve itself go through dispatchInternal, not the network', async () => {
  const seen: string[] = [];
  const { sandbox } = await loaded(FETCHER, {
    dispatchInternal: (request) => {
      if (!request.url.startsWith('http://127.0.0.1:1/')) return undefined;
      seen.push(`${request.method} ${request.url} ${request.headers.find(([n]) => n === 'x-test')?.[1]}`);
      return { status: 202, statusText: 'Accepted', headers: [['content-type', 'text/plain']], body: new TextEncoder().encode('from the gateway') };
    },
  });
  const r = await call(sandbox, 'http://127.0.0.1:1/other-fn/x');
  assert.deepEqual([r.status, r.text], [202, 'from the gateway']);
  assert.deepEqual(seen, ['GET http://127.0.0.1:1/other-fn/x yes']);
  sandbox.dispose();
});

test('aborting a fetch rejects it with AbortError', async () => {
  const { sandbox } = await loaded(`export default { async fetch(request) {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    try { await fetch(new URL(request.url).searchParams.get('target'), { signal: ac.signal }); return new Response('no'); }
    catch (e) { return new Response(e.name); }
  } }`, { egress: { allow: ['127.0.0.1'] } });
  assert.equal(await bodyText(await sandbox.invoke(req(`http://fn.test/?target=${encodeURIComponent(`http://127.0.0.1:${port}/slow`)}`), { invocationId: id() })), 'AbortError');
  sandbox.dispose();
});

test('unsupported schemes and invalid URLs are TypeErrors', async () => {
  const { sandbox } = await loaded(FETCHER);
  assert.match((await call(sandbox, 'ftp://example.com/')).message, /scheme ftp: is not supported/);
  assert.equal((await call(sandbox, '/relative')).name, 'TypeError');
  sandbox.dispose();
});

test('fetches that cannot be attributed to one invocation still count against the limit', async () => {
  const { sandbox } = await loaded(`export default { async fetch(request) {
    const base = new URL(request.url).searchParams.get('base');
    await new Promise((r) => setTimeout(r, 20)); // both invocations are in flight now: attribution is ambiguous
    const out = [];
    for (let i = 0; i < 3; i++) { try { out.push((await fetch(base)).status); } catch (e) { out.push(e.message); } }
    return Response.json(out);
  } }`, { egress: { allow: ['127.0.0.1'], subrequestLimit: 2 } });
  const url = `http://fn.test/?base=${encodeURIComponent(`http://127.0.0.1:${port}/`)}`;
  const [a, b] = await Promise.all([1, 2].map(async () => JSON.parse(await bodyText(await sandbox.invoke(req(url), { invocationId: id() })))));
  const all = [...a, ...b];
  // Bound: unattributed fetches share one bucket of `limit`; once an invocation is alone again its fetches are its own.
  assert.ok(all.filter((x: unknown) => x === 200).length <= 2 * 2, JSON.stringify(all));
  assert.ok(all.filter((x: unknown) => /ISOTEL_ERR_SUBREQUEST_LIMIT/.test(String(x))).length >= 2, JSON.stringify(all));
  sandbox.dispose();
});
