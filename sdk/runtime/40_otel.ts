/**
 * OpenTelemetry inside the isolate: the real `@opentelemetry/api` (one copy, carried
 * in this bundle, offered to functions as the built-in module `@opentelemetry/api`)
 * with isotel's TracerProvider, MeterProvider, ContextManager and W3C propagator
 * registered in the API's global slot before any request — as Deno's
 * ext/telemetry/telemetry.ts bootstrap() does.
 *
 * Spans and metric measurements live wholly in the isolate: no API call crosses the
 * boundary (ids come from a pool of host random bytes, times from the host clock
 * captured with the runtime). They are drained to the host as one JSON string
 * (sdk/protocol/telemetry.ts) when an invocation responds, when its last
 * waitUntil work settles, and whenever the buffer reaches its bound.
 *
 * Context without AsyncContext (V8 11.3): `context.with` / `startActiveSpan` hold
 * the context synchronously (a stack). After an `await` the stack is gone; the active
 * context is then the innermost `startActiveSpan` span still pending of the running
 * invocation, else the invocation's own span — as long as the runtime can tell which
 * invocation runs (while the handler runs synchronously, or when one invocation is
 * in flight). With two or more invocations in flight it cannot: code after an await
 * that does not pass a context explicitly gets ROOT_CONTEXT (a new trace), never
 * another invocation's context. docs/otel.md explains how to pass context explicitly.
 */
import * as api from '@opentelemetry/api';
import type { Attributes, AttributeValue, Context, ContextManager, Exception, Link, Span, SpanContext, SpanOptions, SpanStatus, TextMapGetter, TextMapPropagator, TextMapSetter, TimeInput, Tracer, TracerProvider } from '@opentelemetry/api';
import {
  INSTRUMENT_COUNTER, INSTRUMENT_GAUGE, INSTRUMENT_HISTOGRAM, INSTRUMENT_UP_DOWN_COUNTER, TELEMETRY_VERSION, parseLimits, parseTraceArgs,
  type DropCounts, type EventRecord, type FlatAttributes, type InstrumentKind, type InstrumentRecord, type InvokeTraceArgs, type LinkRecord, type PointRecord, type SpanRecord, type TelemetryBatch,
} from '../protocol/telemetry.js';
import { hostRandomBytes, op, timeOrigin } from './00_bootstrap.js';
import { setConsoleTelemetry } from './03_globals.js';
import { URL } from './04_url.js';
import { setFetchTelemetry } from './30_fetch.js';

// Captured before any user code runs: a function that replaces JSON.stringify cannot reach the drain.
const stringify = JSON.stringify;
const { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace, propagation, context: contextApi, metrics: metricsApi, isSpanContextValid, createTraceState } = api;

// ---------------------------------------------------------------- ids
const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push((i < 16 ? '0' : '') + i.toString(16));
let pool: Uint8Array = new Uint8Array(0);
let poolPos = 0;
function randomHex(bytes: number): string {
  if (poolPos + bytes > pool.length) { pool = hostRandomBytes(8192); poolPos = 0; }
  let s = '';
  let zero = true;
  for (let i = 0; i < bytes; i++) { const b = pool[poolPos++]!; if (b) zero = false; s += HEX[b]; }
  return zero ? randomHex(bytes) : s; // all-zero ids are invalid
}

// ---------------------------------------------------------------- time
/**
 * TimeInput → ms since the sandbox time origin (the payload's time base). "Now" is Date.now(): millisecond
 * resolution, but free — a high-resolution read (performance.now()) is a synchronous host call costing ~25 µs,
 * more than a whole span. Spans are clamped into their invocation and never end before they start.
 */
const now = (): number => Date.now() - timeOrigin;
function toRelMs(t: TimeInput | undefined): number {
  if (t === undefined) return now();
  if (typeof t === 'number') return t > 1e11 ? t - timeOrigin : t; // epoch ms vs performance.now()
  if (t instanceof Date) return t.getTime() - timeOrigin;
  if (Array.isArray(t) && t.length === 2) return t[0] * 1e3 + t[1] / 1e6 - timeOrigin;
  return now();
}
function isTimeInput(v: unknown): v is TimeInput {
  return typeof v === 'number' || v instanceof Date || (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number');
}

// ---------------------------------------------------------------- invocations
interface Limits { spans: number; events: number; attributes: number; logs: number; points: number; valueLength: number }
interface Invocation {
  readonly id: string;
  readonly context: Context;
  readonly limits: Limits;
  /** The invocation span's start, ms since the time origin: author spans never start before it. */
  readonly startMs: number;
  spans: number;
  logs: number;
  points: number;
  readonly drops: DropCounts;
  /** Pending startActiveSpan callbacks that returned a promise, innermost last. */
  readonly pendingActive: Context[];
  ended: boolean;
}
const invocations = new Map<string, Invocation>();
/** Telemetry of code the runtime cannot attribute to one invocation (several in flight, after an await). */
let orphan: Invocation | null = null;
let lastLimits: Limits | null = null;
let lastLimitsKey = '';

let invocationLookup: () => string = () => '';
/** Set by the dispatcher: the invocation running now, '' when unknown. */
export function setOtelInvocationLookup(fn: () => string): void { invocationLookup = fn; }

function currentInvocation(): Invocation | undefined {
  const id = invocationLookup();
  return id ? invocations.get(id) : undefined;
}
function orphanInvocation(): Invocation | undefined {
  if (!lastLimits) return undefined;
  return orphan ??= { id: '', context: ROOT_CONTEXT, limits: lastLimits, startMs: 0, spans: 0, logs: 0, points: 0, drops: [0, 0, 0, 0, 0], pendingActive: [], ended: false };
}

// ---------------------------------------------------------------- context
const stack: Context[] = [];
class IsolateContextManager implements ContextManager {
  active(): Context {
    if (stack.length) return stack[stack.length - 1]!;
    const inv = currentInvocation();
    if (!inv) return ROOT_CONTEXT;
    return inv.pendingActive.length ? inv.pendingActive[inv.pendingActive.length - 1]! : inv.context;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(ctx: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    stack.push(ctx);
    try { return fn.call(thisArg as ThisParameterType<F>, ...args); } finally { stack.pop(); }
  }
  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    const run = this.with.bind(this);
    return function bound(this: unknown, ...a: unknown[]) { return run(ctx, () => fn.apply(this, a)); } as unknown as T;
  }
  enable(): this { return this; }
  disable(): this { stack.length = 0; return this; }
}

// ---------------------------------------------------------------- W3C propagation
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const BAGGAGE_MAX_BYTES = 8192;
const BAGGAGE_MAX_ENTRIES = 180;

export function parseTraceparent(header: string, tracestate: string): SpanContext | undefined {
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const sc: SpanContext = { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16) & 1, isRemote: true };
  if (!isSpanContextValid(sc)) return undefined;
  if (tracestate) { try { sc.traceState = createTraceState(tracestate); } catch { /* an invalid tracestate is dropped, per W3C */ } }
  return sc;
}
function parseBaggage(header: string, ctx: Context): Context {
  if (!header) return ctx;
  let bag = propagation.getBaggage(ctx) ?? propagation.createBaggage();
  let n = 0;
  for (const member of header.split(',')) {
    if (++n > BAGGAGE_MAX_ENTRIES) break;
    const [kv, ...props] = member.split(';');
    const eq = kv!.indexOf('=');
    if (eq <= 0) continue;
    const key = safeDecode(kv!.slice(0, eq).trim());
    const value = safeDecode(kv!.slice(eq + 1).trim());
    if (key === undefined || value === undefined || !key) continue;
    const metadata = props.length ? api.baggageEntryMetadataFromString(props.join(';')) : undefined;
    bag = bag.setEntry(key, metadata ? { value, metadata } : { value });
  }
  return propagation.setBaggage(ctx, bag);
}
function safeDecode(s: string): string | undefined {
  try { return decodeURIComponent(s); } catch { return undefined; }
}

class W3CPropagator implements TextMapPropagator {
  inject(ctx: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(ctx);
    if (sc && isSpanContextValid(sc)) {
      setter.set(carrier, 'traceparent', `00-${sc.traceId}-${sc.spanId}-0${Number(sc.traceFlags || 0) & 1}`);
      const ts = sc.traceState?.serialize();
      if (ts) setter.set(carrier, 'tracestate', ts);
    }
    const bag = propagation.getBaggage(ctx);
    if (bag) {
      let out = '';
      for (const [k, e] of bag.getAllEntries()) {
        const item = `${encodeURIComponent(k)}=${encodeURIComponent(e.value)}${e.metadata ? ';' + e.metadata.toString() : ''}`;
        if (out.length + item.length + 1 > BAGGAGE_MAX_BYTES) break;
        out = out ? `${out},${item}` : item;
      }
      if (out) setter.set(carrier, 'baggage', out);
    }
  }
  extract(ctx: Context, carrier: unknown, getter: TextMapGetter): Context {
    const first = (k: string): string => { const v = getter.get(carrier, k); return Array.isArray(v) ? v.join(',') : v ?? ''; };
    const tp = first('traceparent');
    let out = ctx;
    if (tp) {
      const sc = parseTraceparent(Array.isArray(getter.get(carrier, 'traceparent')) ? (getter.get(carrier, 'traceparent') as string[])[0]! : tp, first('tracestate'));
      if (sc) out = trace.setSpanContext(out, sc);
    }
    return parseBaggage(first('baggage'), out);
  }
  fields(): string[] { return ['traceparent', 'tracestate', 'baggage']; }
}

// ---------------------------------------------------------------- attributes
function validValue(v: unknown): v is AttributeValue {
  switch (typeof v) {
    case 'string': case 'boolean': return true;
    case 'number': return true;
    case 'object': {
      if (!Array.isArray(v)) return false;
      let t: string | undefined;
      for (const x of v) {
        if (x === null || x === undefined) continue;
        const tx = typeof x;
        if (tx !== 'string' && tx !== 'number' && tx !== 'boolean') return false;
        if (t === undefined) t = tx; else if (t !== tx) return false;
      }
      return true;
    }
    default: return false;
  }
}
function clampValue(v: AttributeValue, max: number): FlatAttributes[number] {
  if (typeof v === 'string') return v.length > max ? v.slice(0, max) : v;
  if (Array.isArray(v)) return (v as Array<string | number | boolean | null | undefined>).map((x) => (x === undefined ? null : typeof x === 'string' && x.length > max ? x.slice(0, max) : x));
  return v as number | boolean;
}
/** One attribute into a flat list (replacing the key's value when `dedupe`); returns 1 when dropped by the limit. */
function putOne(target: FlatAttributes, dedupe: boolean, k: string, v: unknown, limits: Limits): number {
  if (!k || v === undefined || !validValue(v)) return 0;
  if (dedupe) {
    for (let i = 0; i < target.length; i += 2) if (target[i] === k) { target[i + 1] = clampValue(v, limits.valueLength); return 0; }
  }
  if (target.length >= limits.attributes * 2) return 1;
  target.push(k, clampValue(v, limits.valueLength));
  return 0;
}
/** Attributes into a flat list with at most `limits.attributes` entries; returns how many were dropped. */
function putAttributes(target: FlatAttributes, dedupe: boolean, attrs: Attributes | undefined, limits: Limits): number {
  if (!attrs) return 0;
  let dropped = 0;
  for (const k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) dropped += putOne(target, dedupe, k, attrs[k], limits);
  return dropped;
}

// ---------------------------------------------------------------- spans
const scopes: Array<[string, string, string]> = [];
const scopeIndex = new Map<string, number>();
function scopeFor(name: string, version: string, schemaUrl: string): number {
  const key = `${name}\u0000${version}\u0000${schemaUrl}`;
  let i = scopeIndex.get(key);
  if (i === undefined) { i = scopes.length; scopes.push([name, version, schemaUrl]); scopeIndex.set(key, i); }
  return i;
}

/** Ended spans of every invocation, drained in order. Bounded by FLUSH_AT: a full buffer drains at once. */
let ended: SpanRecord[] = [];
/** Trace and parent ids of the previous record in `ended`: repeats are sent as 0 (most spans of a batch share them). */
let prevTrace = '';
let prevParent = '';
const FLUSH_AT = 256;

class IsolateSpan implements Span {
  readonly #inv: Invocation;
  readonly #sc: SpanContext;
  readonly #parentSpanId: string;
  readonly #parentIsRemote: boolean;
  readonly #scope: number;
  readonly #kind: number;
  readonly #start: number;
  #name: string;
  readonly #attributes: FlatAttributes = [];
  #events: EventRecord[] | null = null;
  #links: LinkRecord[] | null = null;
  #status: SpanStatus = { code: SpanStatusCode.UNSET };
  #droppedAttributes = 0;
  #droppedEvents = 0;
  #droppedLinks = 0;
  #ended = false;

  constructor(inv: Invocation, scope: number, name: string, sc: SpanContext, parent: SpanContext | undefined, options: SpanOptions) {
    this.#inv = inv;
    this.#scope = scope;
    this.#name = String(name);
    this.#sc = sc;
    this.#parentSpanId = parent?.spanId ?? '';
    this.#parentIsRemote = parent?.isRemote === true;
    this.#kind = typeof options.kind === 'number' && options.kind >= 0 && options.kind <= 4 ? options.kind : SpanKind.INTERNAL;
    this.#start = options.startTime === undefined ? Math.max(now(), inv.startMs) : toRelMs(options.startTime);
    this.#droppedAttributes += putAttributes(this.#attributes, false, options.attributes, inv.limits);
    if (options.links) this.addLinks(options.links);
  }
  /** The invocation this span is counted against (fetch and console use it). */
  get invocation(): Invocation { return this.#inv; }
  spanContext(): SpanContext { return this.#sc; }
  setAttribute(key: string, value: AttributeValue): this {
    if (this.#ended) return this;
    const d = putOne(this.#attributes, true, String(key), value, this.#inv.limits);
    if (d) { this.#droppedAttributes += d; this.#inv.drops[2] += d; }
    return this;
  }
  setAttributes(attributes: Attributes): this {
    if (this.#ended) return this;
    const d = putAttributes(this.#attributes, true, attributes, this.#inv.limits);
    if (d) { this.#droppedAttributes += d; this.#inv.drops[2] += d; }
    return this;
  }
  addEvent(name: string, attributesOrStartTime?: Attributes | TimeInput, startTime?: TimeInput): this {
    if (this.#ended) return this;
    const limits = this.#inv.limits;
    this.#events ??= [];
    if (this.#events.length >= limits.events) { this.#droppedEvents++; this.#inv.drops[1]++; return this; }
    let attrs: Attributes | undefined;
    let time = startTime;
    if (isTimeInput(attributesOrStartTime)) time = attributesOrStartTime; else attrs = attributesOrStartTime;
    const flat: FlatAttributes = [];
    const d = putAttributes(flat, false, attrs, limits);
    if (d) this.#inv.drops[2] += d;
    this.#events.push([String(name), toRelMs(time), flat, d]);
    return this;
  }
  addLink(link: Link): this {
    if (this.#ended || !link?.context || !isSpanContextValid(link.context)) return this;
    this.#links ??= [];
    if (this.#links.length >= this.#inv.limits.events) { this.#droppedLinks++; return this; }
    const flat: FlatAttributes = [];
    const d = putAttributes(flat, false, link.attributes, this.#inv.limits);
    this.#links.push([link.context.traceId, link.context.spanId, link.context.traceFlags, link.context.traceState?.serialize() ?? '', flat, d]);
    return this;
  }
  addLinks(links: Link[]): this {
    for (const l of links) this.addLink(l);
    return this;
  }
  setStatus(status: SpanStatus): this {
    if (this.#ended || !status) return this;
    if (this.#status.code === SpanStatusCode.OK) return this; // OK is final (spec)
    if (status.code === SpanStatusCode.UNSET) return this;
    this.#status = status.code === SpanStatusCode.ERROR ? { code: status.code, message: String(status.message ?? '') } : { code: SpanStatusCode.OK };
    return this;
  }
  updateName(name: string): this {
    if (!this.#ended) this.#name = String(name);
    return this;
  }
  end(endTime?: TimeInput): void {
    if (this.#ended) return;
    this.#ended = true;
    let end = toRelMs(endTime);
    if (end < this.#start) end = this.#start;
    const sc = this.#sc;
    const trace = sc.traceId === prevTrace ? 0 : (prevTrace = sc.traceId);
    const parent = this.#parentSpanId === prevParent ? 0 : (prevParent = this.#parentSpanId);
    ended.push([this.#scope, trace, sc.spanId, parent, sc.traceFlags, sc.traceState?.serialize() ?? '', this.#name, this.#kind, this.#start, end,
      this.#status.code, this.#status.message ?? '', this.#attributes, this.#events ?? [], this.#links ?? [], this.#droppedAttributes, this.#droppedEvents, this.#droppedLinks, this.#parentIsRemote]);
    if (ended.length >= FLUSH_AT) drain(this.#inv.id, false);
  }
  isRecording(): boolean { return !this.#ended; }
  recordException(exception: Exception, time?: TimeInput): void {
    const attrs: Attributes = {};
    if (typeof exception === 'string') attrs['exception.message'] = exception;
    else if (exception) {
      const e = exception as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown };
      const type = e.name ?? e.code;
      if (type !== undefined) attrs['exception.type'] = String(type);
      if (e.message !== undefined) attrs['exception.message'] = String(e.message);
      if (typeof e.stack === 'string') attrs['exception.stacktrace'] = e.stack;
    }
    this.addEvent('exception', attrs, time);
  }
}

function ownerOf(parent: Context): Invocation | undefined {
  const p = trace.getSpan(parent);
  if (p instanceof IsolateSpan) return p.invocation;
  return currentInvocation();
}

class IsolateTracer implements Tracer {
  readonly #scope: number;
  constructor(scope: number) { this.#scope = scope; }
  startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): Span {
    if (options.root) ctx = trace.deleteSpan(ctx);
    const parent = trace.getSpanContext(ctx);
    const validParent = parent && isSpanContextValid(parent) ? parent : undefined;
    const inv = ownerOf(ctx) ?? (invocations.size ? orphanInvocation() : undefined);
    // Untraced (telemetry off, or outside any invocation): a non-recording span that still propagates the parent.
    if (!inv || inv.ended) return trace.wrapSpanContext(validParent ?? api.INVALID_SPAN_CONTEXT);
    if (validParent && !(validParent.traceFlags & TraceFlags.SAMPLED)) return trace.wrapSpanContext({ ...validParent, isRemote: false, spanId: randomHex(8) });
    if (inv.spans >= inv.limits.spans) {
      inv.drops[0]++;
      return trace.wrapSpanContext(validParent ?? api.INVALID_SPAN_CONTEXT);
    }
    inv.spans++;
    const sc: SpanContext = { traceId: validParent?.traceId ?? randomHex(16), spanId: randomHex(8), traceFlags: TraceFlags.SAMPLED, isRemote: false };
    if (validParent?.traceState) sc.traceState = validParent.traceState;
    return new IsolateSpan(inv, this.#scope, name, sc, validParent, options);
  }
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    let options: SpanOptions = {};
    let ctx: Context | undefined;
    let fn: F;
    if (rest.length <= 1) fn = rest[0] as F;
    else if (rest.length === 2) { options = (rest[0] ?? {}) as SpanOptions; fn = rest[1] as F; }
    else { options = (rest[0] ?? {}) as SpanOptions; ctx = rest[1] as Context | undefined; fn = rest[2] as F; }
    if (typeof fn !== 'function') throw new TypeError('startActiveSpan: the last argument must be a function');
    const parentCtx = ctx ?? contextApi.active();
    const span = this.startSpan(name, options, parentCtx);
    const spanCtx = trace.setSpan(parentCtx, span);
    const result = contextApi.with(spanCtx, fn as unknown as (s: Span) => ReturnType<F>, undefined, span);
    // An async callback: keep its span active for code after its awaits (the invocation's pending-active stack).
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function' && span instanceof IsolateSpan) {
      const pending = span.invocation.pendingActive;
      pending.push(spanCtx);
      const pop = () => { const i = pending.lastIndexOf(spanCtx); if (i !== -1) pending.splice(i, 1); };
      (result as unknown as PromiseLike<unknown>).then(pop, pop);
    }
    return result;
  }
}

class IsolateTracerProvider implements TracerProvider {
  readonly #tracers = new Map<number, IsolateTracer>();
  getTracer(name: string, version?: string, options?: { schemaUrl?: string }): Tracer {
    const i = scopeFor(String(name || 'unknown'), version ? String(version) : '', options?.schemaUrl ? String(options.schemaUrl) : '');
    let t = this.#tracers.get(i);
    if (!t) { t = new IsolateTracer(i); this.#tracers.set(i, t); }
    return t;
  }
}

// ---------------------------------------------------------------- metrics
interface Instrument { readonly index: number; readonly kind: InstrumentKind; readonly observed: boolean }
const instruments: InstrumentRecord[] = [];
const instrumentIndex = new Map<string, Instrument>();
/** Measurements since the last drain, by instrument and attribute set. */
let points = new Map<string, PointRecord>();
/** Last cumulative value of observable counters, by instrument and attribute set (to send deltas). */
const observedTotals = new Map<string, number>();
const MAX_OBSERVED = 10_000;
interface ObservableEntry { readonly inst: Instrument; readonly callbacks: Set<(r: { observe(v: number, a?: Attributes): void }) => unknown> }
const observables: ObservableEntry[] = [];
const batchCallbacks = new Set<{ cb: (r: { observe(o: unknown, v: number, a?: Attributes): void }) => unknown; insts: Set<unknown> }>();

function attrKey(flat: FlatAttributes): string {
  if (flat.length <= 2) return flat.length ? stringify(flat) : '';
  const pairs: Array<[string, unknown]> = [];
  for (let i = 0; i < flat.length; i += 2) pairs.push([flat[i] as string, flat[i + 1]]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return stringify(pairs);
}

function recordPoint(inst: Instrument, value: number, attrs: Attributes | undefined, inv: Invocation | undefined): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) return;
  if (inst.kind === INSTRUMENT_COUNTER && value < 0 && !inst.observed) return; // counters are monotonic (API spec: ignore)
  if (!inv || inv.ended) return;
  const flat: FlatAttributes = [];
  const dropped = putAttributes(flat, false, attrs, inv.limits);
  if (dropped) inv.drops[2] += dropped;
  const key = `${inst.index}\u0000${attrKey(flat)}`;
  const existing = points.get(key);
  if (inst.kind === INSTRUMENT_HISTOGRAM || !existing) {
    if (inv.points >= inv.limits.points) { inv.drops[4]++; return; }
    inv.points++;
  }
  if (!existing) { points.set(key, [inst.index, flat, [value]]); return; }
  const values = existing[2];
  if (inst.kind === INSTRUMENT_HISTOGRAM) values.push(value);
  else if (inst.kind === INSTRUMENT_GAUGE) values[0] = value;
  else values[0] = values[0]! + value;
}

function instrumentFor(scope: number, name: string, kind: InstrumentKind, observed: boolean, options: api.MetricOptions | undefined): Instrument {
  const key = `${scope}\u0000${name}\u0000${kind}`;
  let inst = instrumentIndex.get(key);
  if (!inst) {
    inst = { index: instruments.length, kind, observed };
    instruments.push([scope, String(name), kind, String(options?.unit ?? ''), String(options?.description ?? ''), options?.valueType === api.ValueType.INT ? 1 : 0, options?.advice?.explicitBucketBoundaries ? [...options.advice.explicitBucketBoundaries] : null]);
    instrumentIndex.set(key, inst);
  }
  return inst;
}

class SyncInstrument {
  readonly #inst: Instrument;
  constructor(inst: Instrument) { this.#inst = inst; }
  add(value: number, attributes?: Attributes): void { recordPoint(this.#inst, value, attributes, currentInvocation() ?? (invocations.size ? orphanInvocation() : undefined)); }
  record(value: number, attributes?: Attributes): void { this.add(value, attributes); }
}
class ObservableInstrument {
  readonly entry: ObservableEntry;
  constructor(inst: Instrument) { this.entry = { inst, callbacks: new Set() }; observables.push(this.entry); }
  addCallback(cb: (r: { observe(v: number, a?: Attributes): void }) => unknown): void { if (typeof cb === 'function') this.entry.callbacks.add(cb); }
  removeCallback(cb: (r: { observe(v: number, a?: Attributes): void }) => unknown): void { this.entry.callbacks.delete(cb); }
}

function observe(inst: Instrument, value: number, attrs: Attributes | undefined, inv: Invocation): void {
  if (inst.kind === INSTRUMENT_GAUGE) { recordPoint(inst, value, attrs, inv); return; }
  // Observable (up-down) counters report cumulative totals: send the change since the last observation.
  const flat: FlatAttributes = [];
  putAttributes(flat, false, attrs, inv.limits);
  const key = `${inst.index}\u0000${attrKey(flat)}`;
  const before = observedTotals.get(key);
  // Bounded like every buffer: past MAX_OBSERVED attribute sets, new ones are counted as dropped points.
  if (before === undefined && observedTotals.size >= MAX_OBSERVED) { inv.drops[4]++; return; }
  observedTotals.set(key, value);
  if (value !== (before ?? 0)) recordPoint(inst, value - (before ?? 0), attrs, inv);
}

/** Runs observable callbacks (on an invocation's last drain: "observed when an invocation finishes"). */
function collectObservables(inv: Invocation): void {
  for (const e of observables) {
    for (const cb of e.callbacks) {
      try { cb({ observe: (v, a) => observe(e.inst, v, a, inv) }); } catch { /* an author callback failing never fails the invocation */ }
    }
  }
  for (const b of batchCallbacks) {
    try {
      b.cb({ observe: (o, v, a) => { if (o instanceof ObservableInstrument && b.insts.has(o)) observe(o.entry.inst, v, a, inv); } });
    } catch { /* as above */ }
  }
}

class IsolateMeter implements api.Meter {
  readonly #scope: number;
  constructor(scope: number) { this.#scope = scope; }
  createCounter(name: string, o?: api.MetricOptions): api.Counter { return new SyncInstrument(instrumentFor(this.#scope, name, INSTRUMENT_COUNTER, false, o)) as unknown as api.Counter; }
  createUpDownCounter(name: string, o?: api.MetricOptions): api.UpDownCounter { return new SyncInstrument(instrumentFor(this.#scope, name, INSTRUMENT_UP_DOWN_COUNTER, false, o)) as unknown as api.UpDownCounter; }
  createHistogram(name: string, o?: api.MetricOptions): api.Histogram { return new SyncInstrument(instrumentFor(this.#scope, name, INSTRUMENT_HISTOGRAM, false, o)) as unknown as api.Histogram; }
  createGauge(name: string, o?: api.MetricOptions): api.Gauge { return new SyncInstrument(instrumentFor(this.#scope, name, INSTRUMENT_GAUGE, false, o)) as unknown as api.Gauge; }
  createObservableGauge(name: string, o?: api.MetricOptions): api.ObservableGauge { return new ObservableInstrument(instrumentFor(this.#scope, name, INSTRUMENT_GAUGE, true, o)) as unknown as api.ObservableGauge; }
  createObservableCounter(name: string, o?: api.MetricOptions): api.ObservableCounter { return new ObservableInstrument(instrumentFor(this.#scope, name, INSTRUMENT_COUNTER, true, o)) as unknown as api.ObservableCounter; }
  createObservableUpDownCounter(name: string, o?: api.MetricOptions): api.ObservableUpDownCounter { return new ObservableInstrument(instrumentFor(this.#scope, name, INSTRUMENT_UP_DOWN_COUNTER, true, o)) as unknown as api.ObservableUpDownCounter; }
  addBatchObservableCallback(cb: api.BatchObservableCallback, observables: api.Observable[]): void {
    if (typeof cb === 'function') batchCallbacks.add({ cb: cb as never, insts: new Set(observables) });
  }
  removeBatchObservableCallback(cb: api.BatchObservableCallback): void {
    for (const b of batchCallbacks) if (b.cb === (cb as never)) batchCallbacks.delete(b);
  }
}
class IsolateMeterProvider implements api.MeterProvider {
  readonly #meters = new Map<number, IsolateMeter>();
  getMeter(name: string, version?: string, options?: api.MeterOptions): api.Meter {
    const i = scopeFor(String(name || 'unknown'), version ? String(version) : '', options?.schemaUrl ? String(options.schemaUrl) : '');
    let m = this.#meters.get(i);
    if (!m) { m = new IsolateMeter(i); this.#meters.set(i, m); }
    return m;
  }
}

// ---------------------------------------------------------------- drain
const NO_DROPS: DropCounts = [0, 0, 0, 0, 0];
function takeDrops(inv: Invocation | null | undefined): DropCounts {
  if (!inv) return NO_DROPS;
  const d = inv.drops;
  if (!(d[0] || d[1] || d[2] || d[3] || d[4])) return NO_DROPS;
  const out: DropCounts = [d[0], d[1], d[2], d[3], d[4]];
  d[0] = d[1] = d[2] = d[3] = d[4] = 0;
  return out;
}
function addDrops(a: DropCounts, b: DropCounts): DropCounts {
  return b === NO_DROPS ? a : a === NO_DROPS ? b : [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3], a[4] + b[4]];
}

/** Sends everything buffered (all invocations' ended spans and measurements) to the host, tagged with `invocationId`. */
function drain(invocationId: string, final: boolean): void {
  const inv = invocations.get(invocationId);
  let drops = takeDrops(inv);
  if (final) drops = addDrops(drops, takeDrops(orphan));
  if (!ended.length && !points.size && drops === NO_DROPS) return;
  const batch: TelemetryBatch = { v: TELEMETRY_VERSION, o: timeOrigin, f: final, sc: scopes, s: ended, i: instruments, p: [...points.values()], d: drops };
  ended = [];
  prevTrace = prevParent = '';
  points = new Map();
  op('telemetry', invocationId, stringify(batch));
}

// ---------------------------------------------------------------- hooks for the dispatcher, console and fetch
/** A traced invocation starts: its context is the invocation span (a remote parent) plus incoming baggage. */
export function otelInvocationStart(invocationId: string, args: InvokeTraceArgs | null | undefined): void {
  if (!args) return;
  const { traceparent, tracestate, baggage, startUnixMs, limits: key } = parseTraceArgs(args);
  if (key !== lastLimitsKey || !lastLimits) {
    const l = parseLimits(key);
    lastLimits = { spans: l.spansPerInvocation, events: l.eventsPerSpan, attributes: l.attributesPerSpan, logs: l.logsPerInvocation, points: l.metricPointsPerInvocation, valueLength: l.attributeValueLength };
    lastLimitsKey = key;
  }
  const limits = lastLimits;
  let ctx = ROOT_CONTEXT;
  const sc = parseTraceparent(traceparent, tracestate);
  if (sc) ctx = trace.setSpanContext(ctx, sc);
  ctx = parseBaggage(baggage, ctx);
  invocations.set(invocationId, { id: invocationId, context: ctx, limits, startMs: startUnixMs - timeOrigin, spans: 0, logs: 0, points: 0, drops: [0, 0, 0, 0, 0], pendingActive: [], ended: false });
}
/**
 * The response is handed to the host. Nothing is sent here: the last drain follows within the same isolate
 * turn when the handler used no waitUntil, and one crossing per invocation is the budget. With waitUntil work
 * pending, what was recorded so far goes now, so the spans do not wait for background work.
 */
export function otelInvocationResponded(invocationId: string, backgroundPending: boolean): void {
  if (backgroundPending && invocations.has(invocationId)) drain(invocationId, false);
}
/** All work of the invocation settled (or it was aborted): the last drain. Idempotent. */
export function otelInvocationEnd(invocationId: string): void {
  const inv = invocations.get(invocationId);
  if (!inv) return;
  if (observables.length || batchCallbacks.size) collectObservables(inv);
  drain(invocationId, true);
  inv.ended = true;
  invocations.delete(invocationId);
  if (invocations.size === 0) orphan = null;
}

const NOT_TRACED: readonly unknown[] = [];
/**
 * console.* of a traced invocation: returns [traceId, spanId] to attach (the line becomes a log record on the
 * host), [] when untraced (printed only), or null when the invocation's log-record limit is reached (dropped, counted).
 */
export function otelConsoleRecord(): readonly unknown[] | null {
  const ctx = contextApi.active();
  const owner = ownerOf(ctx) ?? (invocations.size ? orphanInvocation() : undefined);
  if (!owner) return NOT_TRACED;
  if (owner.logs >= owner.limits.logs) { owner.drops[3]++; return null; }
  owner.logs++;
  const sc = trace.getSpanContext(ctx);
  return sc && isSpanContextValid(sc) ? [sc.traceId, sc.spanId, sc.traceFlags] : ['', '', 0];
}

/**
 * fetch() from a function: a CLIENT span (HTTP client semantic conventions) whose context is injected as
 * traceparent/tracestate/baggage into the outgoing headers. Returns null when the fetch is untraced.
 */
export interface FetchTrace { response(status: number): void; error(e: unknown): void }
const fetchTracer = new IsolateTracer(scopeFor('isotel.fetch', '', ''));
export function otelFetchStart(method: string, url: string, headers: string[]): FetchTrace | null {
  const parent = contextApi.active();
  const inv = ownerOf(parent);
  if (!inv && !invocations.size) return null;
  let u: { protocol: string; hostname: string; port: string } | undefined;
  try { u = new URL(url); } catch { u = undefined; }
  const scheme = u?.protocol.replace(':', '') ?? '';
  const attributes: Attributes = { 'http.request.method': method, 'url.full': url };
  if (u) {
    attributes['server.address'] = u.hostname;
    attributes['server.port'] = u.port ? Number(u.port) : scheme === 'https' ? 443 : 80;
    attributes['url.scheme'] = scheme;
  }
  const span = fetchTracer.startSpan(method, { kind: SpanKind.CLIENT, attributes }, parent);
  const ctx = trace.setSpan(parent, span);
  // The caller's own trace headers are replaced, never duplicated.
  for (let i = headers.length - 2; i >= 0; i -= 2) {
    const n = headers[i]!.toLowerCase();
    if (n === 'traceparent' || n === 'tracestate' || (n === 'baggage' && propagation.getBaggage(ctx))) headers.splice(i, 2);
  }
  propagator.inject(ctx, headers, { set: (c, k, v) => { (c as string[]).push(k, v); } });
  return {
    response(status) {
      span.setAttribute('http.response.status_code', status);
      if (status >= 400) { span.setAttribute('error.type', String(status)); span.setStatus({ code: SpanStatusCode.ERROR }); }
      span.end();
    },
    error(e) {
      const name = (e as { name?: unknown })?.name;
      span.setAttribute('error.type', typeof name === 'string' && name ? name : 'Error');
      span.recordException(e as Exception);
      span.setStatus({ code: SpanStatusCode.ERROR, message: String((e as { message?: unknown })?.message ?? e) });
      span.end();
    },
  };
}

// ---------------------------------------------------------------- registration (before any user code)
const propagator = new W3CPropagator();
contextApi.setGlobalContextManager(new IsolateContextManager());
propagation.setGlobalPropagator(propagator);
trace.setGlobalTracerProvider(new IsolateTracerProvider());
metricsApi.setGlobalMeterProvider(new IsolateMeterProvider());
setConsoleTelemetry(otelConsoleRecord);
setFetchTelemetry(otelFetchStart);

/** The namespace functions get for `import … from '@opentelemetry/api'`. */
export const otelApiModule: object = api;

/**
 * `isotel:otel`: helpers where the API is clumsy. `span(tracer, name, [options], fn)` runs `fn(span)` with the
 * span active; when `fn` returns (or its promise settles) the span ends, and a throw or rejection is recorded as
 * an exception event with ERROR status before it propagates.
 */
function span<T>(tracer: Tracer, name: string, optionsOrFn: SpanOptions | ((span: Span) => T), maybeFn?: (span: Span) => T): T {
  const fn = typeof optionsOrFn === 'function' ? optionsOrFn : maybeFn;
  const options = typeof optionsOrFn === 'function' ? {} : optionsOrFn ?? {};
  if (!tracer || typeof tracer.startActiveSpan !== 'function') throw new TypeError('span(tracer, name, [options], fn): the first argument must be a Tracer (trace.getTracer(...))');
  if (typeof fn !== 'function') throw new TypeError('span(tracer, name, [options], fn): the last argument must be a function');
  const fail = (s: Span, e: unknown): void => {
    s.recordException(e as Exception);
    s.setStatus({ code: SpanStatusCode.ERROR, message: String((e as { message?: unknown })?.message ?? e) });
  };
  return tracer.startActiveSpan(String(name), options, (s: Span) => {
    let result: T;
    try { result = fn(s); } catch (e) { fail(s, e); s.end(); throw e; }
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      return (result as unknown as PromiseLike<unknown>).then(
        (v) => { s.end(); return v; },
        (e: unknown) => { fail(s, e); s.end(); throw e; },
      ) as unknown as T;
    }
    s.end();
    return result;
  });
}
export const otelHelpersModule: object = Object.freeze({ span });
