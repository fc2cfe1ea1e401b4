/** With a small memory budget, least recently used idle instances are evicted to make room. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHost } from '../helpers/host.js';

// Each instance holds ~2 MiB so a 16 MiB budget fits only a handful.
const fn = (i: number): string => `const ballast = new Uint8Array(2 * 1024 * 1024).fill(${i}); let n = 0; export default { fetch() { n++; return new Response(n + ':' + ballast[0]); } };`;

test('LRU eviction under a small memory budget', async () => {
  const host = await startTestHost({ ISOTEL_MEMORY_BUDGET_MB: '16', ISOTEL_POOL_SIZE: '1' });
  try {
    const names = Array.from({ length: 12 }, (_, i) => `f${i}`);
    for (const [i, name] of names.entries()) await host.deploy(name, fn(i));
    for (const [i, name] of names.entries()) {
      assert.equal(await (await host.get(`/${name}/`)).text(), `1:${i}`);
      // let the idle sweep sample the new instance's heap
      await new Promise((r) => setTimeout(r, 30));
    }
    const stats = await host.workers[0]!.stats();
    assert.ok(stats);
    assert.ok(stats.evictions > 0, `expected evictions, got ${JSON.stringify(stats)}`);
    assert.ok(stats.instances < names.length, `resident ${stats.instances} of ${names.length}`);
    // The least recently used function was evicted: its module state starts over.
    assert.equal(await (await host.get('/f0/')).text(), '1:0');
    // The most recently used one is still warm.
    assert.equal(await (await host.get(`/${names.at(-1)}/`)).text(), `2:${names.length - 1}`);
  } finally {
    await host.close();
  }
});
