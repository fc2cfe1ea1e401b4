/** A handler that keeps allocating hits the isolate memory limit: 503, the neighbour keeps answering. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHost } from '../../helpers/host.js';
import { errorOf, NEIGHBOUR, neighbourKeepsAnswering } from './_shared.js';

test('memory bomb → ISOTEL_ERR_LIMIT_MEMORY', async () => {
  const host = await startTestHost();
  try {
    await host.deploy('neighbour', NEIGHBOUR);
    await host.deploy('bomb', 'export default { fetch(request) { if (new URL(request.url).searchParams.has("ok")) return new Response("ok"); const keep = []; for (;;) keep.push({ a: Math.random(), b: [1, 2, 3, 4, 5, 6, 7, 8] }); } };', { limits: { memoryLimitMb: 32 } });
    const { result: res } = await neighbourKeepsAnswering(host, host.get('/bomb/'));
    assert.equal(res.status, 503);
    const error = await errorOf(res);
    assert.equal(error.code, 'ISOTEL_ERR_LIMIT_MEMORY');
    assert.equal(await (await host.get('/bomb/?ok')).text(), 'ok');
  } finally {
    await host.close();
  }
});
