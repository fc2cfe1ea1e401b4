/**
 * Idle compaction: an instance idle for a second gets one full garbage collection that returns free memory;
 * its heap shrinks, it keeps its state and serves the next request warm, and a used instance is compacted again
 * only after it has been idle again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createSandbox } from '../../host/isolate/sandbox.js';
import { compileFunctionSource } from '../../host/registry/transpile.js';
import { startTestHost, type TestHost } from '../helpers/host.js';

test('compact() shrinks an isolate heap that holds garbage, and the function keeps its state', async () => {
  const source = await compileFunctionSource(`let served = 0;
export default { fetch() { const junk = []; for (let i = 0; i < 2e4; i++) junk.push({ i, s: 'x' + i }); served++; return new Response(String(served)); } };`, 'junk.js');
  const sandbox = await createSandbox({ memoryLimitMb: 64 });
  try {
    await sandbox.load(source.code, { filename: 'junk.js', format: source.format });
    const request = { method: 'GET', url: 'http://fn.test/junk/', headers: [], body: null };
    for (let i = 0; i < 3; i++) await sandbox.invoke(request, { invocationId: `i${i}` });
    const beforeHeap = await sandbox.heapStatistics();
    await sandbox.compact!();
    const afterHeap = await sandbox.heapStatistics();
    assert.ok(afterHeap.usedHeapSize < beforeHeap.usedHeapSize, `used heap ${beforeHeap.usedHeapSize} → ${afterHeap.usedHeapSize}`);
    assert.ok(afterHeap.totalHeapSize <= beforeHeap.totalHeapSize, `committed heap ${beforeHeap.totalHeapSize} → ${afterHeap.totalHeapSize}`);
    const res = await sandbox.invoke(request, { invocationId: 'after' });
    assert.equal(new TextDecoder().decode(res.body as Uint8Array), '4', 'module state survives compaction');
  } finally {
    sandbox.dispose();
  }
});

let host: TestHost;
before(async () => {
  host = await startTestHost({ ISOTEL_INSTANCE_IDLE_MS: '600000' });
});
after(async () => {
  await host.close();
});

const compactions = async (): Promise<number> => (await host.admin('GET', '/stats')).body.compactions as number;
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('an idle instance is compacted once, serves warm afterwards, and is compacted again after its next idle spell', async () => {
  await host.deploy('counter', 'let n = 0; export default { fetch() { return new Response(String(++n)); } };');
  assert.equal(await (await host.get('/counter/')).text(), '1');
  const start = await compactions();
  await until('the idle instance to be compacted', async () => (await compactions()) > start);
  const once = await compactions();
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(await compactions(), once, 'an instance is compacted once per idle spell, not on every sweep');
  assert.equal(await (await host.get('/counter/')).text(), '2', 'same instance, state kept: no cold start');
  await until('the instance to be compacted again after its next idle spell', async () => (await compactions()) > once);
});
