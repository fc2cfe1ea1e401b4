// Hazard: a function allocates past its isolate memory limit. The sandbox must end with a
// distinct LIMIT_MEMORY error (not crash the process, not hang the invocation).
import assert from 'node:assert/strict';
import test from 'node:test';
import { IsotelError } from '../../common/errors.js';
import { id, loaded, req } from './helpers.js';

test('exceeding the memory limit rejects with ISOTEL_ERR_LIMIT_MEMORY and disposes the sandbox', async () => {
  const { sandbox } = await loaded(`export default { fetch() { const keep = []; while (true) keep.push(new Array(100000).fill({ a: 1 })); } }`, { memoryLimitMb: 16 });
  await assert.rejects(sandbox.invoke(req(), { invocationId: id() }), (e: unknown) => {
    assert.ok(e instanceof IsotelError);
    assert.equal(e.code, 'ISOTEL_ERR_LIMIT_MEMORY', e.message);
    return true;
  });
  assert.equal(sandbox.disposed, true);
  assert.equal(sandbox.memoryExceeded, true);
  await assert.rejects(sandbox.invoke(req(), { invocationId: id() }), (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_LIMIT_MEMORY');
});

test('an unhandled rejection whose message mentions a memory limit is not taken for one', async () => {
  const { sandbox, uncaught } = await loaded(`export default { fetch() { Promise.reject(new Error('Isolate was disposed during execution due to memory limit')); return new Response('still here'); } }`);
  const r = await sandbox.invoke(req(), { invocationId: id() });
  assert.equal(r.status, 200);
  await new Promise((ok) => setTimeout(ok, 20));
  assert.equal(sandbox.disposed, false);
  assert.equal(sandbox.memoryExceeded, false);
  assert.equal(uncaught.length, 1);
  sandbox.dispose();
});
