/**
 * Synchronous dispatch (ISOTEL_SYNC_DISPATCH_MAX_CPU_MS): functions with a tight CPU limit cold-start and run on
 * their worker's thread. Same answers as the thread-pool path; a runaway handler is still cut at its CPU limit
 * (the synchronous call's own bound) and a neighbour on the same worker keeps answering; a top level that turns
 * slow after deploy falls back to an asynchronous load instead of failing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestHost, type TestHost } from '../helpers/host.js';
import { errorOf, NEIGHBOUR } from './limits/_shared.js';

let host: TestHost;
before(async () => {
  // One worker: the neighbour shares the thread a runaway synchronous handler holds.
  host = await startTestHost({ ISOTEL_WORKERS: '1' });
  await host.deploy('neighbour', NEIGHBOUR);
});
after(async () => {
  await host.close();
});

const syncInvocations = async (): Promise<number> => (await host.admin('GET', '/stats')).body.syncInvocations as number;

const ECHO = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/later')) {
      await new Promise((r) => setTimeout(r, 5));
      return new Response('later ' + performance.now().toFixed(0).length, { headers: { 'x-later': '1' } });
    }
    if (url.pathname.endsWith('/stream')) {
      let n = 0;
      return new Response(new ReadableStream({ pull(c) { if (n === 3) c.close(); else c.enqueue(new TextEncoder().encode('chunk' + n++ + ';')); } }));
    }
    console.log('echo', request.method);
    return new Response(await request.text(), { status: 201, headers: { 'x-method': request.method } });
  },
};`;

test('a function with a tight CPU limit answers the same on the synchronous path, and the counter says it ran there', async () => {
  await host.deploy('echo', ECHO, { limits: { cpuMs: 50 } });
  await host.deploy('roomy', ECHO); // the default CPU limit (30 s): the thread pool
  const before = await syncInvocations();
  for (let i = 0; i < 3; i++) {
    const res = await host.get('/echo/', { method: 'POST', body: `body ${i}` });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-method'), 'POST');
    assert.equal(await res.text(), `body ${i}`);
  }
  const later = await host.get('/echo/later');
  assert.equal(later.headers.get('x-later'), '1');
  assert.match(await later.text(), /^later \d+$/);
  assert.equal(await (await host.get('/echo/stream')).text(), 'chunk0;chunk1;chunk2;');
  // A body past the inline size streams in: its reads are asynchronous ops started from inside the synchronous call.
  // (Just past the 64 KiB inline size: the echo must stay well inside its 50 ms CPU limit on a loaded machine.)
  const big = 'z'.repeat(66 * 1024);
  const echoed = await host.get('/echo/', { method: 'PUT', body: big });
  assert.equal(echoed.status, 201, echoed.status === 201 ? '' : await echoed.clone().text());
  assert.equal((await echoed.text()).length, big.length);
  const afterSync = await syncInvocations();
  // Not necessarily all five: a call still in flight in the isolate (the heap reading after a cold start or of the
  // idle sweep, the warm code cache after the first invocation) sends an invocation to the thread pool instead of
  // waiting for the isolate's lock.
  assert.ok(afterSync - before >= 2, `expected the echo invocations on the synchronous path, counter went ${before} → ${afterSync}`);

  assert.equal(await (await host.get('/roomy/', { method: 'POST', body: 'x' })).text(), 'x');
  assert.equal(await syncInvocations(), afterSync, 'a function with the default CPU limit stays on the thread pool');
});

for (const [name, body] of [
  ['a synchronous loop', 'for (;;) {}'],
  ['a loop after an await (run in the same call, as a microtask)', 'await null; for (;;) {}'],
] as const) {
  test(`${name} on the synchronous path ends at the CPU limit; the neighbour on the same worker keeps answering`, async () => {
    const fn = `spin${name.length}`;
    await host.deploy(fn, `export default { async fetch(request) { if (new URL(request.url).searchParams.has('ok')) return new Response('ok'); ${body} } };`, { limits: { cpuMs: 40 } });
    assert.equal(await (await host.get(`/${fn}/?ok`)).text(), 'ok');
    // The neighbour's request waits for the runaway call (at most its CPU limit), then is answered.
    const [res, neighbour] = await Promise.all([host.get(`/${fn}/`), host.get('/neighbour/')]);
    assert.equal(neighbour.status, 200);
    assert.equal(await neighbour.text(), 'still here');
    assert.equal(res.status, 503);
    const error = await errorOf(res);
    assert.equal(error.code, 'ISOTEL_ERR_LIMIT_CPU_TIME');
    assert.match(error.message, new RegExp(`${fn} used more than its CPU-time limit of 40 ms`));
    // A fresh isolate serves the next request.
    assert.equal(await (await host.get(`/${fn}/?ok`)).text(), 'ok');
  });
}

test('a top level that is quick at deploy and slow at a later cold start falls back to an asynchronous load', async () => {
  // Quick until `slowFrom`, then 150 ms of work: past the 50 ms synchronous budget, far inside the 5 s evaluate limit.
  const slowFrom = Date.now() + 1500;
  await host.deploy('moody', `if (Date.now() > ${slowFrom}) { const end = Date.now() + 150; while (Date.now() < end) {} }
export default { fetch() { return new Response('loaded'); } };`, { limits: { cpuMs: 50 } });
  await new Promise((r) => setTimeout(r, slowFrom - Date.now() + 100));
  const res = await host.get('/moody/');
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'loaded');
});

test('a memory bomb on the synchronous path ends at a limit; the worker and the neighbour live on', async () => {
  // 4 MB chunks reach the 16 MiB heap limit in a few allocations, but V8 then collects hard near the limit: which
  // of the two limits ends it (memory, or the 50 ms of CPU that collecting used up) is a race. Either is a clean end.
  await host.deploy('bomb', 'export default { fetch(request) { if (new URL(request.url).searchParams.has("ok")) return new Response("ok"); const keep = []; for (;;) keep.push(new Array(5e5).fill(1.5)); } };', { limits: { memoryLimitMb: 16, cpuMs: 50 } });
  assert.equal(await (await host.get('/bomb/?ok')).text(), 'ok');
  const [res, neighbour] = await Promise.all([host.get('/bomb/'), host.get('/neighbour/')]);
  assert.equal(await neighbour.text(), 'still here');
  assert.equal(res.status, 503);
  assert.match((await errorOf(res)).code, /^ISOTEL_ERR_LIMIT_(MEMORY|CPU_TIME)$/);
  assert.equal(await (await host.get('/bomb/?ok')).text(), 'ok');
  assert.equal(await (await host.get('/neighbour/')).text(), 'still here');
});
