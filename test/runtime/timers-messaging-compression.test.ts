// Timers and microtasks ordering, MessageChannel, Compression streams, performance, reportError.
import test from 'node:test';
import { conformance } from './harness.js';

test('timers, microtasks, messaging, compression, performance', () => conformance(String.raw`
  test('timers fire in deadline order; clearTimeout/clearInterval cancel; args are passed', async () => {
    const log = [];
    setTimeout((x) => log.push('b' + x), 20, 1);
    setTimeout(() => log.push('a'), 5);
    const c = setTimeout(() => log.push('never'), 10);
    clearTimeout(c);
    let n = 0;
    const iv = setInterval(() => { if (++n === 3) clearInterval(iv); }, 1);
    Promise.resolve().then(() => log.push('micro'));
    queueMicrotask(() => log.push('qm'));
    await new Promise((r) => setTimeout(r, 40));
    eq(log, ['micro', 'qm', 'a', 'b1']);
    eq(n, 3);
    ok(typeof c === 'number' && c > 0);
    clearTimeout(undefined); clearTimeout(123456);
  });
  test('a string handler runs as a script in the global scope', async () => {
    globalThis.__fromString = 0;
    setTimeout('globalThis.__fromString += 1; var __declared = 2;', 0);
    await new Promise((r) => setTimeout(r, 5));
    eq(globalThis.__fromString, 1);
    eq(globalThis.__declared, 2);
  });
  test('queueMicrotask validates; exceptions in microtasks are reported', async () => {
    throws(() => queueMicrotask(1), 'TypeError');
    const got = [];
    const h = (e) => { got.push(e.error.message); e.preventDefault(); };
    addEventListener('error', h);
    queueMicrotask(() => { throw new Error('in microtask'); });
    reportError(new Error('reported'));
    await new Promise((r) => setTimeout(r, 1));
    removeEventListener('error', h);
    eq(got, ['reported', 'in microtask']);
  });
  test('performance.now is monotonic and sub-millisecond', async () => {
    const a = performance.now();
    await new Promise((r) => setTimeout(r, 5));
    const b = performance.now();
    ok(b - a >= 4, 'at least the timer delay');
    ok(performance.timeOrigin > 1.6e12);
    eq(JSON.stringify(performance.toJSON()), JSON.stringify({ timeOrigin: performance.timeOrigin }));
  });
  test('MessageChannel: structured clone, order, start semantics, close', async () => {
    const { port1, port2 } = new MessageChannel();
    const got = [];
    port2.addEventListener('message', (e) => got.push(e.data));
    port1.postMessage({ a: 1 });
    port1.postMessage([2]);
    await new Promise((r) => setTimeout(r, 5));
    eq(got, [], 'queued until start()');
    port2.start();
    await new Promise((r) => setTimeout(r, 5));
    eq(got, [{ a: 1 }, [2]]);
    const obj = { x: 1 };
    port1.postMessage(obj);
    obj.x = 2;
    await new Promise((r) => setTimeout(r, 5));
    eq(got[2], { x: 1 }, 'cloned at post time');
    throws(() => port1.postMessage(() => {}), 'DataCloneError');
    port1.close();
    port1.postMessage('after close');
    await new Promise((r) => setTimeout(r, 5));
    eq(got.length, 3);
  });
  test('Compression streams round-trip each format; corrupt input is a TypeError', async () => {
    const data = new TextEncoder().encode('isotel '.repeat(1000));
    for (const format of ['gzip', 'deflate', 'deflate-raw']) {
      const compressed = new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(new CompressionStream(format))).arrayBuffer());
      ok(compressed.length < data.length / 10, format + ' compresses');
      if (format === 'gzip') eq([compressed[0], compressed[1]], [0x1f, 0x8b]);
      const back = new Uint8Array(await new Response(new Blob([compressed]).stream().pipeThrough(new DecompressionStream(format))).arrayBuffer());
      eq(back.length, data.length);
    }
    throws(() => new CompressionStream('brotli'), 'TypeError');
    await rejects(new Response(new Blob([new Uint8Array([1, 2, 3, 4])]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer(), 'TypeError');
    const truncated = new Uint8Array(await new Response(new Blob([data]).stream().pipeThrough(new CompressionStream('gzip'))).arrayBuffer()).slice(0, 20);
    await rejects(new Response(new Blob([truncated]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer(), 'TypeError');
  });
  test('URLPattern matches and extracts groups', () => {
    const p = new URLPattern({ pathname: '/books/:id(\\d+)' });
    eq(p.exec({ pathname: '/books/12' }).pathname.groups, { id: '12' });
    eq(p.test('https://example.com/books/x'), false);
    eq(new URLPattern('https://*.example.com/*').test('https://a.example.com/x'), true);
  });
  test('WebAssembly: validate, compile, instantiate; instantiateStreaming checks the content type', async () => {
    const bytes = new Uint8Array([0,97,115,109,1,0,0,0,1,7,1,96,2,127,127,1,127,3,2,1,0,7,7,1,3,97,100,100,0,0,10,9,1,7,0,32,0,32,1,106,11]);
    ok(WebAssembly.validate(bytes));
    const { instance } = await WebAssembly.instantiate(bytes);
    eq(instance.exports.add(40, 2), 42);
    await rejects(WebAssembly.instantiateStreaming(new Response(bytes)), 'TypeError');
    const m = await WebAssembly.compileStreaming(Promise.resolve(new Response(bytes, { headers: { 'content-type': 'application/wasm' } })));
    ok(m instanceof WebAssembly.Module);
  });
`));
