// WHATWG URL: parser states, hosts (IPv4/IPv6/IDNA/opaque), percent-encode sets, setters, URLSearchParams.
import test from 'node:test';
import { conformance } from './harness.js';

test('URL parsing and serialization', () => conformance(String.raw`
  const cases = [
    ['http://example.com/', null, 'http://example.com/'],
    ['HTTP://EXAMPLE.COM:80/a/./b/../c', null, 'http://example.com/a/c'],
    ['https://example.com:443', null, 'https://example.com/'],
    ['http://example.com:8080?#', null, 'http://example.com:8080/?#'],
    ['  http://a.b/\tc\nd  ', null, 'http://a.b/cd'],
    ['http://user:pass@host/', null, 'http://user:pass@host/'],
    ['http://@host/', null, 'http://host/'],
    ['http://a:b@c:d@host/', null, 'http://a:b%40c%3Ad@host/'],
    ['http://0x7F.1/', null, 'http://127.0.0.1/'],
    ['http://4294967295/', null, 'http://255.255.255.255/'],
    ['http://192.168.0.257/', null, null],
    ['http://1.2.3.4.5/', null, null],
    ['http://[2001:db8:0:0:0:0:0:1]/', null, 'http://[2001:db8::1]/'],
    ['http://[::ffff:192.168.0.1]/', null, 'http://[::ffff:c0a8:1]/'],
    ['http://[0:0:0:0:0:0:0:0]/', null, 'http://[::]/'],
    ['http://[1:0:0:2::3:0]/', null, 'http://[1::2:0:0:3:0]/'],
    ['http://[::1/', null, null],
    ['http://[:1]/', null, null],
    ['http://exa mple.com/', null, null],
    ['http://ex%41mple.com/', null, 'http://example.com/'],
    ['http://münchen.de/', null, 'http://xn--mnchen-3ya.de/'],
    ['http://EXAMPLE。com/', null, 'http://example.com/'],
    ['http://xn--/', null, null],
    ['http://a/b c"<>\`{}|^', null, 'http://a/b%20c%22%3C%3E%60%7B%7D|%5E'],
    ["http://a/?b c'\"<>", null, "http://a/?b%20c%27%22%3C%3E"],
    ["foo://a/?b c'", null, "foo://a/?b%20c'"],
    ['http://a/#b c"<>\`', null, 'http://a/#b%20c%22%3C%3E%60'],
    ['http://a/€', null, 'http://a/%E2%82%AC'],
    ['http://a/\uD800', null, 'http://a/%EF%BF%BD'],
    ['../g', 'http://a/b/c/d;p?q', 'http://a/b/g'],
    ['?y', 'http://a/b/c/d;p?q', 'http://a/b/c/d;p?y'],
    ['//g', 'http://a/b/c/d;p?q', 'http://g/'],
    ['#s', 'http://a/b/c/d;p?q', 'http://a/b/c/d;p?q#s'],
    ['../../../../g', 'http://a/b/c/d;p?q', 'http://a/g'],
    ['/./g/%2e/%2E%2e/x', 'http://a/', 'http://a/x'],
    ['/a/%2e%2E/b/.', 'http://h/', 'http://h/b/'],
    ['\\\\x\\y', 'http://a/', 'http://x/y'],
    ['file:///C|/foo', null, 'file:///C:/foo'],
    ['file://localhost/x', null, 'file:///x'],
    ['file:/x/../../y', null, 'file:///y'],
    ['..', 'file:///C:/', 'file:///C:/'],
    ['mailto:a@b.c', null, 'mailto:a@b.c'],
    ['javascript:alert( 1 )', null, 'javascript:alert( 1 )'],
    ['sc://ñ/x', null, 'sc://%C3%B1/x'],
    ['sc://a b/', null, null],
    ['non-spec:/.//p', null, 'non-spec:/.//p'],
    ['data:text/plain,a b', null, 'data:text/plain,a b'],
    ['http:/example.com/', null, 'http://example.com/'],
    ['http:example.com', 'http://base/x', 'http://base/example.com'],
    ['http://example.com:65536/', null, null],
    ['http://example.com:0x50/', null, null],
    ['', null, null],
    ['foo', null, null],
    ['blob:https://a.example/uuid', null, 'blob:https://a.example/uuid'],
    // the fast path for simple http(s) URLs must agree with the full parser at its edges
    ["HTTPS://Example.COM:0443/p?x='y#z", null, 'https://example.com/p?x=%27y#z'],
    ['http://a.example:8080/p/q?a=1&b=2#f', null, 'http://a.example:8080/p/q?a=1&b=2#f'],
    ['http://127.0.0.1:8787/hello/x', null, 'http://127.0.0.1:8787/hello/x'],
    ['http://127.0.0.01/', null, 'http://127.0.0.1/'],
    ['http://example.com/%2e/x', null, 'http://example.com/x'],
    ['http://example.com/a\`b|c', null, 'http://example.com/a%60b|c'],
    ['http://a.b/?q=\`^{}', null, 'http://a.b/?q=\`^{}'],
    ['http://a.b/#\`', null, 'http://a.b/#%60'],
    ['http://foo.0x10/', null, null],
    ['http://foo.09/', null, null],
    ['http://example.com./', null, 'http://example.com./'],
    ['http://xn--mnchen-3ya.de/', null, 'http://xn--mnchen-3ya.de/'],
    ['http://example.com:65535/', null, 'http://example.com:65535/'],
  ];
  for (const [input, base, expected] of cases) test('parse ' + JSON.stringify(input) + (base ? ' against ' + base : ''), () => {
    if (expected === null) { throws(() => base ? new URL(input, base) : new URL(input), 'TypeError'); eq(URL.canParse(input, base ?? undefined), false); eq(URL.parse(input, base ?? undefined), null); }
    else { eq((base ? new URL(input, base) : new URL(input)).href, expected); eq(URL.canParse(input, base ?? undefined), true); }
  });
  test('components and origin', () => {
    const u = new URL('https://u:p@h.example:8443/p/a?q=1#f');
    eq([u.protocol, u.username, u.password, u.host, u.hostname, u.port, u.pathname, u.search, u.hash, u.origin],
      ['https:', 'u', 'p', 'h.example:8443', 'h.example', '8443', '/p/a', '?q=1', '#f', 'https://h.example:8443']);
    eq(new URL('blob:https://a.example:1/x').origin, 'https://a.example:1');
    eq(new URL('file:///x').origin, 'null');
    eq(new URL('foo://x').origin, 'null');
    eq(JSON.stringify({ u: new URL('http://a/') }), '{"u":"http://a/"}');
  });
  test('setters follow state overrides', () => {
    const u = new URL('http://a.example/p?q#f');
    u.protocol = 'https'; eq(u.href, 'https://a.example/p?q#f');
    u.protocol = 'foo'; eq(u.protocol, 'https:', 'special to non-special is refused');
    u.port = '443'; eq(u.port, '', 'default port is null');
    u.port = '8080x'; eq(u.port, '8080');
    u.host = 'b.example:81'; eq(u.host, 'b.example:81');
    u.hostname = 'c.example'; eq(u.host, 'c.example:81');
    u.username = 'me@x'; eq(u.username, 'me%40x');
    u.pathname = 'a b/../c'; eq(u.pathname, '/c');
    u.search = '?x= y'; eq(u.search, '?x=%20y'); eq(u.searchParams.get('x'), ' y');
    u.hash = 'h h'; eq(u.hash, '#h%20h');
    u.hash = ''; eq(u.href, 'https://me%40x@c.example:81/c?x=%20y');
    u.href = 'http://z/'; eq(u.searchParams.size, 0);
    throws(() => { u.href = 'nope'; }, 'TypeError');
  });
  test('opaque paths: a space before ? or # is encoded, so removing them keeps the path', () => {
    const u = new URL('data:space    ?query#frag');
    eq(u.pathname, 'space   %20');
    u.hash = '';
    u.search = '';
    eq(u.href, 'data:space   %20');
  });
  test('URLSearchParams: parsing, serialization, mutation and URL sync', () => {
    const p = new URLSearchParams('?a=1&b=2+3&c=%20&d&=e&a=4&%zz=%F0%9F%92%A9');
    eq([...p], [['a', '1'], ['b', '2 3'], ['c', ' '], ['d', ''], ['', 'e'], ['a', '4'], ['%zz', '💩']]);
    eq(p.getAll('a'), ['1', '4']);
    ok(p.has('a', '4')); ok(!p.has('a', '5'));
    p.delete('a', '1'); eq(p.getAll('a'), ['4']);
    p.set('b', 'x'); p.append('z', '~!*()\'');
    eq(p.toString(), 'b=x&c=+&d=&=e&a=4&%25zz=%F0%9F%92%A9&z=%7E%21*%28%29%27');
    const q = new URLSearchParams([['z', '1'], ['a', '2'], ['z', '0'], ['\uD83D\uDCA9', 'x'], ['\uFFFD', 'y']]);
    q.sort(); eq([...q.keys()], ['a', 'z', 'z', '💩', '\uFFFD'], 'UTF-16 code unit order');
    eq(new URLSearchParams({ a: 'b', c: 'd' }).toString(), 'a=b&c=d');
    eq([...new URLSearchParams({ '\uD835x': '1', xx: '2', '\uD83Dx': '3' })], [['\uFFFDx', '3'], ['xx', '2']], 'record keys converting to the same USVString merge');
    const custom = new URLSearchParams('z=1');
    custom[Symbol.iterator] = function* () { yield ['a', 'b']; };
    eq(new URLSearchParams(custom).toString(), 'a=b', 'a URLSearchParams init is iterated like any sequence');
    eq(new URLSearchParams(DOMException).get('ABORT_ERR'), '20');
    throws(() => new URLSearchParams(DOMException.prototype), 'TypeError');
    throws(() => new URLSearchParams([['a']]), 'TypeError');
    const u = new URL('http://h/?x=1');
    u.searchParams.append('y', 'a b');
    eq(u.href, 'http://h/?x=1&y=a+b');
    u.searchParams.delete('x'); u.searchParams.delete('y');
    eq(u.href, 'http://h/');
  });
`));
