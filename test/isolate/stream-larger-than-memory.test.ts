// Hazard: bodies larger than the isolate's memory limit. Streaming in and out must work
// chunk by chunk (pull-based), never buffering the whole body in the isolate.
import assert from 'node:assert/strict';
import test from 'node:test';
import { id, loaded, req } from './helpers.js';

const MIB = 1024 * 1024;

test('a 64 MiB request body streams through a 16 MiB isolate', async () => {
  const { sandbox } = await loaded(`export default { async fetch(request) {
    let n = 0, sum = 0;
    for await (const chunk of request.body) { n += chunk.byteLength; sum = (sum + chunk[0]) % 65536; }
    return Response.json({ n, sum });
  } }`, { memoryLimitMb: 16 });
  const chunk = new Uint8Array(MIB).fill(3);
  async function* body() { for (let i = 0; i < 64; i++) yield chunk; }
  const r = await sandbox.invoke(req('http://fn.test/', { method: 'POST', body: body() }), { invocationId: id() });
  assert.deepEqual(JSON.parse(new TextDecoder().decode(r.body as Uint8Array)), { n: 64 * MIB, sum: (64 * 3) % 65536 });
  sandbox.dispose();
});

test('a 64 MiB ReadableStream response from a 16 MiB isolate arrives chunk by chunk, pulled', async () => {
  const { sandbox } = await loaded(`
    let produced = 0;
    export default { fetch(request) {
      if (request.url.endsWith('/count')) return new Response(String(produced));
      const chunk = new Uint8Array(1024 * 1024).fill(7);
      let i = 0;
      return new Response(new ReadableStream({ pull(c) { if (i++ === 64) { c.close(); return; } produced++; c.enqueue(chunk.slice()); } }, { highWaterMark: 0 }));
    } }`, { memoryLimitMb: 16 });
  const r = await sandbox.invoke(req(), { invocationId: id() });
  assert.equal(r.status, 200);
  assert.ok(!(r.body instanceof Uint8Array) && r.body !== null, 'a stream body crosses as an async iterable');
  let total = 0;
  let first = true;
  for await (const c of r.body as AsyncIterable<Uint8Array>) {
    if (first) {
      first = false;
      // backpressure: the isolate produced no more than what was pulled (one chunk, plus none read ahead)
      const count = await sandbox.invoke(req('http://fn.test/count'), { invocationId: id() });
      assert.ok(Number(new TextDecoder().decode(count.body as Uint8Array)) <= 2);
    }
    assert.equal(c[0], 7);
    total += c.byteLength;
  }
  assert.equal(total, 64 * MIB);
  sandbox.dispose();
});

test('a consumer that stops reading cancels the stream inside the isolate', async () => {
  const { sandbox, logs } = await loaded(`export default { fetch() {
    return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(10)); }, cancel(reason) { console.log('cancelled: ' + reason); } }));
  } }`);
  const r = await sandbox.invoke(req(), { invocationId: id() });
  for await (const _ of r.body as AsyncIterable<Uint8Array>) break;
  await new Promise((ok) => setTimeout(ok, 30));
  assert.deepEqual(logs.map((l) => l.message), ['cancelled: the consumer stopped reading']);
  sandbox.dispose();
});

test('a stream that errors mid-way fails the host iterator with the error', async () => {
  const { sandbox } = await loaded(`export default { fetch() {
    let i = 0;
    return new Response(new ReadableStream({ pull(c) { if (i++ < 2) c.enqueue(new Uint8Array(4)); else c.error(new RangeError('disk on fire')); } }));
  } }`);
  const r = await sandbox.invoke(req(), { invocationId: id() });
  await assert.rejects(async () => { for await (const _ of r.body as AsyncIterable<Uint8Array>) { /* drain */ } }, /disk on fire/);
  sandbox.dispose();
});

test('a request body piped straight into the response streams 64 MiB through a 16 MiB isolate, after the handler returned', async () => {
  const { sandbox } = await loaded(`export default { fetch(request) { return new Response(request.body.pipeThrough(new TransformStream())); } }`, { memoryLimitMb: 16 });
  const chunk = new Uint8Array(MIB).fill(9);
  async function* body() { for (let i = 0; i < 64; i++) yield chunk; }
  const r = await sandbox.invoke(req('http://fn.test/', { method: 'POST', body: body() }), { invocationId: id() });
  await r.waitUntil; // 'done' comes before the body has streamed: the body must keep flowing after it
  let total = 0;
  for await (const c of r.body as AsyncIterable<Uint8Array>) total += c.byteLength;
  assert.equal(total, 64 * MIB);
  sandbox.dispose();
});
