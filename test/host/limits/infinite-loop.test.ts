/** A synchronous infinite loop hits the CPU-time limit: 503, the isolate is disposed, the neighbour keeps answering. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHost } from '../../helpers/host.js';
import { errorOf, NEIGHBOUR, neighbourKeepsAnswering } from './_shared.js';

test('infinite loop → ISOTEL_ERR_LIMIT_CPU_TIME', async () => {
  const host = await startTestHost({ ISOTEL_WORKERS: '2' });
  try {
    await host.deploy('neighbour', NEIGHBOUR);
    await host.deploy('spin', 'export default { fetch(request) { if (new URL(request.url).searchParams.has("ok")) return new Response("ok"); for (;;) {} } };', { limits: { cpuMs: 200 } });
    const { result: res, answers } = await neighbourKeepsAnswering(host, host.get('/spin/'));
    assert.equal(res.status, 503);
    const error = await errorOf(res);
    assert.equal(error.code, 'ISOTEL_ERR_LIMIT_CPU_TIME');
    assert.match(error.message, /200 ms/);
    assert.ok(answers > 0);
    // The function itself recovers with a fresh isolate.
    assert.equal(await (await host.get('/spin/?ok')).text(), 'ok');
  } finally {
    await host.close();
  }
});
