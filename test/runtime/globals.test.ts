// ECMA-429 (Minimum Common Web API): every interface and global it lists exists in an isolate.
import test from 'node:test';
import { conformance } from './harness.js';

const INTERFACES = [
  'AbortController', 'AbortSignal', 'Event', 'EventTarget', 'CustomEvent', 'ErrorEvent', 'MessageChannel', 'MessageEvent', 'MessagePort',
  'PromiseRejectionEvent', 'DOMException', 'Headers', 'Request', 'Response', 'FormData', 'Blob', 'File', 'CompressionStream',
  'DecompressionStream', 'ByteLengthQueuingStrategy', 'CountQueuingStrategy', 'ReadableByteStreamController', 'ReadableStream',
  'ReadableStreamBYOBReader', 'ReadableStreamBYOBRequest', 'ReadableStreamDefaultController', 'ReadableStreamDefaultReader',
  'TransformStream', 'TransformStreamDefaultController', 'WritableStream', 'WritableStreamDefaultController', 'WritableStreamDefaultWriter',
  'TextDecoder', 'TextDecoderStream', 'TextEncoder', 'TextEncoderStream', 'URL', 'URLSearchParams', 'URLPattern', 'Crypto', 'CryptoKey',
  'SubtleCrypto', 'Performance',
];
const FUNCTIONS = ['atob', 'btoa', 'clearTimeout', 'clearInterval', 'queueMicrotask', 'reportError', 'setTimeout', 'setInterval', 'structuredClone', 'fetch'];
const WASM = ['Global', 'Instance', 'Memory', 'Module', 'Table', 'Tag', 'Exception', 'CompileError', 'LinkError', 'RuntimeError', 'compile', 'compileStreaming', 'instantiate', 'instantiateStreaming', 'validate'];

test('every ECMA-429 interface, function and object is on globalThis', () => conformance(`
  for (const name of ${JSON.stringify(INTERFACES)}) test('interface ' + name, () => {
    eq(typeof globalThis[name], 'function');
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    ok(d && d.writable && d.configurable && !d.enumerable, 'exposed like a WebIDL interface');
    eq(globalThis[name].name, name);
  });
  for (const name of ${JSON.stringify(FUNCTIONS)}) test('function ' + name, () => eq(typeof globalThis[name], 'function'));
  for (const name of ${JSON.stringify(WASM)}) test('WebAssembly.' + name, () => eq(typeof WebAssembly[name], 'function'));
  test('objects', () => {
    eq(typeof console.log, 'function');
    ok(crypto instanceof Crypto);
    ok(crypto.subtle instanceof SubtleCrypto);
    ok(performance instanceof Performance);
    eq(typeof performance.now(), 'number');
    eq(typeof performance.timeOrigin, 'number');
    eq(self, globalThis);
    eq(globalThis.globalThis, globalThis);
  });
  test('navigator.userAgent is an RFC 7231 product token', () => ok(/^[!#$%&'*+.^_\`|~0-9A-Za-z-]+(\\/[!#$%&'*+.^_\`|~0-9A-Za-z-]+)?$/.test(navigator.userAgent)));
  test('the global is an EventTarget with onerror/onunhandledrejection/onrejectionhandled', () => {
    ok(globalThis instanceof EventTarget);
    for (const n of ['onerror', 'onunhandledrejection', 'onrejectionhandled']) ok(n in globalThis, n);
    let got = 0;
    addEventListener('x', () => got++);
    dispatchEvent(new Event('x'));
    eq(got, 1);
  });
  test('illegal constructors', () => {
    throws(() => new AbortSignal(), 'TypeError');
    throws(() => new CryptoKey(), 'TypeError');
    throws(() => new SubtleCrypto(), 'TypeError');
    throws(() => new MessagePort(), 'TypeError');
  });
`));

test('WebIDL shapes: enumerable members, @@toStringTag data properties, iterator prototypes', () => conformance(`
  for (const [name, members] of [['Headers', ['append', 'get', 'entries']], ['Request', ['url', 'method', 'clone', 'text']], ['Response', ['status', 'json']], ['URL', ['href', 'toJSON']], ['URLSearchParams', ['append', 'size']], ['EventTarget', ['addEventListener']], ['AbortSignal', ['aborted']], ['Blob', ['size', 'slice']], ['TextDecoder', ['decode', 'encoding']], ['SubtleCrypto', ['digest']]]) test(name + ' members are enumerable', () => {
    for (const m of members) ok(Object.getOwnPropertyDescriptor(globalThis[name].prototype, m)?.enumerable, name + '.' + m);
    const tag = Object.getOwnPropertyDescriptor(globalThis[name].prototype, Symbol.toStringTag);
    eq([tag.value, tag.writable, tag.enumerable, tag.configurable], [name, false, false, true]);
  });
  test('static operations are enumerable', () => { ok(Object.getOwnPropertyDescriptor(Response, 'json').enumerable); ok(Object.getOwnPropertyDescriptor(AbortSignal, 'any').enumerable); });
  test('pair iterators: next is enumerable and the prototype chain reaches %IteratorPrototype%', () => {
    const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
    for (const it of [new Headers().keys(), new URLSearchParams().entries()]) {
      const proto = Object.getPrototypeOf(it);
      eq(Object.getPrototypeOf(proto), iteratorPrototype);
      const d = Object.getOwnPropertyDescriptor(proto, 'next');
      ok(d.enumerable && d.writable && d.configurable);
    }
    eq(Object.prototype.toString.call(new Headers().keys()), '[object Headers Iterator]');
  });
`));
