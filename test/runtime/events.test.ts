// DOM events and abort: EventTarget semantics, handler attributes, AbortController/AbortSignal (any, timeout).
import test from 'node:test';
import { conformance } from './harness.js';

test('Events and AbortSignal', () => conformance(String.raw`
  test('listeners: order, once, capture, duplicates, handleEvent objects, removal during dispatch', () => {
    const t = new EventTarget();
    const log = [];
    const f = () => log.push('f');
    t.addEventListener('x', f);
    t.addEventListener('x', f);
    t.addEventListener('x', { handleEvent(e) { log.push('obj:' + e.type); } });
    t.addEventListener('x', () => log.push('once'), { once: true });
    t.addEventListener('x', () => log.push('capture'), true);
    const g = () => log.push('g');
    t.addEventListener('x', () => t.removeEventListener('x', g));
    t.addEventListener('x', g);
    t.dispatchEvent(new Event('x'));
    t.dispatchEvent(new Event('x'));
    eq(log, ['capture', 'f', 'obj:x', 'once', 'capture', 'f', 'obj:x']);
  });
  test('event state: target, currentTarget, phase, preventDefault only when cancelable, passive', () => {
    const t = new EventTarget();
    let seen;
    t.addEventListener('x', (e) => { seen = [e.target === t, e.currentTarget === t, e.eventPhase]; e.preventDefault(); });
    const e = new Event('x', { cancelable: true });
    eq(t.dispatchEvent(e), false);
    eq(seen, [true, true, 2]);
    eq([e.defaultPrevented, e.currentTarget, e.eventPhase], [true, null, 0]);
    const n = new Event('x');
    eq(t.dispatchEvent(n), true, 'not cancelable');
    const p = new Event('y', { cancelable: true });
    t.addEventListener('y', (ev) => ev.preventDefault(), { passive: true });
    eq(t.dispatchEvent(p), true, 'passive listeners cannot cancel');
    throws(() => new Event(), 'TypeError');
    eq([Event.AT_TARGET, new Event('z').AT_TARGET], [2, 2]);
  });
  test('stopImmediatePropagation; re-dispatching a dispatching event throws InvalidStateError', () => {
    const t = new EventTarget();
    const log = [];
    t.addEventListener('x', (e) => { log.push(1); e.stopImmediatePropagation(); });
    t.addEventListener('x', () => log.push(2));
    const e = new Event('x');
    t.dispatchEvent(e);
    eq(log, [1]);
    t.addEventListener('y', (ev) => { throws(() => t.dispatchEvent(ev), 'InvalidStateError'); log.push('y'); });
    t.dispatchEvent(new Event('y'));
    eq(log, [1, 'y']);
  });
  test('a throwing listener is reported (error event on the global) and the next listener runs', () => {
    const t = new EventTarget();
    const log = [];
    const onErr = (e) => { log.push('reported ' + e.error.message); e.preventDefault(); };
    addEventListener('error', onErr);
    t.addEventListener('x', () => { throw new Error('boom'); });
    t.addEventListener('x', () => log.push('next'));
    t.dispatchEvent(new Event('x'));
    removeEventListener('error', onErr);
    eq(log, ['reported boom', 'next']);
  });
  test('CustomEvent, ErrorEvent, PromiseRejectionEvent, MessageEvent carry their init', () => {
    eq(new CustomEvent('c', { detail: { a: 1 } }).detail, { a: 1 });
    eq(new CustomEvent('c').detail, null);
    const ee = new ErrorEvent('error', { message: 'm', filename: 'f.js', lineno: 3, colno: 4, error: 42 });
    eq([ee.message, ee.filename, ee.lineno, ee.colno, ee.error], ['m', 'f.js', 3, 4, 42]);
    const p = Promise.resolve();
    eq(new PromiseRejectionEvent('unhandledrejection', { promise: p, reason: 'r' }).promise, p);
    throws(() => new PromiseRejectionEvent('x', {}), 'TypeError');
    eq(new MessageEvent('message', { data: 5 }).data, 5);
    ok(new CustomEvent('x') instanceof Event);
  });
  test('event handler attributes', () => {
    const c = new AbortController();
    const log = [];
    c.signal.onabort = (e) => log.push(e.type);
    eq(typeof c.signal.onabort, 'function');
    c.abort();
    eq(log, ['abort']);
  });
  test('AbortController: reason defaults to AbortError DOMException; throwIfAborted; abort once', () => {
    const c = new AbortController();
    let n = 0;
    c.signal.addEventListener('abort', () => n++);
    c.abort(); c.abort();
    eq(n, 1);
    ok(c.signal.reason instanceof DOMException);
    eq(c.signal.reason.name, 'AbortError');
    throws(() => c.signal.throwIfAborted(), 'AbortError');
    eq(AbortSignal.abort('x').reason, 'x');
  });
  test('AbortSignal.any follows its sources; already-aborted input aborts at once', () => {
    const a = new AbortController(), b = new AbortController();
    const any = AbortSignal.any([a.signal, b.signal]);
    const nested = AbortSignal.any([any]);
    eq(any.aborted, false);
    b.abort('b');
    eq([any.aborted, any.reason, nested.aborted, nested.reason], [true, 'b', true, 'b']);
    eq(AbortSignal.any([AbortSignal.abort('now')]).reason, 'now');
    throws(() => AbortSignal.any([{}]), 'TypeError');
  });
  test('AbortSignal.timeout aborts with TimeoutError', async () => {
    const s = AbortSignal.timeout(5);
    const keep = setTimeout(() => {}, 1000); // the timeout's own timer does not keep the isolate waiting (as in Node and Deno)
    await new Promise((r) => s.addEventListener('abort', r));
    clearTimeout(keep);
    eq(s.reason.name, 'TimeoutError');
    throws(() => AbortSignal.timeout(-1), 'TypeError');
  });
  test('addEventListener with an aborted signal adds nothing; aborting removes', () => {
    const t = new EventTarget();
    const c = new AbortController();
    let n = 0;
    t.addEventListener('x', () => n++, { signal: c.signal });
    t.dispatchEvent(new Event('x'));
    c.abort();
    t.dispatchEvent(new Event('x'));
    t.addEventListener('x', () => n++, { signal: c.signal });
    t.dispatchEvent(new Event('x'));
    eq(n, 1);
  });
`));
