/**
 * One huge allocation can abort a whole V8 process (isolated-vm's memory limit is a
 * guideline). Whatever happens to the worker running it, functions on the other
 * worker keep answering, and the function's worker comes back.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { workerFor } from '../../../host/gateway/server.js';
import { startTestHost } from '../../helpers/host.js';
import { NEIGHBOUR, neighbourKeepsAnswering } from './_shared.js';

test('a single huge allocation stays inside its worker', async () => {
  const host = await startTestHost({ ISOTEL_WORKERS: '2' });
  try {
    // Pick names that land on different workers.
    const hog = ['hog', 'hog1', 'hog2', 'hog3', 'hog4', 'hog5'].find((n) => workerFor(n, host.workers) !== workerFor('neighbour', host.workers))!;
    await host.deploy('neighbour', NEIGHBOUR);
    await host.deploy(hog, 'export default { fetch(request) { if (new URL(request.url).searchParams.has("ok")) return new Response("ok"); const s = "x".repeat(2 ** 29 - 24); return new Response(String([...s].length)); } };', { limits: { memoryLimitMb: 64 } });
    const { result: res } = await neighbourKeepsAnswering(host, host.get(`/${hog}/`));
    assert.ok([502, 503].includes(res.status), `status ${res.status}`);
    const body = (await res.json()) as { error: { code: string } };
    assert.ok(['ISOTEL_ERR_LIMIT_MEMORY', 'ISOTEL_ERR_WORKER_UNAVAILABLE', 'ISOTEL_ERR_SANDBOX_DISPOSED'].includes(body.error.code), body.error.code);
    // The function answers again (after its worker restarted, if it had to).
    const deadline = Date.now() + 15_000;
    for (;;) {
      const r = await host.get(`/${hog}/?ok`);
      if (r.status === 200) {
        assert.equal(await r.text(), 'ok');
        break;
      }
      await r.arrayBuffer();
      if (Date.now() > deadline) assert.fail(`${hog} did not come back: ${r.status}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(await (await host.get('/neighbour/')).text(), 'still here');
  } finally {
    await host.close();
  }
});
