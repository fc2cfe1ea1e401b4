/** fetch() to the host's own gateway URL calls the other function inside the worker; self-recursion is bounded. */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { startTestHost } from '../helpers/host.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

test('one function calls another through the gateway URL; a function calling itself stops at the depth limit', async () => {
  const port = await freePort();
  const host = await startTestHost({ ISOTEL_GATEWAY_PORT: String(port) });
  try {
    await host.deploy('b', 'export default { fetch(request) { return new Response("B saw " + new URL(request.url).pathname); } };');
    await host.deploy('a', `export default { async fetch() { const r = await fetch('http://127.0.0.1:${port}/b/x'); return new Response('A got: ' + (await r.text())); } };`);
    assert.equal(await (await host.get('/a/')).text(), 'A got: B saw /b/x');
    await host.deploy('loop', `export default { async fetch() { const r = await fetch('http://127.0.0.1:${port}/loop/'); return new Response(String(r.status) + ' ' + (await r.text())); } };`);
    const res = await host.get('/loop/');
    assert.equal(res.status, 200);
    assert.match(await res.text(), /nested deeper than 16/);
  } finally {
    await host.close();
  }
});

test("a call inside the worker holds the callee's body limits, as the gateway would", async () => {
  const port = await freePort();
  const host = await startTestHost({ ISOTEL_GATEWAY_PORT: String(port) });
  try {
    await host.deploy('tiny-in', 'export default { async fetch(request) { return new Response("read " + (await request.text()).length); } };', { limits: { maxRequestBytes: 10 } });
    await host.deploy('big-out', `export default { fetch(request) {
      if (new URL(request.url).searchParams.has('stream')) {
        let n = 0;
        return new Response(new ReadableStream({ pull(c) { if (n++ === 4) c.close(); else c.enqueue(new Uint8Array(600)); } }));
      }
      return new Response('x'.repeat(2000));
    } };`, { limits: { maxResponseBytes: 1000 } });
    await host.deploy('caller', `export default { async fetch(request) {
      const what = new URL(request.url).searchParams.get('what');
      const base = 'http://127.0.0.1:${port}';
      if (what === 'post') { const r = await fetch(base + '/tiny-in/', { method: 'POST', body: 'y'.repeat(100) }); return new Response(r.status + ' ' + (await r.json()).error.code); }
      if (what === 'post-stream') {
        const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('y'.repeat(50))); c.close(); } });
        const r = await fetch(base + '/tiny-in/', { method: 'POST', body, duplex: 'half' });
        return new Response(r.status + ' ' + (await r.text()));
      }
      if (what === 'get') { const r = await fetch(base + '/big-out/'); return new Response(r.status + ' ' + (await r.json()).error.code); }
      const r = await fetch(base + '/big-out/?stream');
      try { await r.arrayBuffer(); return new Response('read it all'); } catch (e) { return new Response('stream failed: ' + e.message); }
    } };`);
    assert.equal(await (await host.get('/caller/?what=post')).text(), '413 ISOTEL_ERR_LIMIT_REQUEST_BODY');
    assert.match(await (await host.get('/caller/?what=post-stream')).text(), /^413 \{"error":\{"code":"ISOTEL_ERR_LIMIT_REQUEST_BODY","message":"the request body is larger than tiny-in's limit of 10 bytes"/);
    assert.equal(await (await host.get('/caller/?what=get')).text(), '502 ISOTEL_ERR_LIMIT_RESPONSE_BODY');
    assert.match(await (await host.get('/caller/?what=get-stream')).text(), /^stream failed: .*larger than its limit of 1000 bytes/);
  } finally {
    await host.close();
  }
});
