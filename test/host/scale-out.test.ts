/** Under load a function scales out to more instances, up to limits.maxInstances; beyond that requests wait, then get 503. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHost } from '../helpers/host.js';

test('one invocation per instance: three concurrent requests run on three instances; a fourth waits its turn', async () => {
  const host = await startTestHost();
  try {
    // Each instance counts its own invocations; the response says which instance served it.
    const src = `const id = crypto.randomUUID(); export default { async fetch() { await new Promise((r) => setTimeout(r, 300)); return new Response(id); } };`;
    const r = await host.deploy('slow', src, { limits: { concurrency: 1, maxInstances: 3 } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const started = Date.now();
    const bodies = await Promise.all(Array.from({ length: 4 }, () => host.get('/slow/').then((res) => res.text())));
    const elapsed = Date.now() - started;
    assert.equal(new Set(bodies.slice(0, 4)).size, 3, `served by ${new Set(bodies).size} instances: ${bodies.join(', ')}`);
    // The fourth request waited for a free instance instead of starting a fourth.
    assert.ok(elapsed >= 550, `four requests on three single-slot instances took ${elapsed} ms`);
    const stats = await host.workers[0]!.stats();
    assert.equal(stats?.instances, 3);
  } finally {
    await host.close();
  }
});
