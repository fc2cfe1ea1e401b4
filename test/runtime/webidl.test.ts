// DOMException, atob/btoa (forgiving-base64), structuredClone.
import test from 'node:test';
import { conformance } from './harness.js';

test('DOMException, base64, structuredClone', () => conformance(String.raw`
  test('DOMException: name, message, legacy code, prototype chain, accessors', () => {
    const e = new DOMException('msg', 'NotFoundError');
    eq([e.name, e.message, e.code], ['NotFoundError', 'msg', 8]);
    eq([new DOMException().name, new DOMException().message, new DOMException('x', 'Custom').code], ['Error', '', 0]);
    ok(e instanceof Error);
    eq(Object.getPrototypeOf(DOMException.prototype), Error.prototype);
    ok(!Object.hasOwn(e, 'message') && !Object.hasOwn(e, 'name'));
    eq([DOMException.ABORT_ERR, e.DATA_CLONE_ERR], [20, 25]);
    eq(Object.prototype.toString.call(e), '[object DOMException]');
    ok(typeof e.stack === 'string');
    throws(() => DOMException('x'), 'TypeError');
  });
  test('btoa / atob', () => {
    eq(btoa(''), '');
    eq(btoa('\xff\xfe'), '//4=');
    throws(() => btoa('€'), 'InvalidCharacterError');
    eq(atob(' aGVs bG8=\n'), 'hello');
    eq(atob('aGVsbG8'), 'hello', 'padding is optional');
    throws(() => atob('a'), 'InvalidCharacterError');
    throws(() => atob('aGVsbG8=='), 'InvalidCharacterError');
    throws(() => atob('a*=='), 'InvalidCharacterError');
    eq(atob(undefined === undefined ? 'dW5kZWZpbmVk' : ''), 'undefined');
    eq(atob(null), '\x9e\xe9e', 'null is the string "null"');
    throws(() => atob(), 'TypeError');
  });
  test('structuredClone: graph shape, types, and errors', () => {
    const a = { n: 1 };
    const src = { a, again: a, list: [1, , 3], d: new Date(5), re: /x/gi, m: new Map([[a, new Set([1])]]), big: 10n, s: new String('s'), u8: new Uint8Array([1, 2]) };
    src.self = src;
    const c = structuredClone(src);
    ok(c !== src && c.a !== a);
    ok(c.a === c.again, 'shared references stay shared');
    ok(c.self === c, 'cycles survive');
    eq(c.list.length, 3); ok(!(1 in c.list), 'holes survive');
    eq([c.d.getTime(), c.re.flags, c.s.valueOf(), c.u8[1]], [5, 'gi', 's', 2]);
    eq(c.big, 10n);
    ok(c.m.get(c.a).has(1));
    const e = structuredClone(new RangeError('r', { cause: 'c' }));
    ok(e instanceof RangeError); eq([e.message, e.cause], ['r', 'c']);
    class K { constructor() { this.x = 1; } }
    const k = structuredClone(new K());
    eq([Object.getPrototypeOf(k) === Object.prototype, k.x], [true, 1]);
    for (const bad of [() => {}, Symbol('s'), new WeakMap(), Promise.resolve(), new ReadableStream()]) throws(() => structuredClone(bad), 'DataCloneError');
    const u = new Uint8Array([1, 2, 3]);
    const v = structuredClone(u.subarray(1));
    eq([v.length, v[0], v.byteOffset, v.buffer.byteLength], [2, 2, 1, 3]);
    throws(() => structuredClone(1, { transfer: [{}] }), 'DataCloneError');
  });
`));
