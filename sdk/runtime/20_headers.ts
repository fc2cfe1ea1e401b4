/** Fetch §5.1 Headers, written to the spec (guards, validation, sort-and-combine). */
import { expose, webidlInterface } from './00_bootstrap.js';

export type Guard = 'none' | 'request' | 'response' | 'immutable';
interface HeadersState { list: Array<[string, string]>; guard: Guard }
const state = new WeakMap<object, HeadersState>();
function hs(h: unknown): HeadersState {
  const s = state.get(h as object);
  if (!s) throw new TypeError('Illegal invocation: not a Headers');
  return s;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HTTP_WS = /^[\t\n\r ]+|[\t\n\r ]+$/g;

/** WebIDL ByteString conversion. */
export function byteString(v: unknown, what: string): string {
  const s = String(v);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\xff]/.test(s)) throw new TypeError(`${what}: ${JSON.stringify(s)} is not a valid ByteString`);
  return s;
}
function checkName(name: string): string {
  if (!TOKEN.test(name)) throw new TypeError(`Headers: ${JSON.stringify(name)} is not a valid HTTP header name`);
  return name.toLowerCase();
}
function normalizeValue(value: string): string {
  const v = value.replace(HTTP_WS, '');
  if (/[\0\r\n]/.test(v)) throw new TypeError(`Headers: ${JSON.stringify(value)} is not a valid HTTP header value`);
  return v;
}
function checkMutable(s: HeadersState): void {
  if (s.guard === 'immutable') throw new TypeError('Headers: these headers are immutable');
}

function fill(h: Headers, init: unknown): void {
  if (init === undefined || init === null) { if (init === null) throw new TypeError('Headers: init must be a sequence or a record'); return; }
  if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError('Headers: init must be a sequence or a record');
  const iter = (init as { [Symbol.iterator]?: unknown })[Symbol.iterator];
  if (iter !== undefined) {
    if (typeof iter !== 'function') throw new TypeError('Headers: init[Symbol.iterator] is not a function');
    for (const pair of init as Iterable<unknown>) {
      if ((typeof pair !== 'object' && typeof pair !== 'function') || pair === null) throw new TypeError('Headers: each header must be a [name, value] sequence');
      const p = Array.from(pair as Iterable<unknown>);
      if (p.length !== 2) throw new TypeError(`Headers: a header pair must have exactly 2 items, got ${p.length}`);
      appendHeader(h, byteString(p[0], 'Headers'), byteString(p[1], 'Headers'));
    }
    return;
  }
  for (const key of Reflect.ownKeys(init as object)) {
    const desc = Reflect.getOwnPropertyDescriptor(init as object, key);
    if (!desc?.enumerable) continue;
    if (typeof key === 'symbol') throw new TypeError('Headers: record keys must be strings');
    appendHeader(h, byteString(key, 'Headers'), byteString((init as Record<string, unknown>)[key], 'Headers'));
  }
}

export function appendHeader(h: Headers, name: string, value: string): void {
  const s = hs(h);
  const v = normalizeValue(value);
  const n = checkName(name);
  checkMutable(s);
  s.list.push([n, v]);
}

/** Raw list access for the runtime (request/response plumbing); names are lowercase. */
export function headerList(h: Headers): Array<[string, string]> { return hs(h).list; }
export function setGuard(h: Headers, g: Guard): void { hs(h).guard = g; }
export function getGuard(h: Headers): Guard { return hs(h).guard; }
/** Builds Headers from a trusted flat [name, value, ...] list (from the host). */
export function headersFromFlat(flat: readonly string[], guard: Guard): Headers {
  const h = new Headers();
  const s = hs(h);
  for (let i = 0; i + 1 < flat.length; i += 2) s.list.push([flat[i]!.toLowerCase(), flat[i + 1]!]);
  s.guard = guard;
  return h;
}
export function headersToFlat(h: Headers): string[] {
  const out: string[] = [];
  for (const [n, v] of hs(h).list) out.push(n, v);
  return out;
}

function sortAndCombine(list: Array<[string, string]>): Array<[string, string]> {
  const names = [...new Set(list.map(([n]) => n))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Array<[string, string]> = [];
  for (const n of names) {
    if (n === 'set-cookie') { for (const [k, v] of list) if (k === n) out.push([n, v]); }
    else out.push([n, list.filter(([k]) => k === n).map(([, v]) => v).join(', ')]);
  }
  return out;
}

export class Headers {
  constructor(init?: unknown) {
    state.set(this, { list: [], guard: 'none' });
    fill(this, init);
  }
  append(name: string, value: string): void {
    if (arguments.length < 2) throw new TypeError('Headers.append: 2 arguments required');
    appendHeader(this, byteString(name, 'Headers.append'), byteString(value, 'Headers.append'));
  }
  delete(name: string): void {
    const s = hs(this);
    const n = checkName(byteString(name, 'Headers.delete'));
    checkMutable(s);
    s.list = s.list.filter(([k]) => k !== n);
  }
  get(name: string): string | null {
    const s = hs(this);
    const n = checkName(byteString(name, 'Headers.get'));
    const vals = s.list.filter(([k]) => k === n).map(([, v]) => v);
    return vals.length === 0 ? null : vals.join(', ');
  }
  getSetCookie(): string[] { return hs(this).list.filter(([k]) => k === 'set-cookie').map(([, v]) => v); }
  has(name: string): boolean {
    const n = checkName(byteString(name, 'Headers.has'));
    return hs(this).list.some(([k]) => k === n);
  }
  set(name: string, value: string): void {
    if (arguments.length < 2) throw new TypeError('Headers.set: 2 arguments required');
    const s = hs(this);
    const v = normalizeValue(byteString(value, 'Headers.set'));
    const n = checkName(byteString(name, 'Headers.set'));
    checkMutable(s);
    const i = s.list.findIndex(([k]) => k === n);
    if (i < 0) { s.list.push([n, v]); return; }
    s.list[i] = [n, v];
    s.list = s.list.filter(([k], j) => j <= i || k !== n);
  }
  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    if (typeof callback !== 'function') throw new TypeError("Headers.forEach: parameter 1 is not of type 'Function'");
    for (let i = 0; ; i++) {
      const pairs = sortAndCombine(hs(this).list);
      if (i >= pairs.length) break;
      callback.call(thisArg, pairs[i]![1], pairs[i]![0], this);
    }
  }
  entries(): HeadersIterator<[string, string]> { return new HeadersIterator(this, 'entries'); }
  keys(): HeadersIterator<string> { return new HeadersIterator(this, 'keys'); }
  values(): HeadersIterator<string> { return new HeadersIterator(this, 'values'); }
  [Symbol.iterator](): HeadersIterator<[string, string]> { return this.entries(); }
  get [Symbol.toStringTag](): string { return 'Headers'; }
}

/** WebIDL pair iterator: the sorted list is recomputed on each step, so changes during iteration are seen. */
const IteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([][Symbol.iterator]()));
class HeadersIterator<T> {
  #target: Headers;
  #kind: 'entries' | 'keys' | 'values';
  #index = 0;
  constructor(target: Headers, kind: 'entries' | 'keys' | 'values') { this.#target = target; this.#kind = kind; }
  next(): IteratorResult<T> {
    const pairs = sortAndCombine(hs(this.#target).list);
    if (this.#index >= pairs.length) return { value: undefined, done: true } as IteratorResult<T>;
    const [k, v] = pairs[this.#index++]!;
    return { value: (this.#kind === 'keys' ? k : this.#kind === 'values' ? v : [k, v]) as T, done: false };
  }
  get [Symbol.toStringTag](): string { return 'Headers Iterator'; }
}
Object.setPrototypeOf(HeadersIterator.prototype, IteratorPrototype);
webidlInterface(HeadersIterator, 'Headers Iterator');

expose('Headers', Headers);
