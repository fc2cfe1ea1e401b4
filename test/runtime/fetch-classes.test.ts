// Fetch: Headers (validation, guards, sort-and-combine, set-cookie), Request and Response constructors,
// Body mixin (used/locked, clone, formData), Blob/File/FormData.
import test from 'node:test';
import { conformance } from './harness.js';

test('Headers, Request, Response, Body, Blob, FormData', () => conformance(String.raw`
  test('Headers: names are validated tokens, values normalized and validated', () => {
    const h = new Headers({ 'X-A': '  v  ' });
    eq(h.get('x-a'), 'v');
    throws(() => h.append('bad name', 'v'), 'TypeError');
    throws(() => h.append('x', 'a\nb'), 'TypeError');
    throws(() => h.append('x', 'a\0b'), 'TypeError');
    throws(() => h.append('x', 'é\u0100'), 'TypeError', 'not a ByteString');
    throws(() => new Headers([['a']]), 'TypeError');
    throws(() => new Headers([['a', 'b', 'c']]), 'TypeError');
    throws(() => new Headers('nope'), 'TypeError');
    eq(new Headers([['a', 'b']]).get('A'), 'b');
  });
  test('Headers: combined values, sorted iteration, set-cookie kept apart', () => {
    const h = new Headers();
    h.append('b', '1'); h.append('a', '2'); h.append('B', '3');
    h.append('Set-Cookie', 'x=1'); h.append('set-cookie', 'y=2');
    eq(h.get('b'), '1, 3');
    eq([...h], [['a', '2'], ['b', '1, 3'], ['set-cookie', 'x=1'], ['set-cookie', 'y=2']]);
    eq(h.getSetCookie(), ['x=1', 'y=2']);
    h.set('b', '9'); eq(h.get('b'), '9');
    h.delete('B'); eq(h.has('b'), false);
    const seen = [];
    for (const [k] of h) { seen.push(k); if (k === 'a') h.append('c', '1'); }
    eq(seen, ['a', 'c', 'set-cookie', 'set-cookie'], 'iteration sees changes');
  });
  test('Headers guards: Response.redirect headers are immutable', () => {
    throws(() => Response.redirect('http://a/').headers.set('x', '1'), 'TypeError');
    throws(() => Response.error().headers.append('x', '1'), 'TypeError');
  });
  test('Request: URL, method and mode rules', () => {
    const r = new Request('http://a.example/x', { method: 'post', headers: { 'X-Y': 'z' }, body: 'hi' });
    eq([r.method, r.url, r.headers.get('x-y'), r.headers.get('content-type')], ['POST', 'http://a.example/x', 'z', 'text/plain;charset=UTF-8']);
    eq(new Request('http://a/', { method: 'patch' }).method, 'patch', 'only the standard six are upper-cased');
    throws(() => new Request('/relative'), 'TypeError');
    throws(() => new Request('http://u:p@a/'), 'TypeError');
    throws(() => new Request('http://a/', { method: 'CONNECT' }), 'TypeError');
    throws(() => new Request('http://a/', { method: 'bad method' }), 'TypeError');
    throws(() => new Request('http://a/', { body: 'x' }), 'TypeError', 'GET with a body');
    throws(() => new Request('http://a/', { method: 'HEAD', body: 'x' }), 'TypeError');
    throws(() => new Request('http://a/', { mode: 'navigate' }), 'TypeError');
    throws(() => new Request('http://a/', { method: 'POST', body: new ReadableStream() }), 'TypeError', 'stream body needs duplex');
    eq(new Request('http://a/', { method: 'POST', body: new ReadableStream(), duplex: 'half' }).method, 'POST');
    throws(() => new Request('http://a/', { cache: 'only-if-cached' }), 'TypeError');
    throws(() => new Request('http://a/', { redirect: 'sometimes' }), 'TypeError');
  });
  test('Request: copying a request moves its body and follows its signal', async () => {
    const ac = new AbortController();
    const a = new Request('http://a/', { method: 'POST', body: 'data', signal: ac.signal });
    const b = new Request(a);
    eq(a.bodyUsed, true);
    eq(await b.text(), 'data');
    throws(() => new Request(a), 'TypeError', 'a used body cannot be copied again');
    ac.abort('why');
    eq(b.signal.aborted, true);
    eq(b.signal.reason, 'why');
  });
  test('Response: status and statusText rules, null-body statuses', () => {
    eq(new Response().status, 200);
    eq(new Response(null, { status: 204 }).body, null);
    throws(() => new Response('x', { status: 204 }), 'TypeError');
    throws(() => new Response('x', { status: 199 }), 'RangeError');
    throws(() => new Response('x', { status: 600 }), 'RangeError');
    throws(() => new Response('x', { statusText: 'bad\n' }), 'TypeError');
    const r = new Response('x', { status: 404, statusText: 'Gone Fishing' });
    eq([r.ok, r.status, r.statusText, r.type, r.url, r.redirected], [false, 404, 'Gone Fishing', 'default', '', false]);
    const e = Response.error();
    eq([e.type, e.status], ['error', 0]);
    const red = Response.redirect('http://a/b', 301);
    eq([red.status, red.headers.get('location')], [301, 'http://a/b']);
    throws(() => Response.redirect('http://a/', 200), 'RangeError');
    const j = Response.json({ a: 1 }, { status: 201 });
    eq([j.status, j.headers.get('content-type')], [201, 'application/json']);
    throws(() => Response.json(undefined), 'TypeError');
  });
  test('Body: consuming twice fails; locked bodies fail; clone tees', async () => {
    const r = new Response('once');
    eq(await r.text(), 'once');
    eq(r.bodyUsed, true);
    await rejects(r.text(), 'TypeError');
    const s = new Response('abc');
    const reader = s.body.getReader();
    await rejects(s.text(), 'TypeError', 'locked');
    reader.releaseLock();
    const c = new Response('twice');
    const d = c.clone();
    eq([await c.text(), await d.text()], ['twice', 'twice']);
    const streamed = new Response(new ReadableStream({ start(ctl) { ctl.enqueue(new Uint8Array([104, 105])); ctl.close(); } }));
    const copy = streamed.clone();
    eq([await streamed.text(), await copy.text()], ['hi', 'hi']);
    throws(() => r.clone(), 'TypeError');
  });
  test('Body: arrayBuffer, bytes, json, blob, content types', async () => {
    eq(new Uint8Array(await new Response(new Uint8Array([1, 2, 3])).arrayBuffer()).join(), '1,2,3');
    eq((await new Response('ab').bytes()).join(), '97,98');
    eq(await new Response('{"a":[1]}').json(), { a: [1] });
    await rejects(new Response('{').json(), 'SyntaxError');
    const b = await new Response('x', { headers: { 'content-type': 'text/x' } }).blob();
    eq([b.size, b.type], [1, 'text/x']);
    eq(new Response(new URLSearchParams('a=1')).headers.get('content-type'), 'application/x-www-form-urlencoded;charset=UTF-8');
    eq(new Response(new Blob(['x'], { type: 'image/png' })).headers.get('content-type'), 'image/png');
  });
  test('Body: a non-Uint8Array chunk in a stream body is a TypeError', async () => {
    await rejects(new Response(new ReadableStream({ start(c) { c.enqueue('str'); c.close(); } })).text(), 'TypeError');
  });
  test('FormData: multipart round trip with files and escaping', async () => {
    const fd = new FormData();
    fd.append('a', 'line1\nline2');
    fd.append('q"uote', 'v');
    fd.append('file', new Blob(['file-bytes'], { type: 'text/plain' }), 'f.txt');
    const r = new Response(fd);
    ok(/^multipart\/form-data; boundary=/.test(r.headers.get('content-type')));
    const back = await r.formData();
    eq(back.get('a'), 'line1\r\nline2');
    eq(back.get('q"uote'), 'v');
    const f = back.get('file');
    ok(f instanceof File);
    eq([f.name, f.type, await f.text()], ['f.txt', 'text/plain', 'file-bytes']);
    const url = await new Response('a=1&b=%20', { headers: { 'content-type': 'application/x-www-form-urlencoded' } }).formData();
    eq([...url], [['a', '1'], ['b', ' ']]);
    await rejects(new Response('x', { headers: { 'content-type': 'text/plain' } }).formData(), 'TypeError');
  });
  test('FormData API', () => {
    const fd = new FormData();
    fd.append('a', '1'); fd.append('a', '2'); fd.set('a', '3'); fd.append('b', new Blob(['x']));
    eq(fd.getAll('a'), ['3']);
    eq(fd.get('b').name, 'blob');
    ok(fd.get('b') instanceof File);
    fd.delete('a');
    eq([...fd.keys()], ['b']);
    throws(() => fd.append('x'), 'TypeError');
  });
  test('Blob and File', async () => {
    const b = new Blob(['ab', new Uint8Array([99]), new Blob(['d'])], { type: 'Text/Plain' });
    eq([b.size, b.type, await b.text()], [4, 'text/plain', 'abcd']);
    eq(await b.slice(1, -1).text(), 'bc');
    eq(await b.slice(-2).text(), 'cd');
    eq(new Blob(['a\r\nb\rc'], { endings: 'native' }).size, 5);
    throws(() => new Blob(['x'], { endings: 'weird' }), 'TypeError');
    let s = '';
    for await (const c of b.stream()) s += new TextDecoder().decode(c);
    eq(s, 'abcd');
    const f = new File(['x'], 'n.txt', { lastModified: 42 });
    eq([f.name, f.lastModified, f.size], ['n.txt', 42, 1]);
    throws(() => new File(['x']), 'TypeError');
    const clone = structuredClone(f);
    eq([clone.name, await clone.text()], ['n.txt', 'x']);
  });
  test('fetch: data: URLs are answered in the isolate', async () => {
    const a = await fetch('data:,Hello%2C%20World!');
    eq([a.status, a.headers.get('content-type'), await a.text(), a.url], [200, 'text/plain;charset=US-ASCII', 'Hello, World!', 'data:,Hello%2C%20World!']);
    const b = await fetch('data:application/json;base64,eyJhIjoxfQ==');
    eq([b.headers.get('content-type'), await b.json()], ['application/json', { a: 1 }]);
    eq(await (await fetch('data:;charset=utf-8,%E2%82%AC')).text(), '€');
    await rejects(fetch('data:text/plain;base64,a'), 'TypeError');
    await rejects(fetch('data:nocomma'), 'TypeError');
  });
  test('fetch: relative URLs and bad input reject with TypeError', async () => {
    await rejects(fetch('/x'), 'TypeError');
    await rejects(fetch('http://a/', { method: 'GET', body: 'x' }), 'TypeError');
    await rejects(fetch(), 'TypeError');
    const ac = new AbortController();
    ac.abort(new RangeError('stop'));
    await rejects(fetch('http://a/', { signal: ac.signal }), 'RangeError');
  });
`));
