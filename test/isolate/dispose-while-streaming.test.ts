// Hazard: the sandbox is disposed (limit, eviction, shutdown) while bodies are streaming in
// both directions. Nothing may hang: readers fail with a classified error, the request body's
// producer is released.
import assert from 'node:assert/strict';
import test from 'node:test';
import { IsotelError } from '../../common/errors.js';
import { id, loaded, req } from './helpers.js';

test('a response stream being read fails with SANDBOX_DISPOSED when the sandbox goes away', async () => {
  const { sandbox } = await loaded(`export default { fetch() {
    return new Response(new ReadableStream({ async pull(c) { await new Promise((r) => setTimeout(r, 5)); c.enqueue(new Uint8Array(1024)); } }));
  } }`);
  const r = await sandbox.invoke(req(), { invocationId: id() });
  const it = (r.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  assert.equal((await it.next()).done, false);
  const pending = it.next();
  sandbox.dispose();
  await assert.rejects(pending, (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_SANDBOX_DISPOSED');
  await r.waitUntil; // the invocation itself had finished (no waitUntil work): only the body was still flowing
});

test('a request body being streamed in is released (return() called) when the sandbox goes away', async () => {
  const { sandbox } = await loaded(`export default { async fetch(request) { for await (const _ of request.body) {} return new Response('read all'); } }`);
  let released = false;
  let produced = 0;
  const body: AsyncIterable<Uint8Array> = {
    [Symbol.asyncIterator]: () => ({
      next: async () => { produced++; await new Promise((r) => setTimeout(r, 5)); return { done: false, value: new Uint8Array(16) }; },
      return: async () => { released = true; return { done: true, value: undefined }; },
    }),
  };
  const p = sandbox.invoke(req('http://fn.test/', { method: 'POST', body }), { invocationId: id() });
  await new Promise((r) => setTimeout(r, 40));
  assert.ok(produced > 1, 'the isolate was pulling the body');
  sandbox.dispose();
  await assert.rejects(p, (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_SANDBOX_DISPOSED');
  assert.equal(released, true);
  const after = produced;
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(produced <= after + 1, 'nothing pulls the body after dispose');
});

test('the host stopping to read a request body early (client gone) aborts the invocation cleanly', async () => {
  const { sandbox, logs } = await loaded(`export default { async fetch(request) {
    request.signal.addEventListener('abort', () => console.log('request aborted'));
    try { for await (const _ of request.body) {} } catch (e) { console.log('body failed: ' + e.name); }
    return new Response('late');
  } }`);
  const ac = new AbortController();
  async function* body() { yield new Uint8Array(8); await new Promise((r) => setTimeout(r, 1000)); yield new Uint8Array(8); }
  const p = sandbox.invoke(req('http://fn.test/', { method: 'POST', body: body() }), { invocationId: id(), signal: ac.signal });
  await new Promise((r) => setTimeout(r, 30));
  ac.abort(new Error('client closed'));
  await assert.rejects(p, (e: unknown) => e instanceof IsotelError && e.code === 'ISOTEL_ERR_INVOKE_ABORTED');
  await new Promise((r) => setTimeout(r, 30));
  assert.ok(logs.some((l) => l.message === 'request aborted'), logs.map((l) => l.message).join(' | '));
  sandbox.dispose();
});
