import assert from 'node:assert/strict';
import test from 'node:test';
import { IsotelError } from '../../common/errors.js';
import { createIsotelSandbox } from '../../host/isolate/sandbox.js';
import { bodyText, id, loaded, req } from './helpers.js';

function isCode(code: string, check?: (e: IsotelError) => void) {
  return (e: unknown) => {
    assert.ok(e instanceof IsotelError, `expected IsotelError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    check?.(e);
    return true;
  };
}

test('module handler: request in, response out, env and console attributed', async () => {
  const { sandbox, logs } = await loaded(`
    export default {
      async fetch(request, env, ctx) {
        console.log('got', request.method, new URL(request.url).pathname, env.GREETING);
        console.warn('careful');
        const body = await request.text();
        return new Response(env.GREETING + ':' + body, { status: 201, statusText: 'Made', headers: { 'x-a': '1', 'set-cookie': 'a=1' } });
      },
    };`, { env: { GREETING: 'hej' } });
  const invocationId = id();
  const r = await sandbox.invoke(req('http://fn.test/hello/x', { method: 'POST', headers: [['content-type', 'text/plain']], body: new TextEncoder().encode('body') }), { invocationId });
  assert.equal(r.status, 201);
  assert.equal(r.statusText, 'Made');
  // The header list as built (not the sorted view Headers iteration gives): the body's content-type comes last.
  assert.deepEqual(r.headers, [['x-a', '1'], ['set-cookie', 'a=1'], ['content-type', 'text/plain;charset=UTF-8']]);
  assert.equal(await bodyText(r), 'hej:body');
  assert.ok(r.body instanceof Uint8Array, 'a string body crosses whole, not as a stream');
  assert.equal(logs[0]?.message, 'got POST /hello/x hej');
  assert.equal(logs[0]?.invocationId, invocationId);
  assert.equal(logs[0]?.severityText, 'INFO');
  assert.equal(logs[1]?.severityNumber, 13);
  sandbox.dispose();
});

test('compile errors name file, line and column', async () => {
  const sb = await createIsotelSandbox({ memoryLimitMb: 32 });
  await assert.rejects(sb.load('export default {\n  fetch() { return 1 +; }\n}', { filename: 'broken.js' }), isCode('ISOTEL_ERR_DEPLOY_COMPILE', (e) => {
    assert.deepEqual([e.details?.file, e.details?.line, e.details?.column], ['broken.js', 2, 23]);
    assert.match(e.message, /broken\.js:2:23/);
  }));
  sb.dispose();
});

test('a top-level throw is an evaluate error with its location', async () => {
  const sb = await createIsotelSandbox({ memoryLimitMb: 32 });
  await assert.rejects(sb.load('const a = 1;\nnull.boom;\nexport default { fetch() {} }', { filename: 'top.js' }), isCode('ISOTEL_ERR_DEPLOY_EVALUATE', (e) => {
    assert.equal(e.details?.line, 2);
    assert.equal(e.details?.name, 'TypeError');
  }));
  sb.dispose();
});

test('a module without a handler is refused', async () => {
  const sb = await createIsotelSandbox({ memoryLimitMb: 32 });
  await assert.rejects(sb.load('export const x = 1;', { filename: 'none.js' }), isCode('ISOTEL_ERR_DEPLOY_NO_HANDLER'));
  sb.dispose();
});

test('an unknown import is a compile error naming the import; built-in modules resolve', async () => {
  const sb = await createIsotelSandbox({ memoryLimitMb: 32 });
  await assert.rejects(sb.load('import x from "left-pad";\nexport default { fetch() {} }', { filename: 'imp.js' }), isCode('ISOTEL_ERR_DEPLOY_COMPILE', (e) => {
    assert.equal(e.details?.import, 'left-pad');
    assert.equal(e.details?.line, 1);
    assert.match(e.message, /left-pad/);
  }));
  sb.dispose();
  const { sandbox } = await loaded('import rt, { name } from "isotel:runtime";\nexport default { fetch() { return new Response(name + "/" + rt.userAgent); } }');
  assert.equal(await bodyText(await sandbox.invoke(req(), { invocationId: id() })), 'isotel/isotel');
  sandbox.dispose();
});

test('a thrown or rejected handler error carries name, message and stack', async () => {
  const { sandbox } = await loaded(`export default { fetch(r) { if (r.url.endsWith('/throw')) throw new RangeError('nope'); return Promise.reject(new TypeError('later')); } }`);
  await assert.rejects(sandbox.invoke(req('http://fn.test/throw'), { invocationId: id() }), isCode('ISOTEL_ERR_HANDLER_THREW', (e) => {
    assert.equal(e.details?.name, 'RangeError');
    assert.equal(e.details?.message, 'nope');
    assert.match(String(e.details?.stack), /hello\.js:1:/);
  }));
  await assert.rejects(sandbox.invoke(req('http://fn.test/reject'), { invocationId: id() }), isCode('ISOTEL_ERR_HANDLER_THREW', (e) => assert.equal(e.details?.name, 'TypeError')));
  // the sandbox keeps serving
  await assert.rejects(sandbox.invoke(req('http://fn.test/reject'), { invocationId: id() }), isCode('ISOTEL_ERR_HANDLER_THREW'));
  sandbox.dispose();
});

test('a non-Response result is a bad response', async () => {
  const { sandbox } = await loaded(`export default { fetch() { return { status: 200 }; } }`);
  await assert.rejects(sandbox.invoke(req(), { invocationId: id() }), isCode('ISOTEL_ERR_HANDLER_BAD_RESPONSE', (e) => assert.match(e.message, /not a Response/)));
  sandbox.dispose();
});

test('service-worker style: respondWith and waitUntil', async () => {
  const { sandbox, logs } = await loaded(`
    addEventListener('fetch', (event) => {
      event.waitUntil(new Promise((r) => setTimeout(r, 20)).then(() => console.log('after')));
      event.respondWith((async () => new Response('sw ' + event.request.method))());
    });`);
  const r = await sandbox.invoke(req(), { invocationId: id() });
  assert.equal(await bodyText(r), 'sw GET');
  assert.equal(logs.length, 0, 'waitUntil work runs after the response');
  await r.waitUntil;
  assert.equal(logs[0]?.message, 'after');
  sandbox.dispose();
});

test('ctx.waitUntil settles after the response', async () => {
  const { sandbox, logs } = await loaded(`export default { fetch(req, env, ctx) { ctx.waitUntil(new Promise((r) => setTimeout(r, 10)).then(() => { ctx.waitUntil(Promise.resolve().then(() => console.log('nested'))); })); return new Response('ok'); } }`);
  const r = await sandbox.invoke(req(), { invocationId: id() });
  assert.equal(await bodyText(r), 'ok');
  await r.waitUntil;
  assert.deepEqual(logs.map((l) => l.message), ['nested']);
  sandbox.dispose();
});

test('load reports compile and evaluate times; module code cache is an honest miss', async () => {
  // isolated-vm 5.0.4 ignores cached data for modules (see sandbox.ts): load must not claim a hit or hand out cache.
  const src = 'export default { fetch() { return new Response("c"); } }';
  const a = await createIsotelSandbox({ memoryLimitMb: 32 });
  const first = await a.load(src, { filename: 'c.js', cachedData: new Uint8Array([1, 2, 3, 4]) });
  assert.equal(first.codeCacheHit, false);
  assert.equal(first.cachedData, undefined);
  assert.ok(first.compileNs > 0n && first.evaluateNs > 0n);
  assert.equal(await bodyText(await a.invoke(req(), { invocationId: id() })), 'c');
  a.dispose();
});

test('the runtime itself compiles from the build code cache', async () => {
  const { runtimeCacheRejections } = await import('../../host/isolate/sandbox.js');
  const sb = await createIsotelSandbox({ memoryLimitMb: 32 });
  assert.equal(runtimeCacheRejections(), 0);
  sb.dispose();
});

test('user code sees no bootstrap handles', async () => {
  const { sandbox } = await loaded(`export default { fetch() {
    const names = Object.getOwnPropertyNames(globalThis).filter((n) => /isotel|bootstrap|^op$|ivm/i.test(n));
    return Response.json({ names, hasRequire: typeof require, hasProcess: typeof process });
  } }`);
  assert.deepEqual(JSON.parse(await bodyText(await sandbox.invoke(req(), { invocationId: id() }))), { names: [], hasRequire: 'undefined', hasProcess: 'undefined' });
  sandbox.dispose();
});

test('concurrent invocations in one sandbox stay apart', async () => {
  const { sandbox } = await loaded(`export default { async fetch(r) { const n = Number(new URL(r.url).searchParams.get('n')); await new Promise((ok) => setTimeout(ok, 30 - n * 5)); return new Response(String(n * 2)); } }`);
  const results = await Promise.all([1, 2, 3, 4, 5].map((n) => sandbox.invoke(req(`http://fn.test/?n=${n}`), { invocationId: id() }).then(bodyText)));
  assert.deepEqual(results, ['2', '4', '6', '8', '10']);
  sandbox.dispose();
});

test('abort: the invoke rejects and request.signal fires inside', async () => {
  const { sandbox, logs } = await loaded(`export default { fetch(r) { r.signal.addEventListener('abort', () => console.log('aborted', r.signal.reason.name)); return new Promise(() => {}); } }`);
  const ac = new AbortController();
  const p = sandbox.invoke(req(), { invocationId: id(), signal: ac.signal });
  setTimeout(() => ac.abort(new Error('wall time')), 20);
  await assert.rejects(p, isCode('ISOTEL_ERR_INVOKE_ABORTED', (e) => assert.match(e.message, /wall time/)));
  await sandbox.idle();
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(logs.map((l) => l.message), ['aborted AbortError']);
  sandbox.dispose();
});

test('dispose while invocations run rejects them as disposed; cpu and heap figures are readable', async () => {
  const { sandbox } = await loaded(`export default { fetch() { setInterval(() => {}, 1); return new Promise(() => {}); } }`);
  const before = sandbox.cpuTimeNs();
  const heap = await sandbox.heapStatistics();
  assert.ok(heap.usedHeapSize > 0 && heap.totalHeapSize >= heap.usedHeapSize);
  const p = sandbox.invoke(req(), { invocationId: id() });
  await new Promise((r) => setTimeout(r, 20));
  assert.ok(sandbox.cpuTimeNs() > before);
  sandbox.dispose();
  sandbox.dispose(); // idempotent
  await assert.rejects(p, isCode('ISOTEL_ERR_SANDBOX_DISPOSED'));
  await assert.rejects(sandbox.invoke(req(), { invocationId: id() }), isCode('ISOTEL_ERR_SANDBOX_DISPOSED'));
  assert.equal(sandbox.disposed, true);
  // the pending interval does not keep this process alive: the test runner would time out if it did.
});

test('warmCodeCache: after an invocation the script-form cache grows and is accepted by a fresh sandbox', async () => {
  const src = '(function (require) { function helper(s) { return s.toUpperCase() + "!"; } return { default: { fetch(request) { return new Response(helper(new URL(request.url).pathname)); } } }; })';
  const a = await createIsotelSandbox({ memoryLimitMb: 32 });
  const first = await a.load(src, { filename: 'w.js', format: 'script' });
  assert.ok(first.cachedData && first.cachedData.byteLength > 0);
  assert.equal(await bodyText(await a.invoke(req('http://fn.test/abc'), { invocationId: id() })), '/ABC!');
  const warm = await a.warmCodeCache!();
  assert.ok(warm && warm.byteLength > first.cachedData.byteLength, `warm ${warm?.byteLength} > cold ${first.cachedData.byteLength}`);
  const b = await createIsotelSandbox({ memoryLimitMb: 32 });
  const second = await b.load(src, { filename: 'w.js', format: 'script', cachedData: warm });
  assert.equal(second.codeCacheHit, true);
  assert.equal(await bodyText(await b.invoke(req('http://fn.test/x'), { invocationId: id() })), '/X!');
  const c = await createIsotelSandbox({ memoryLimitMb: 32 });
  await c.load('export default { fetch() { return new Response("m"); } }', { filename: 'm.js' });
  assert.equal(await c.warmCodeCache!(), undefined, 'no module code cache');
  a.dispose(); b.dispose(); c.dispose();
});
