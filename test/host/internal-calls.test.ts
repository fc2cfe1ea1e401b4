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
