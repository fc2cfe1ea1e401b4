/** Fetch §5.3 Request and §5.5 Response, written to the spec's constructor algorithms. */
/* eslint-disable @typescript-eslint/no-unsafe-declaration-merging -- the Body mixin is installed on the prototypes by mixinBody */
import { expose } from './00_bootstrap.js';
import { AbortSignal, newAbortSignal, signalAbort, addAbortAlgorithm } from './02_events.js';
import { utf8Encode } from './11_encoding.js';
import { TransformStream } from './10_streams.js';
import { type BodyState, cloneBody, extractBody, isDisturbed, isLocked, isReadableStream, mixinBody } from './21_body.js';
import { Headers, byteString, getGuard, headerList, setGuard, type Guard } from './20_headers.js';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NORMALIZE = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

function enumValue<T extends string>(v: unknown, allowed: readonly T[], what: string): T {
  const s = String(v);
  if (!(allowed as readonly string[]).includes(s)) throw new TypeError(`${what}: ${JSON.stringify(s)} is not one of ${allowed.join(', ')}`);
  return s as T;
}

export interface RequestState {
  method: string;
  url: string;
  headers: Headers;
  body: BodyState | null;
  signal: AbortSignal;
  redirect: 'follow' | 'error' | 'manual';
  mode: string; credentials: string; cache: string; referrer: string; referrerPolicy: string; integrity: string; keepalive: boolean; duplex: 'half' | undefined;
}
const reqState = new WeakMap<object, RequestState>();
export function rs(r: unknown): RequestState {
  const s = reqState.get(r as object);
  if (!s) throw new TypeError('Illegal invocation: not a Request');
  return s;
}

function parseURL(input: string, what: string): URL {
  let u: URL;
  try { u = new URL(input); } catch { throw new TypeError(`${what}: ${JSON.stringify(input)} is not a valid absolute URL (there is no base URL in a function)`); }
  if (u.username || u.password) throw new TypeError(`${what}: URLs with credentials are not allowed: ${JSON.stringify(input)}`);
  return u;
}

export class Request {
  constructor(input: RequestInfo, init?: RequestInit) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Request': 1 argument required, but only 0 present.");
    if (init !== undefined && init !== null && typeof init !== 'object' && typeof init !== 'function') throw new TypeError("Request: parameter 2 ('init') is not an object");
    const o = (init ?? {}) as RequestInit & Record<string, unknown>;
    let base: RequestState | null = null;
    let url: string;
    if (input instanceof Request) { base = rs(input); url = base.url; }
    else url = parseURL(String(input), 'Request').href;
    if (o.window !== undefined && o.window !== null) throw new TypeError('Request: init.window must be null');
    const s: RequestState = {
      method: base?.method ?? 'GET', url, headers: new Headers(), body: null, signal: newAbortSignal(),
      redirect: base?.redirect ?? 'follow', mode: base?.mode ?? 'cors', credentials: base?.credentials ?? 'same-origin', cache: base?.cache ?? 'default',
      referrer: base?.referrer ?? 'about:client', referrerPolicy: base?.referrerPolicy ?? '', integrity: base?.integrity ?? '', keepalive: base?.keepalive ?? false, duplex: undefined,
    };
    if (o.referrer !== undefined) {
      const r = String(o.referrer);
      if (r === '') s.referrer = '';
      else { try { s.referrer = new URL(r).href; } catch { throw new TypeError(`Request: init.referrer ${JSON.stringify(r)} is not a valid URL`); } }
    }
    if (o.referrerPolicy !== undefined) s.referrerPolicy = enumValue(o.referrerPolicy, ['', 'no-referrer', 'no-referrer-when-downgrade', 'same-origin', 'origin', 'strict-origin', 'origin-when-cross-origin', 'strict-origin-when-cross-origin', 'unsafe-url'], 'Request: init.referrerPolicy');
    if (o.mode !== undefined) {
      const m = enumValue(o.mode, ['navigate', 'same-origin', 'no-cors', 'cors'], 'Request: init.mode');
      if (m === 'navigate') throw new TypeError("Request: init.mode 'navigate' is not allowed");
      s.mode = m;
    }
    if (o.credentials !== undefined) s.credentials = enumValue(o.credentials, ['omit', 'same-origin', 'include'], 'Request: init.credentials');
    if (o.cache !== undefined) {
      s.cache = enumValue(o.cache, ['default', 'no-store', 'reload', 'no-cache', 'force-cache', 'only-if-cached'], 'Request: init.cache');
      if (s.cache === 'only-if-cached' && s.mode !== 'same-origin') throw new TypeError("Request: cache 'only-if-cached' requires mode 'same-origin'");
    }
    if (o.redirect !== undefined) s.redirect = enumValue(o.redirect, ['follow', 'error', 'manual'], 'Request: init.redirect');
    if (o.integrity !== undefined) s.integrity = String(o.integrity);
    if (o.keepalive !== undefined) s.keepalive = !!o.keepalive;
    if (o.method !== undefined) {
      const m = byteString(o.method, 'Request: init.method');
      if (!TOKEN.test(m)) throw new TypeError(`Request: ${JSON.stringify(m)} is not a valid HTTP method`);
      const up = m.toUpperCase();
      if (FORBIDDEN_METHODS.has(up)) throw new TypeError(`Request: the method ${up} is forbidden`);
      s.method = NORMALIZE.has(up) ? up : m;
    }
    // Signal: follows init.signal if given, else the input request's.
    const follow = o.signal !== undefined ? o.signal : base?.signal;
    if (follow !== undefined && follow !== null) {
      if (!(follow instanceof AbortSignal)) throw new TypeError("Request: init.signal is not an AbortSignal");
      s.signal = AbortSignal.any([follow]);
    }
    // Headers: copy the input's, then replace with init.headers.
    const headersInit = o.headers !== undefined ? o.headers : base ? [...headerList(base.headers)] : undefined;
    s.headers = new Headers(headersInit as HeadersInitLike);
    setGuard(s.headers, 'request');
    const inputBody = base?.body ?? null;
    if (((o.body !== undefined && o.body !== null) || inputBody !== null) && (s.method === 'GET' || s.method === 'HEAD')) {
      throw new TypeError(`Request: a ${s.method} request cannot have a body`);
    }
    let body: BodyState | null = null;
    if (o.body !== undefined && o.body !== null) {
      const ex = extractBody(o.body, s.keepalive);
      body = ex.body;
      if (ex.type !== null && !s.headers.has('content-type')) headerList(s.headers).push(['content-type', ex.type]);
      if (isReadableStream(o.body)) {
        if (s.keepalive) throw new TypeError('Request: keepalive requests cannot have a stream body');
        if (o.duplex !== 'half') throw new TypeError("Request: init.duplex must be 'half' when the body is a ReadableStream");
        s.duplex = 'half';
      }
    }
    if (o.duplex !== undefined && o.duplex !== 'half') throw new TypeError(`Request: init.duplex must be 'half', got ${JSON.stringify(String(o.duplex))}`);
    if (body === null && inputBody !== null) {
      if (o.body === null) body = null;
      else {
        if (isDisturbed(inputBody) || isLocked(inputBody)) throw new TypeError('Request: the input request\'s body has already been used');
        // "moving" the body (Fetch step 41): the new request reads through a proxy; the input becomes used.
        body = inputBody.stream ? { source: null, stream: inputBody.stream.pipeThrough(new TransformStream()), used: false } : { source: inputBody.source, stream: null, used: false };
        inputBody.used = true;
      }
    }
    s.body = body;
    reqState.set(this, s);
  }
  get method(): string { return rs(this).method; }
  get url(): string { return rs(this).url; }
  get headers(): Headers { return rs(this).headers; }
  get destination(): string { rs(this); return ''; }
  get referrer(): string { const r = rs(this).referrer; return r === 'about:client' ? 'about:client' : r; }
  get referrerPolicy(): string { return rs(this).referrerPolicy; }
  get mode(): string { return rs(this).mode; }
  get credentials(): string { return rs(this).credentials; }
  get cache(): string { return rs(this).cache; }
  get redirect(): string { return rs(this).redirect; }
  get integrity(): string { return rs(this).integrity; }
  get keepalive(): boolean { return rs(this).keepalive; }
  get isReloadNavigation(): boolean { rs(this); return false; }
  get isHistoryNavigation(): boolean { rs(this); return false; }
  get signal(): AbortSignal { return rs(this).signal; }
  get duplex(): string { rs(this); return 'half'; }
  clone(): Request {
    const s = rs(this);
    const body = s.body ? cloneBody(s.body) : null;
    const r = Object.create(Request.prototype) as Request;
    const headers = new Headers([...headerList(s.headers)]);
    setGuard(headers, getGuard(s.headers));
    const signal = AbortSignal.any([s.signal]);
    reqState.set(r, { ...s, headers, body, signal });
    return r;
  }
  get [Symbol.toStringTag](): string { return 'Request'; }
}
mixinBody(Request.prototype, (self) => { const s = rs(self); return { body: s.body, contentType: () => s.headers.get('content-type') }; });

/** Builds an incoming request from host data (trusted, already validated by the HTTP server). */
export function makeIncomingRequest(method: string, url: string, headers: Headers, body: BodyState | null): { request: Request; abort: (reason: unknown) => void } {
  const r = Object.create(Request.prototype) as Request;
  // The signal is made when first read: most handlers never look at it, and an AbortSignal is an EventTarget.
  let signal: AbortSignal | undefined;
  let abortedWith: { reason: unknown } | undefined;
  reqState.set(r, {
    method, url, headers, body, redirect: 'follow', mode: 'cors', credentials: 'same-origin', cache: 'default', referrer: 'about:client', referrerPolicy: '', integrity: '', keepalive: false, duplex: 'half',
    get signal(): AbortSignal {
      if (!signal) {
        signal = newAbortSignal();
        if (abortedWith) signalAbort(signal, abortedWith.reason);
      }
      return signal;
    },
    set signal(s: AbortSignal) {
      signal = s;
    },
  });
  return { request: r, abort: (reason) => (signal ? signalAbort(signal, reason) : (abortedWith ??= { reason })) };
}
export { addAbortAlgorithm };

// ---- Response
export interface ResponseState {
  type: 'basic' | 'cors' | 'default' | 'error' | 'opaque' | 'opaqueredirect';
  status: number; statusText: string; headers: Headers; body: BodyState | null; urlList: string[]; redirected: boolean;
}
const respState = new WeakMap<object, ResponseState>();
export function rsp(r: unknown): ResponseState {
  const s = respState.get(r as object);
  if (!s) throw new TypeError('Illegal invocation: not a Response');
  return s;
}

function initResponse(r: Response, init: ResponseInit | undefined, body: { body: BodyState; type: string | null } | null): void {
  const o = (init ?? {}) as ResponseInit;
  if (init !== undefined && init !== null && typeof init !== 'object' && typeof init !== 'function') throw new TypeError("Response: parameter 2 ('init') is not an object");
  const status = o.status === undefined ? 200 : Number(o.status);
  if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`Response: status ${String(o.status)} is outside the range [200, 599]`);
  const statusText = o.statusText === undefined ? '' : byteString(o.statusText, 'Response: statusText');
  if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(statusText)) throw new TypeError(`Response: statusText ${JSON.stringify(statusText)} is not a valid reason-phrase`);
  const headers = new Headers(o.headers as HeadersInitLike);
  setGuard(headers, 'response');
  if (body && NULL_BODY_STATUS.has(status)) throw new TypeError(`Response: a response with status ${status} cannot have a body`);
  if (body?.type && !headers.has('content-type')) headerList(headers).push(['content-type', body.type]);
  respState.set(r, { type: 'default', status, statusText, headers, body: body?.body ?? null, urlList: [], redirected: false });
}

export class Response {
  constructor(body: unknown = null, init?: ResponseInit) {
    initResponse(this, init, body === null || body === undefined ? null : extractBody(body));
  }
  static error(): Response {
    const r = Object.create(Response.prototype) as Response;
    const headers = new Headers();
    setGuard(headers, 'immutable');
    respState.set(r, { type: 'error', status: 0, statusText: '', headers, body: null, urlList: [], redirected: false });
    return r;
  }
  static redirect(url: string, status = 302): Response {
    let u: string;
    try { u = new URL(String(url)).href; } catch { throw new TypeError(`Response.redirect: ${JSON.stringify(String(url))} is not a valid absolute URL`); }
    const st = Number(status);
    if (!REDIRECT_STATUS.has(st)) throw new RangeError(`Response.redirect: ${status} is not a redirect status (301, 302, 303, 307, 308)`);
    const r = new Response(null, { status: st });
    const s = rsp(r);
    headerList(s.headers).push(['location', u]);
    setGuard(s.headers, 'immutable');
    return r;
  }
  static json(data: unknown, init?: ResponseInit): Response {
    const text = JSON.stringify(data);
    if (text === undefined) throw new TypeError('Response.json: the data is not JSON-serializable');
    const r = Object.create(Response.prototype) as Response;
    initResponse(r, init, { body: { source: utf8Encode(text), stream: null, used: false }, type: 'application/json' });
    return r;
  }
  get type(): string { return rsp(this).type; }
  get url(): string { const l = rsp(this).urlList; const u = l[l.length - 1]; return u === undefined ? '' : u.replace(/#.*$/, ''); }
  get redirected(): boolean { return rsp(this).redirected; }
  get status(): number { return rsp(this).status; }
  get ok(): boolean { const s = rsp(this).status; return s >= 200 && s <= 299; }
  get statusText(): string { return rsp(this).statusText; }
  get headers(): Headers { return rsp(this).headers; }
  clone(): Response {
    const s = rsp(this);
    const body = s.body ? cloneBody(s.body) : null;
    const r = Object.create(Response.prototype) as Response;
    const headers = new Headers([...headerList(s.headers)]);
    setGuard(headers, getGuard(s.headers));
    respState.set(r, { ...s, headers, body, urlList: [...s.urlList] });
    return r;
  }
  get [Symbol.toStringTag](): string { return 'Response'; }
}
mixinBody(Response.prototype, (self) => { const s = rsp(self); return { body: s.body, contentType: () => s.headers.get('content-type') }; });

/** Builds a response from host data (outbound fetch results). */
export function makeResponse(status: number, statusText: string, headers: Headers, body: BodyState | null, url: string, redirected: boolean, guard: Guard = 'immutable'): Response {
  const r = Object.create(Response.prototype) as Response;
  setGuard(headers, guard);
  respState.set(r, { type: 'basic', status, statusText, headers, body, urlList: url ? [url] : [], redirected });
  return r;
}

/** The Body mixin members installed by mixinBody (declaration merging for the type checker). */
interface BodyMixin {
  readonly body: import('./10_streams.js').ReadableStream<Uint8Array> | null;
  readonly bodyUsed: boolean;
  arrayBuffer(): Promise<ArrayBuffer>;
  bytes(): Promise<Uint8Array>;
  text(): Promise<string>;
  json(): Promise<unknown>;
  blob(): Promise<import('./12_blob.js').Blob>;
  formData(): Promise<import('./12_blob.js').FormData>;
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Request extends BodyMixin {}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface Response extends BodyMixin {}

type HeadersInitLike = ConstructorParameters<typeof Headers>[0];
export type RequestInfo = Request | string | URL;
export interface RequestInit {
  method?: string; headers?: unknown; body?: unknown; referrer?: string; referrerPolicy?: string; mode?: string; credentials?: string;
  cache?: string; redirect?: string; integrity?: string; keepalive?: boolean; signal?: AbortSignal | null; duplex?: string; window?: unknown;
}
export interface ResponseInit { status?: number; statusText?: string; headers?: unknown }

expose('Request', Request);
expose('Response', Response);
