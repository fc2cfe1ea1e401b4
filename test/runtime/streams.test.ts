// Streams: backpressure, errors, cancel, tee, pipes, BYOB, transforms, strategies.
import test from 'node:test';
import { conformance } from './harness.js';

test('Streams', () => conformance(String.raw`
  test('pull is called only while the queue is below the high-water mark (backpressure)', async () => {
    let pulls = 0;
    const rs = new ReadableStream({ pull(c) { pulls++; c.enqueue(pulls); } }, new CountQueuingStrategy({ highWaterMark: 3 }));
    await new Promise((r) => setTimeout(r, 10));
    eq(pulls, 3, 'fills to the high-water mark and stops');
    const reader = rs.getReader();
    eq((await reader.read()).value, 1);
    await new Promise((r) => setTimeout(r, 10));
    eq(pulls, 4);
    reader.releaseLock();
  });
  test('desiredSize and ready on a writable reflect backpressure', async () => {
    const written = [];
    let release;
    const ws = new WritableStream({ write(chunk) { written.push(chunk); return new Promise((r) => { release = r; }); } }, new ByteLengthQueuingStrategy({ highWaterMark: 4 }));
    const w = ws.getWriter();
    eq(w.desiredSize, 4);
    w.write(new Uint8Array(3));
    w.write(new Uint8Array(3));
    eq(w.desiredSize, -2);
    await new Promise((r) => setTimeout(r, 5));
    release();
    await new Promise((r) => setTimeout(r, 5));
    release();
    await w.ready;
    eq(written.length, 2);
  });
  test('an error in the source errors the stream and rejects reads', async () => {
    const rs = new ReadableStream({ start(c) { c.enqueue(1); c.error(new TypeError('bad')); } });
    const r = rs.getReader();
    await rejects(r.read(), 'TypeError');
    await rejects(r.closed, 'TypeError');
  });
  test('cancel reaches the source with the reason', async () => {
    let reason;
    const rs = new ReadableStream({ cancel(r) { reason = r; } });
    await rs.cancel('enough');
    eq(reason, 'enough');
    const locked = new ReadableStream();
    locked.getReader();
    await rejects(locked.cancel(), 'TypeError');
    throws(() => locked.getReader(), 'TypeError');
  });
  test('tee gives both branches every chunk', async () => {
    const [a, b] = new ReadableStream({ start(c) { c.enqueue('x'); c.enqueue('y'); c.close(); } }).tee();
    const all = async (s) => { const out = []; for await (const v of s) out.push(v); return out; };
    eq(await Promise.all([all(a), all(b)]), [['x', 'y'], ['x', 'y']]);
  });
  test('pipeThrough a TransformStream; pipeTo propagates errors and aborts', async () => {
    const upper = new TransformStream({ transform(chunk, c) { c.enqueue(chunk.toUpperCase()); } });
    const out = [];
    await ReadableStream.from(['a', 'b']).pipeThrough(upper).pipeTo(new WritableStream({ write(c) { out.push(c); } }));
    eq(out, ['A', 'B']);
    let aborted;
    const failing = new ReadableStream({ pull(c) { c.error(new RangeError('src')); } });
    await rejects(failing.pipeTo(new WritableStream({ abort(r) { aborted = r; } })), 'RangeError');
    eq(aborted.name, 'RangeError');
    const ac = new AbortController();
    const p = new ReadableStream({ pull() { return new Promise(() => {}); } }).pipeTo(new WritableStream(), { signal: ac.signal });
    ac.abort();
    await rejects(p, 'AbortError');
  });
  test('byte streams: BYOB reader fills the given view', async () => {
    const rs = new ReadableStream({ type: 'bytes', pull(c) { const v = c.byobRequest.view; v[0] = 7; v[1] = 8; c.byobRequest.respond(2); c.close(); } });
    const reader = rs.getReader({ mode: 'byob' });
    ok(reader instanceof ReadableStreamBYOBReader);
    const { value } = await reader.read(new Uint8Array(4));
    eq([value.length, value[0], value[1]], [2, 7, 8]);
  });
  test('TransformStream flush and terminate; controller types', async () => {
    let ctl;
    const ts = new TransformStream({ start(c) { ctl = c; }, flush(c) { c.enqueue('end'); } });
    ok(ctl instanceof TransformStreamDefaultController);
    const w = ts.writable.getWriter();
    ok(w instanceof WritableStreamDefaultWriter);
    w.write('a'); w.close();
    const out = [];
    for await (const v of ts.readable) out.push(v);
    eq(out, ['a', 'end']);
  });
  test('ReadableStream.from and async iteration with early exit cancels', async () => {
    let cancelled = false;
    const rs = new ReadableStream({ pull(c) { c.enqueue(1); }, cancel() { cancelled = true; } });
    for await (const v of rs) break;
    eq(cancelled, true);
    const out = [];
    for await (const v of ReadableStream.from((async function* () { yield 1; yield 2; })())) out.push(v);
    eq(out, [1, 2]);
  });
  test('queuing strategies validate', () => {
    throws(() => new CountQueuingStrategy(), 'TypeError');
    eq(new ByteLengthQueuingStrategy({ highWaterMark: 8 }).size(new Uint8Array(3)), 3);
    throws(() => new ReadableStream({}, { highWaterMark: -1 }), 'RangeError');
  });
`));
