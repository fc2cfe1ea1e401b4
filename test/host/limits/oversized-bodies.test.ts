/** Bodies over the function's limits: 413 for requests, 502 for responses (whole or streamed). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startTestHost } from '../../helpers/host.js';
import { errorOf, NEIGHBOUR } from './_shared.js';

test('oversized request and response bodies hit their limits', async () => {
  const host = await startTestHost();
  try {
    await host.deploy('neighbour', NEIGHBOUR);
    await host.deploy('echo', 'export default { async fetch(request) { const body = await request.arrayBuffer(); return new Response(String(body.byteLength)); } };', { limits: { maxRequestBytes: 1000 } });
    await host.deploy('big', 'export default { fetch() { return new Response("x".repeat(10000)); } };', { limits: { maxResponseBytes: 1000 } });
    await host.deploy('bigstream', 'export default { fetch() { let i = 0; return new Response(new ReadableStream({ pull(c) { if (i++ < 100) c.enqueue(new TextEncoder().encode("y".repeat(100))); else c.close(); } })); } };', { limits: { maxResponseBytes: 1000 } });

    assert.equal(await (await host.get('/echo/', { method: 'POST', body: 'a'.repeat(500) })).text(), '500');
    const declared = await host.get('/echo/', { method: 'POST', body: 'a'.repeat(5000) });
    assert.equal(declared.status, 413);
    assert.equal((await errorOf(declared)).code, 'ISOTEL_ERR_LIMIT_REQUEST_BODY');
    // A streamed (chunked) upload without content-length is cut off while streaming.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 50; i++) c.enqueue(new Uint8Array(100));
        c.close();
      },
    });
    const streamed = await host.get('/echo/', { method: 'POST', body: chunks, duplex: 'half' } as RequestInit);
    assert.equal(streamed.status, 413);

    const big = await host.get('/big/');
    assert.equal(big.status, 502);
    assert.equal((await errorOf(big)).code, 'ISOTEL_ERR_LIMIT_RESPONSE_BODY');
    // A streamed response that grows past the limit is cut off mid-stream.
    const bigStream = await host.get('/bigstream/').then(
      async (r) => ({ status: r.status, body: await r.text().then((t) => t.length, () => -1) }),
      () => ({ status: -1, body: -1 }),
    );
    assert.ok(bigStream.body < 10000, `the stream was not cut: ${JSON.stringify(bigStream)}`);
    assert.equal(await (await host.get('/neighbour/')).text(), 'still here');
  } finally {
    await host.close();
  }
});
