/**
 * Globals of HTML and HR-Time: console, timers, queueMicrotask, reportError,
 * structuredClone, performance, navigator, self.
 */
import { asyncOpWithId, allocId, expose, forgetOp, hostNow, op, timeOrigin } from './00_bootstrap.js';
import { ErrorEvent, EventTarget, markTrusted, setReportException, setWeakTimer } from './02_events.js';

// ---- invocation attribution for console output (set by the dispatcher)
let currentInvocation: () => string = () => '';
export function setInvocationLookup(fn: () => string): void { currentInvocation = fn; }

// ---- reportError (HTML "report an exception")
function errorParts(e: unknown): [string, string, string] {
  if (e instanceof Error || (e !== null && typeof e === 'object' && 'message' in e)) {
    const err = e as { name?: unknown; message?: unknown; stack?: unknown };
    return [String(err.name ?? 'Error'), String(err.message ?? ''), typeof err.stack === 'string' ? err.stack : ''];
  }
  return ['', inspect(e), ''];
}
export function reportException(e: unknown): void {
  const [name, message] = errorParts(e);
  const ev = new ErrorEvent('error', { cancelable: true, message: name ? `Uncaught ${name}: ${message}` : `Uncaught ${message}`, error: e });
  markTrusted(ev);
  let handled = false;
  try { handled = !(globalThis as unknown as EventTarget).dispatchEvent(ev); } catch { /* listener errors are themselves reported inside dispatch */ }
  if (!handled) op('uncaught', ...errorParts(e));
}
setReportException(reportException);
expose('reportError', function reportError(e: unknown) {
  if (arguments.length === 0) throw new TypeError('reportError: 1 argument required');
  reportException(e);
});

expose('queueMicrotask', function queueMicrotask(callback: () => void) {
  if (typeof callback !== 'function') throw new TypeError("queueMicrotask: parameter 1 is not of type 'Function'");
  Promise.resolve().then(() => {
    try { callback(); } catch (e) { reportException(e); }
  });
});

/** Indirect eval, captured before user code can replace `eval` (string timer handlers). */
const globalEval = globalThis.eval;

// ---- timers (HTML §8.6): host timers through the `sleep` op; ids are per isolate.
interface Timer { opId: number; repeat: boolean; ms: number; fn: () => void; nesting: number }
const timers = new Map<number, Timer>();
const MAX_TIMERS = 10_000;
let nextTimer = 1;
let nestingLevel = 0;
function schedule(handle: number, t: Timer): void {
  t.opId = allocId();
  const ms = t.nesting > 5 && t.ms < 4 ? 4 : t.ms;
  asyncOpWithId<void>(t.opId, 'sleep', ms).then(() => {
    if (timers.get(handle) !== t) return;
    if (!t.repeat) timers.delete(handle);
    const saved = nestingLevel;
    nestingLevel = t.nesting;
    try { t.fn(); } catch (e) { reportException(e); } finally { nestingLevel = saved; }
    if (t.repeat && timers.get(handle) === t) { t.nesting++; schedule(handle, t); }
  });
}
function timerInit(repeat: boolean, handler: unknown, timeout: unknown, args: unknown[]): number {
  // HTML: a non-function handler is converted to a string and run as a classic script in the global scope.
  if (typeof handler !== 'function') { const code = String(handler); handler = () => globalEval(code); }
  let ms = Number(timeout);
  if (!(ms >= 0) || !Number.isFinite(ms)) ms = 0;
  ms = Math.min(Math.trunc(ms), 2 ** 31 - 1);
  // Each timer holds host resources: bound them so one function cannot exhaust its neighbours' process.
  if (timers.size >= MAX_TIMERS) throw new RangeError(`setTimeout/setInterval: ${MAX_TIMERS} timers are already pending in this isolate; clear some first`);
  const handle = nextTimer++;
  const fn = () => (handler as (...a: unknown[]) => void).apply(globalThis, args);
  const t: Timer = { opId: 0, repeat, ms, fn, nesting: nestingLevel + 1 };
  timers.set(handle, t);
  schedule(handle, t);
  return handle;
}
function clear(handle: unknown): void {
  const h = Number(handle);
  const t = timers.get(h);
  if (!t) return;
  timers.delete(h);
  forgetOp(t.opId);
  op('cancelSleep', t.opId);
}
// Runtime-internal timers that must not keep the host waiting (AbortSignal.timeout).
setWeakTimer((fn, ms) => {
  asyncOpWithId<void>(allocId(), 'sleep', Math.max(0, ms), true).then(() => { try { fn(); } catch (e) { reportException(e); } });
});
expose('setTimeout', function setTimeout(handler: unknown, timeout?: unknown, ...args: unknown[]) { return timerInit(false, handler, timeout, args); });
expose('setInterval', function setInterval(handler: unknown, timeout?: unknown, ...args: unknown[]) { return timerInit(true, handler, timeout, args); });
expose('clearTimeout', function clearTimeout(handle?: unknown) { clear(handle); });
expose('clearInterval', function clearInterval(handle?: unknown) { clear(handle); });

// ---- console (WHATWG Console): formatted on this side, one `console` op per line.
export function inspect(v: unknown, depth = 2, seen: Set<unknown> = new Set()): string {
  switch (typeof v) {
    case 'string': return seen.size === 0 ? v : quote(v);
    case 'number': return Object.is(v, -0) ? '-0' : String(v);
    case 'bigint': return `${v}n`;
    case 'symbol': return v.toString();
    case 'undefined': return 'undefined';
    case 'boolean': return String(v);
    case 'function': return `[Function: ${(v as { name?: string }).name || '(anonymous)'}]`;
  }
  if (v === null) return 'null';
  if (v instanceof Error) return v.stack && v.stack.includes(v.message) ? v.stack : `${v.name}: ${v.message}${v.stack ? '\n' + v.stack : ''}`;
  if (seen.has(v)) return '[Circular]';
  const inner = new Set(seen).add(v);
  const tag = Object.prototype.toString.call(v).slice(8, -1);
  if (v instanceof Date) return isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString();
  if (v instanceof RegExp) return String(v);
  if (depth < 0) return Array.isArray(v) ? '[Array]' : `[${tag}]`;
  if (Array.isArray(v)) return `[ ${v.map((x) => inspect(x, depth - 1, inner)).join(', ')} ]`.replace('[  ]', '[]');
  if (ArrayBuffer.isView(v)) return `${tag}(${(v as Uint8Array).length ?? (v as DataView).byteLength}) [ ${Array.from(v as Uint8Array).slice(0, 50).join(', ')} ]`;
  if (v instanceof Map) return `Map(${v.size}) { ${[...v].map(([k, x]) => `${inspect(k, depth - 1, inner)} => ${inspect(x, depth - 1, inner)}`).join(', ')} }`;
  if (v instanceof Set) return `Set(${v.size}) { ${[...v].map((x) => inspect(x, depth - 1, inner)).join(', ')} }`;
  if (v instanceof Promise) return 'Promise { <pending?> }';
  const keys = Object.keys(v as object);
  const proto = Object.getPrototypeOf(v);
  const name = proto === null ? '[Object: null prototype] ' : proto === Object.prototype ? '' : `${proto.constructor?.name ?? tag} `;
  if (keys.length === 0) {
    // Platform objects keep their state internal: show what their getters (or pair iterators) expose.
    const fields = PLATFORM_FIELDS[tag];
    if (fields) {
      const parts: string[] = [];
      for (const f of fields) { try { parts.push(`${f}: ${inspect((v as Record<string, unknown>)[f], depth - 1, inner)}`); } catch { /* a throwing getter is skipped */ } }
      return `${tag} { ${parts.join(', ')} }`;
    }
    if (PAIR_ITERABLES.has(tag)) {
      const parts = [...(v as Iterable<[string, unknown]>)].map(([k, x]) => `${quote(k)}: ${inspect(x, depth - 1, inner)}`);
      return parts.length ? `${tag} { ${parts.join(', ')} }` : `${tag} {}`;
    }
    return `${name}{}`;
  }
  const body = keys.map((k) => `${/^[A-Za-z_$][\w$]*$/.test(k) ? k : quote(k)}: ${inspect((v as Record<string, unknown>)[k], depth - 1, inner)}`).join(', ');
  return `${name}{ ${body} }`;
}

/** Node-style quoting of strings nested in objects. */
function quote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'").replace(/\n/g, '\\n')}'`;
}
const PLATFORM_FIELDS: Record<string, string[]> = {
  URL: ['href', 'origin', 'protocol', 'username', 'password', 'host', 'hostname', 'port', 'pathname', 'search', 'hash'],
  Request: ['method', 'url', 'headers', 'bodyUsed', 'redirect', 'signal'],
  Response: ['status', 'statusText', 'ok', 'type', 'url', 'redirected', 'headers', 'bodyUsed'],
  Blob: ['size', 'type'],
  File: ['name', 'size', 'type', 'lastModified'],
  AbortSignal: ['aborted', 'reason'],
  Event: ['type', 'defaultPrevented', 'cancelable', 'timeStamp'],
  CryptoKey: ['type', 'extractable', 'algorithm', 'usages'],
};
const PAIR_ITERABLES = new Set(['Headers', 'URLSearchParams', 'FormData']);

export function format(args: unknown[]): string {
  const first = args[0];
  let rest = args;
  let out = '';
  if (typeof first === 'string' && args.length > 1 && first.includes('%')) {
    let i = 1;
    out = first.replace(/%([sdifoOjc%])/g, (m, c: string) => {
      if (c === '%') return '%';
      if (i >= args.length) return m;
      const a = args[i++];
      switch (c) {
        case 's': return typeof a === 'string' ? a : inspect(a, 1, new Set([{}]));
        case 'd': case 'i': return typeof a === 'symbol' ? 'NaN' : String(c === 'i' ? parseInt(String(a)) : Number(a));
        case 'f': return typeof a === 'symbol' ? 'NaN' : String(parseFloat(String(a)));
        case 'c': return '';
        default: return inspect(a, 4, new Set([{}]));
      }
    });
    rest = args.slice(i);
    if (rest.length === 0) return out;
    return out + ' ' + rest.map((a) => inspect(a)).join(' ');
  }
  return rest.map((a) => inspect(a)).join(' ');
}

let groupIndent = '';
const counts = new Map<string, number>();
const timings = new Map<string, number>();
// Telemetry of console lines (40_otel.ts): [] untraced, [traceId, spanId, flags] a log record, null over the invocation's limit.
let consoleTelemetry: () => readonly unknown[] | null = () => [];
export function setConsoleTelemetry(fn: () => readonly unknown[] | null): void { consoleTelemetry = fn; }
function emit(severity: number, args: unknown[]): void {
  const t = consoleTelemetry();
  if (t === null) return;
  let msg = format(args);
  if (groupIndent) msg = msg.split('\n').map((l) => groupIndent + l).join('\n');
  if (t.length) op('console', severity, currentInvocation(), msg, ...t);
  else op('console', severity, currentInvocation(), msg);
}
const DEBUG = 5, INFO = 9, WARN = 13, ERROR = 17;
const consoleObject = {
  log: (...a: unknown[]) => emit(INFO, a),
  info: (...a: unknown[]) => emit(INFO, a),
  debug: (...a: unknown[]) => emit(DEBUG, a),
  warn: (...a: unknown[]) => emit(WARN, a),
  error: (...a: unknown[]) => emit(ERROR, a),
  trace: (...a: unknown[]) => emit(DEBUG, ['Trace' + (a.length ? ': ' + format(a) : ''), '\n' + (new Error().stack ?? '').split('\n').slice(2).join('\n')]),
  assert: (cond?: unknown, ...a: unknown[]) => { if (!cond) emit(ERROR, a.length ? (typeof a[0] === 'string' ? [`Assertion failed: ${a[0]}`, ...a.slice(1)] : ['Assertion failed:', ...a]) : ['Assertion failed']); },
  dir: (v?: unknown) => emit(INFO, [inspect(v, 2, new Set([{}]))]),
  dirxml: (...a: unknown[]) => emit(INFO, a),
  table: (...a: unknown[]) => emit(INFO, a),
  count: (label = 'default') => { const n = (counts.get(String(label)) ?? 0) + 1; counts.set(String(label), n); emit(INFO, [`${label}: ${n}`]); },
  countReset: (label = 'default') => { if (counts.has(String(label))) counts.set(String(label), 0); else emit(WARN, [`Count for '${label}' does not exist`]); },
  group: (...a: unknown[]) => { if (a.length) emit(INFO, a); groupIndent += '  '; },
  groupCollapsed: (...a: unknown[]) => { if (a.length) emit(INFO, a); groupIndent += '  '; },
  groupEnd: () => { groupIndent = groupIndent.slice(2); },
  time: (label = 'default') => { if (timings.has(String(label))) emit(WARN, [`Timer '${label}' already exists`]); else timings.set(String(label), hostNow()); },
  timeLog: (label = 'default', ...a: unknown[]) => { const t = timings.get(String(label)); if (t === undefined) emit(WARN, [`Timer '${label}' does not exist`]); else emit(INFO, [`${label}: ${(hostNow() - t).toFixed(3)}ms`, ...a]); },
  timeEnd: (label = 'default') => { const t = timings.get(String(label)); if (t === undefined) emit(WARN, [`Timer '${label}' does not exist`]); else { timings.delete(String(label)); emit(INFO, [`${label}: ${(hostNow() - t).toFixed(3)}ms`]); } },
};
Object.defineProperty(consoleObject, Symbol.toStringTag, { value: 'console' });
expose('console', consoleObject);

// ---- performance (HR-Time): monotonic clock from the host, origin = sandbox creation.
let constructing = false;
export class Performance extends EventTarget {
  constructor() { if (!constructing) throw new TypeError('Illegal constructor'); super(); }
  now(): number { return hostNow(); }
  get timeOrigin(): number { return timeOrigin; }
  toJSON(): { timeOrigin: number } { return { timeOrigin }; }
  override get [Symbol.toStringTag](): string { return 'Performance'; }
}
constructing = true;
const performanceObject = new Performance();
constructing = false;
expose('Performance', Performance);
expose('performance', performanceObject);

export class Navigator {
  constructor() { if (!constructing) throw new TypeError('Illegal constructor'); }
  get userAgent(): string { return 'isotel'; }
  get [Symbol.toStringTag](): string { return 'Navigator'; }
}
constructing = true;
const navigatorObject = new Navigator();
constructing = false;
expose('Navigator', Navigator);
expose('navigator', navigatorObject);
expose('self', globalThis);
