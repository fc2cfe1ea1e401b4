/** Idle instances are disposed after ISOTEL_INSTANCE_IDLE_MS; the next request is a cold start. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHost } from '../helpers/host.js';

const counter = 'let n = 0; export default { fetch() { n++; return new Response(String(n)); } };';

test('an idle instance scales to zero and the next request starts a fresh one', async () => {
  const host = await startTestHost({ ISOTEL_INSTANCE_IDLE_MS: '200' });
  try {
    await host.deploy('count', counter);
    assert.equal(await (await host.get('/count/')).text(), '1');
    assert.equal(await (await host.get('/count/')).text(), '2', 'warm: the same instance');
    const busy = await host.workers[0]!.stats();
    assert.equal(busy?.instances, 1);
    await new Promise((r) => setTimeout(r, 700));
    const idle = await host.workers[0]!.stats();
    assert.equal(idle?.instances, 0, 'scaled to zero');
    assert.ok((idle?.scaledToZero ?? 0) >= 1);
    assert.equal(await (await host.get('/count/')).text(), '1', 'a cold start: module state is new');
  } finally {
    await host.close();
  }
});
