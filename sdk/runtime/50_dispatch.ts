/**
 * Event dispatch: turns host invocations into `fetch(request, env, ctx)` calls
 * (module style) or `fetch` events (service-worker style), and the result back into
 * primitives and bytes for the host.
 */
import { BODY_BYTES, BODY_NONE, BODY_STREAM, RUNTIME_NAME, type BodyMode, type RuntimeEntry } from '../protocol/entry.js';
import { asyncOp, completeOp, makeError, op, setSyncEntry } from './00_bootstrap.js';
import { ErrorEvent, Event, PromiseRejectionEvent, hasListeners, markTrusted } from './02_events.js';
import { setInvocationLookup, reportException } from './03_globals.js';
import { type BodyState } from './21_body.js';
import { headersFromFlat, headersToFlat } from './20_headers.js';
import { Request, Response, makeIncomingRequest, rsp } from './22_request_response.js';
import { Headers } from './20_headers.js';
import { URL } from './04_url.js';
import { bodyForHost, cancelOutStream, hostStream, pullOutStream, setFetchInvocationLookup } from './30_fetch.js';
import { otelApiModule, otelHelpersModule, otelInvocationEnd, otelInvocationResponded, otelInvocationStart, setOtelInvocationLookup } from './40_otel.js';
import type { InvokeTraceArgs } from '../protocol/telemetry.js';

const DOMExc = (globalThis as any).DOMException as new (m?: string, n?: string) => Error;

// ---- which invocation is running (console attribution, subrequest accounting).
// Without AsyncContext the id is exact while the handler runs synchronously and
// when only one invocation is in flight; otherwise it is unknown ('').
let current = '';
const active = new Map<string, { abort(reason: unknown): void }>();
function lookup(): string {
  if (current) return current;
  if (active.size === 1) return active.keys().next().value as string;
  return '';
}
setInvocationLookup(lookup);
setFetchInvocationLookup(lookup);
setOtelInvocationLookup(lookup);

// ---- FetchEvent (service-worker style; an extension beyond ECMA-429)
const fetchEventState = new WeakMap<object, { request: Request; respond: ((r: unknown) => void) | null; waitUntil: (p: unknown) => void; responded: boolean }>();
export class FetchEvent extends Event {
  constructor(type: string, init: { request: Request }) {
    super(type, { cancelable: true });
    if (!init || !(init.request instanceof Request)) throw new TypeError("FetchEvent: init.request must be a Request");
    fetchEventState.set(this, { request: init.request, respond: null, waitUntil: () => {}, responded: false });
  }
  get request(): Request { return fes(this).request; }
  respondWith(r: unknown): void {
    const s = fes(this);
    if (s.responded) throw new DOMExc('respondWith() was already called', 'InvalidStateError');
    s.responded = true;
    this.stopImmediatePropagation();
    this.preventDefault();
    s.respond?.(r);
  }
  waitUntil(p: unknown): void { fes(this).waitUntil(p); }
  passThroughOnException(): void {}
  override get [Symbol.toStringTag](): string { return 'FetchEvent'; }
}
function fes(e: unknown) {
  const s = fetchEventState.get(e as object);
  if (!s) throw new TypeError('Illegal invocation: not a FetchEvent');
  return s;
}
Object.defineProperty(globalThis, 'FetchEvent', { value: FetchEvent, writable: true, configurable: true, enumerable: false });

type Handler = (request: Request, env: unknown, ctx: ExecutionContext) => unknown;
interface ExecutionContext { waitUntil(p: unknown): void; passThroughOnException(): void }
let mode: '' | 'module' | 'service-worker' = '';
let moduleHandler: Handler | null = null;
let moduleThis: unknown = undefined;
let env: Readonly<Record<string, string>> = Object.freeze({});

function errorRecord(e: unknown): [string, string, string] {
  if (e !== null && typeof e === 'object') {
    const err = e as { name?: unknown; message?: unknown; stack?: unknown };
    return [String(err.name ?? 'Error'), String(err.message ?? ''), typeof err.stack === 'string' ? err.stack : ''];
  }
  return ['Error', `a non-Error value was thrown: ${String(e)}`, ''];
}

function requestBody(invocationId: string, bodyMode: BodyMode, body: Uint8Array | null): BodyState | null {
  if (bodyMode === BODY_BYTES) return { source: body ?? new Uint8Array(0), stream: null, used: false };
  if (bodyMode === BODY_STREAM) {
    return { source: null, stream: hostStream(() => asyncOp<Uint8Array | null>('reqRead', invocationId), () => op('reqCancel', invocationId)), used: false };
  }
  return null;
}

/** Sends the response; returns false when it sent a failure instead. `done`: the invocation ends with it. */
function respond(invocationId: string, value: unknown, done: boolean): boolean {
  if (!(value instanceof Response)) {
    op('fail', invocationId, 'bad_response', 'TypeError', `the fetch handler returned ${describe(value)}, not a Response`, '');
    return false;
  }
  const s = rsp(value);
  if (s.type === 'error') { op('fail', invocationId, 'bad_response', 'TypeError', 'the fetch handler returned Response.error()', ''); return false; }
  let body: [number, Uint8Array | number | null];
  try { body = bodyForHost(s.body); } catch (e) {
    op('fail', invocationId, 'bad_response', 'TypeError', `the returned Response's body cannot be sent: ${errorRecord(e)[1]}`, '');
    return false;
  }
  // The header list as the function built it (repeated names stay separate lines, set-cookie included): what the
  // wire needs, without the sorted-and-combined view that iterating Headers computes.
  op('respond', invocationId, s.status, s.statusText, headersToFlat(s.headers), body[0], body[1], done);
  return true;
}
function describe(v: unknown): string {
  if (v === undefined) return 'undefined';
  if (v === null) return 'null';
  if (typeof v === 'object') return `an object (${Object.prototype.toString.call(v)})`;
  return `a ${typeof v}`;
}

function invoke(invocationId: string, method: string, url: string, headers: string[], bodyMode: BodyMode, body: Uint8Array | null, trace?: InvokeTraceArgs | null): void {
  const { request, abort } = makeIncomingRequest(method, url, headersFromFlat(headers, 'request'), requestBody(invocationId, bodyMode, body));
  active.set(invocationId, { abort });
  otelInvocationStart(invocationId, trace);
  const waits: Promise<unknown>[] = [];
  let responded = false;
  const waitUntil = (p: unknown) => { waits.push(Promise.resolve(p).then(undefined, (e: unknown) => reportException(e))); };
  const end = () => {
    active.delete(invocationId);
    otelInvocationEnd(invocationId);
  };
  const finish = async () => {
    // waitUntil may be called while earlier promises settle: drain until no new ones.
    for (let n = 0; n < waits.length; n = waits.length) await Promise.all(waits.slice(n));
    end();
    op('done', invocationId);
  };
  const onResult = (value: unknown) => {
    if (responded) return;
    responded = true;
    const pending = waits.length > 0;
    otelInvocationResponded(invocationId, pending);
    if (!pending) {
      // Nothing to wait for: end the invocation first (its telemetry drains before the response op), then one op says both.
      end();
      if (!respond(invocationId, value, true)) op('done', invocationId);
      return;
    }
    respond(invocationId, value, false);
    finish();
  };
  const onError = (e: unknown) => {
    if (responded) return;
    responded = true;
    otelInvocationResponded(invocationId, waits.length > 0);
    op('fail', invocationId, 'threw', ...errorRecord(e));
    finish();
  };
  current = invocationId;
  try {
    if (mode === 'module') {
      const ctx: ExecutionContext = { waitUntil, passThroughOnException() {} };
      Promise.resolve(moduleHandler!.call(moduleThis, request, env, ctx)).then(onResult, onError);
    } else if (mode === 'service-worker') {
      const ev = new FetchEvent('fetch', { request });
      markTrusted(ev);
      const st = fes(ev);
      st.respond = (r) => Promise.resolve(r).then(onResult, onError);
      st.waitUntil = waitUntil;
      (globalThis as unknown as EventTarget).dispatchEvent(ev);
      if (!st.responded) onError(new TypeError('no fetch event listener called event.respondWith()'));
    } else {
      onError(new TypeError('no fetch handler is attached'));
    }
  } catch (e) {
    onError(e);
  } finally {
    current = '';
  }
}
type EventTarget = import('./02_events.js').EventTarget;

const builtins: Record<string, object> = {
  'isotel:runtime': Object.freeze({ name: RUNTIME_NAME, userAgent: RUNTIME_NAME }),
  '@opentelemetry/api': otelApiModule,
  'isotel:otel': otelHelpersModule,
};

/**
 * Runs one synthetic request through the whole dispatch path at sandbox creation (pool time), so V8 has
 * compiled the lazily-compiled functions of the request path before a real cold start needs them.
 * The host ignores ops for this invocation id.
 */
export const WARMUP_ID = '\u0000warmup';
/** Measured: 8 rounds bring the first real dispatch from ~0.85 to ~0.65 ms; 20 do no better. */
const WARMUP_ROUNDS = 8;
function warmup(rounds = WARMUP_ROUNDS): void {
  const saved = [mode, moduleHandler, moduleThis, env] as const;
  // attach runs once per cold start: compile it here, not on the cold start.
  entries.attach({ default: { fetch() {} } }, '{"WARM":"1"}');
  mode = 'module';
  moduleHandler = async (req) => {
    const u = new URL(req.url);
    const text = await req.text();
    const h = new Headers(req.headers);
    h.set('x-path', u.pathname);
    h.get('accept');
    JSON.stringify(Response.json({ a: u.searchParams.get('q') }).headers.get('content-type'));
    new Request(u.href, { method: 'POST', body: text, headers: h }).headers.has('x-path');
    // the shapes handlers use most: a record of headers, JSON bodies, URL getters
    if (u.pathname === '/') return new Response('hello ' + u.pathname + u.hostname, { headers: { 'content-type': 'text/plain' } });
    if (u.pathname === '/json') return Response.json({ echo: JSON.parse(text), at: new Date().toISOString() }, { status: 201 });
    return new Response(text + u.search, { status: 200, headers: h });
  };
  moduleThis = undefined;
  try {
    for (let i = 0; i < rounds; i++) invoke(WARMUP_ID, 'POST', 'http://warm.up/a/b?q=1', ['content-type', 'text/plain', 'accept', '*/*'], BODY_BYTES, new Uint8Array([119, 97, 114, 109]));
    // the gateway's own URLs have an IPv4 host: compile that regexp path too
    for (let i = 0; i < rounds; i++) invoke(WARMUP_ID, 'GET', 'http://127.0.0.1:8787/', ['accept', '*/*'], BODY_NONE, null);
    invoke(WARMUP_ID, 'POST', 'http://warm.up/json', ['content-type', 'application/json'], BODY_BYTES, new Uint8Array([123, 125]));
  } finally {
    [mode, moduleHandler, moduleThis, env] = saved;
  }
}

const entries: RuntimeEntry = {
  warmup: () => warmup(),
  compact() {
    // isolated-vm's ArrayBuffer allocator answers a request past the isolate's memory limit by running V8's
    // LowMemoryNotification (full collections that also give free pages back) before refusing it: the one way
    // to make an idle isolate return its garbage without exposing gc() to functions. Refused, as intended.
    try {
      new ArrayBuffer(2 ** 40);
    } catch {
      /* the refusal is the point */
    }
  },
  warmupSync() {
    // Called synchronously from the host thread: the first such call and the first synchronous op of an
    // isolate cost ~100 µs that would otherwise land on its first synchronous dispatch. One op is enough
    // (the host ignores the warm-up id); a whole warm-up round here would hold the host thread ~0.8 ms.
    setSyncEntry(true);
    op('done', WARMUP_ID);
  },
  attach(namespace, envJson) {
    env = Object.freeze(JSON.parse(envJson || '{}') as Record<string, string>);
    const def = (namespace as { default?: unknown } | undefined)?.default;
    const f = def !== null && (typeof def === 'object' || typeof def === 'function') ? (def as { fetch?: unknown }).fetch : undefined;
    if (typeof f === 'function') { mode = 'module'; moduleHandler = f as Handler; moduleThis = def; }
    else if (hasListeners(globalThis, 'fetch')) mode = 'service-worker';
    else mode = '';
    return mode;
  },
  invoke,
  invokeSync(...args) {
    // From here until the next entry call (which clears it, see entry_), the host is waiting for this call.
    setSyncEntry(true);
    invoke(...args);
  },
  pull: pullOutStream,
  cancel: cancelOutStream,
  abort(invocationId, reason) {
    active.get(invocationId)?.abort(new DOMExc(reason || 'The invocation was aborted', 'AbortError'));
    otelInvocationEnd(invocationId);
  },
  complete: completeOp,
  unhandledRejection(name, message, stack) {
    const reason = makeError(name, message);
    if (stack) try { Object.defineProperty(reason, 'stack', { value: stack, configurable: true, writable: true }); } catch { /* frozen */ }
    const promise = Promise.reject(reason);
    promise.catch(() => {});
    const ev = new PromiseRejectionEvent('unhandledrejection', { promise, reason, cancelable: true });
    markTrusted(ev);
    return !(globalThis as unknown as EventTarget).dispatchEvent(ev);
  },
  uncaughtError(name, message, stack) {
    const error = makeError(name, message);
    if (stack) try { Object.defineProperty(error, 'stack', { value: stack, configurable: true, writable: true }); } catch { /* frozen */ }
    const loc = /\(?([^\s()]+):(\d+):(\d+)\)?/.exec(stack.split('\n').find((l) => /^\s+at /.test(l)) ?? '');
    const ev = new ErrorEvent('error', { cancelable: true, message: `Uncaught ${name}: ${message}`, error, filename: loc?.[1] ?? '', lineno: Number(loc?.[2] ?? 0), colno: Number(loc?.[3] ?? 0) });
    markTrusted(ev);
    return !(globalThis as unknown as EventTarget).dispatchEvent(ev);
  },
  builtinModule: (s) => builtins[s],
  builtinModuleNames: () => Object.keys(builtins),
  builtinModuleExports: (s) => Object.keys(builtins[s] ?? {}),
};

/** Every entry call starts asynchronous (setSyncEntry): only invokeSync switches its own ops to synchronous. */
function entry_<K extends keyof RuntimeEntry>(name: K): RuntimeEntry[K] {
  const f = entries[name] as (...a: unknown[]) => unknown;
  return ((...a: unknown[]) => {
    setSyncEntry(false);
    return f(...a);
  }) as RuntimeEntry[K];
}
export const entry = Object.fromEntries(Object.keys(entries).map((k) => [k, entry_(k as keyof RuntimeEntry)])) as unknown as RuntimeEntry;
