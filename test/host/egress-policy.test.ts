/** A function's egress policy travels with its deploy: loopback is refused by default and allowed when listed. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { startTestHost } from '../helpers/host.js';

test('deploy-time egress allow-list opens a destination the default policy denies', async () => {
  const upstream = createServer((_req, res) => res.end('upstream says hi'));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  const port = (upstream.address() as { port: number }).port;
  const host = await startTestHost();
  try {
    const src = `export default { async fetch() { try { const r = await fetch('http://127.0.0.1:${port}/'); return new Response(await r.text()); } catch (e) { return new Response(String(e && e.message), { status: 502 }); } } };`;
    assert.equal((await host.deploy('closed', src)).status, 201);
    const denied = await host.get('/closed/');
    assert.equal(denied.status, 502);
    assert.match(await denied.text(), /ISOTEL_ERR_EGRESS_DENIED|egress|loopback/i);

    const open = await host.deploy('open', src, { egress: { allow: ['127.0.0.1'] } });
    assert.equal(open.status, 201, JSON.stringify(open.body));
    const allowed = await host.get('/open/');
    assert.equal(await allowed.text(), 'upstream says hi');
    assert.equal(allowed.status, 200);

    const info = await host.admin('GET', '/functions/open');
    assert.deepEqual((info.body.current as { egress: unknown }).egress, { allow: ['127.0.0.1'] });
    const bad = await host.deploy('bad', src, { egress: { allow: 'everything' } });
    assert.equal(bad.status, 400);
    assert.match(String((bad.body.error as { message: string }).message), /egress\.allow/);
  } finally {
    await host.close();
    upstream.close();
  }
});
