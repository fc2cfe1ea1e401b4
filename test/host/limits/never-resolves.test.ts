/** An async handler that never resolves hits the wall-time limit: 504; the instance survives (it is not spinning). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHost } from '../../helpers/host.js';
import { errorOf, NEIGHBOUR, neighbourKeepsAnswering } from './_shared.js';

test('never-resolving handler → ISOTEL_ERR_LIMIT_WALL_TIME', async () => {
  const host = await startTestHost();
  try {
    await host.deploy('neighbour', NEIGHBOUR);
    await host.deploy('hang', 'let n = 0; export default { async fetch(request) { n++; if (new URL(request.url).searchParams.has("ok")) return new Response(String(n)); await new Promise(() => {}); } };', { limits: { wallMs: 300 } });
    const { result: res } = await neighbourKeepsAnswering(host, host.get('/hang/'));
    assert.equal(res.status, 504);
    const error = await errorOf(res);
    assert.equal(error.code, 'ISOTEL_ERR_LIMIT_WALL_TIME');
    assert.match(error.message, /300 ms/);
    // Same instance, still warm: the module-level counter kept counting.
    assert.equal(await (await host.get('/hang/?ok')).text(), '2');
  } finally {
    await host.close();
  }
});
