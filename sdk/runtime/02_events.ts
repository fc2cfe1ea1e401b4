/**
 * DOM events: Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent,
 * MessageEvent, AbortController, AbortSignal (DOM §2, §3; HTML §8.1.7). State lives in
 * WeakMaps so globalThis itself can be an EventTarget (ECMA-429 "The global scope").
 */
import { expose } from './00_bootstrap.js';

const DOMExc = (globalThis as any).DOMException as new (message?: string, name?: string) => Error;

interface EventState {
  type: string;
  bubbles: boolean;
  cancelable: boolean;
  composed: boolean;
  defaultPrevented: boolean;
  stop: boolean;
  stopImmediate: boolean;
  dispatching: boolean;
  initialized: boolean;
  isTrusted: boolean;
  target: EventTarget | null;
  currentTarget: EventTarget | null;
  phase: number;
  timeStamp: number;
  inPassive: boolean;
}
const eventState = new WeakMap<object, EventState>();
function es(e: unknown): EventState {
  const s = eventState.get(e as object);
  if (!s) throw new TypeError('Illegal invocation: not an Event');
  return s;
}

function toDict(init: unknown, what: string): Record<string, unknown> {
  if (init === undefined || init === null) return {};
  if (typeof init !== 'object' && typeof init !== 'function') throw new TypeError(`${what}: the init argument must be an object`);
  return init as Record<string, unknown>;
}

export class Event {
  static readonly NONE = 0;
  static readonly CAPTURING_PHASE = 1;
  static readonly AT_TARGET = 2;
  static readonly BUBBLING_PHASE = 3;
  constructor(type: string, eventInitDict?: EventInit) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'Event': 1 argument required, but only 0 present.");
    const init = toDict(eventInitDict, 'Event');
    eventState.set(this, {
      type: String(type), bubbles: !!init.bubbles, cancelable: !!init.cancelable, composed: !!init.composed,
      defaultPrevented: false, stop: false, stopImmediate: false, dispatching: false, initialized: true, isTrusted: false,
      target: null, currentTarget: null, phase: 0, timeStamp: Date.now(), inPassive: false,
    });
  }
  get type(): string { return es(this).type; }
  get target(): EventTarget | null { return es(this).target; }
  get srcElement(): EventTarget | null { return es(this).target; }
  get currentTarget(): EventTarget | null { return es(this).currentTarget; }
  composedPath(): EventTarget[] { const s = es(this); return s.dispatching && s.currentTarget ? [s.currentTarget] : []; }
  get eventPhase(): number { return es(this).phase; }
  stopPropagation(): void { es(this).stop = true; }
  get cancelBubble(): boolean { return es(this).stop; }
  set cancelBubble(v: boolean) { if (v) es(this).stop = true; }
  stopImmediatePropagation(): void { const s = es(this); s.stop = true; s.stopImmediate = true; }
  get bubbles(): boolean { return es(this).bubbles; }
  get cancelable(): boolean { return es(this).cancelable; }
  get returnValue(): boolean { return !es(this).defaultPrevented; }
  set returnValue(v: boolean) { if (!v) this.preventDefault(); }
  preventDefault(): void { const s = es(this); if (s.cancelable && !s.inPassive) s.defaultPrevented = true; }
  get defaultPrevented(): boolean { return es(this).defaultPrevented; }
  get composed(): boolean { return es(this).composed; }
  get isTrusted(): boolean { return es(this).isTrusted; }
  get timeStamp(): number { return es(this).timeStamp; }
  initEvent(type: string, bubbles = false, cancelable = false): void {
    const s = es(this);
    if (s.dispatching) return;
    Object.assign(s, { type: String(type), bubbles: !!bubbles, cancelable: !!cancelable, stop: false, stopImmediate: false, defaultPrevented: false, target: null });
  }
  get [Symbol.toStringTag](): string { return 'Event'; }
}
for (const [k, v] of [['NONE', 0], ['CAPTURING_PHASE', 1], ['AT_TARGET', 2], ['BUBBLING_PHASE', 3]] as const) {
  Object.defineProperty(Event.prototype, k, { value: v, enumerable: true });
}
export interface EventInit { bubbles?: boolean; cancelable?: boolean; composed?: boolean }

/** Marks an event as dispatched by the runtime itself (isTrusted). */
export function markTrusted(e: Event): void { es(e).isTrusted = true; }

type Listener = ((e: Event) => unknown) | { handleEvent(e: Event): unknown };
interface ListenerEntry { callback: Listener; capture: boolean; once: boolean; passive: boolean; removed: boolean; signal?: AbortSignal }
const listeners = new WeakMap<object, Map<string, ListenerEntry[]>>();
function listenerMap(t: object): Map<string, ListenerEntry[]> {
  let m = listeners.get(t);
  if (!m) listeners.set(t, (m = new Map()));
  return m;
}

let reportException: (e: unknown) => void = (e) => { throw e; };
/** Set by the timers module: how a listener's exception is reported (HTML "report an exception"). */
export function setReportException(fn: (e: unknown) => void): void { reportException = fn; }

function flatten(options: unknown): { capture: boolean; once: boolean; passive: boolean | undefined; signal: AbortSignal | undefined } {
  if (typeof options === 'boolean') return { capture: options, once: false, passive: undefined, signal: undefined };
  if (options === null || options === undefined || typeof options !== 'object') return { capture: !!options, once: false, passive: undefined, signal: undefined };
  const o = options as Record<string, unknown>;
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new TypeError("addEventListener: 'signal' must be an AbortSignal");
  return { capture: !!o.capture, once: !!o.once, passive: o.passive === undefined ? undefined : !!o.passive, signal: signal as AbortSignal | undefined };
}

export class EventTarget {
  constructor() { listenerMap(this); }
  addEventListener(type: string, callback: Listener | null, options?: boolean | AddEventListenerOptions): void {
    if (arguments.length < 2) throw new TypeError(`addEventListener: 2 arguments required, but only ${arguments.length} present.`);
    const self = (this ?? globalThis) as object;
    const { capture, once, passive, signal } = flatten(options);
    if (callback === null || callback === undefined) return;
    if (typeof callback !== 'function' && typeof callback !== 'object') throw new TypeError('addEventListener: the listener must be an object or a function');
    if (signal?.aborted) return;
    const m = listenerMap(self);
    const t = String(type);
    let list = m.get(t);
    if (!list) m.set(t, (list = []));
    if (list.some((l) => l.callback === callback && l.capture === capture)) return;
    const entry: ListenerEntry = { callback, capture, once, passive: passive ?? false, removed: false };
    list.push(entry);
    signal?.addEventListener('abort', () => this.removeEventListener(t, callback, { capture }));
  }
  removeEventListener(type: string, callback: Listener | null, options?: boolean | EventListenerOptions): void {
    if (arguments.length < 2) throw new TypeError(`removeEventListener: 2 arguments required, but only ${arguments.length} present.`);
    const self = (this ?? globalThis) as object;
    const capture = typeof options === 'boolean' ? options : !!(options as EventListenerOptions | undefined)?.capture;
    const list = listenerMap(self).get(String(type));
    if (!list) return;
    const i = list.findIndex((l) => l.callback === callback && l.capture === capture);
    if (i >= 0) { list[i]!.removed = true; list.splice(i, 1); }
  }
  dispatchEvent(event: Event): boolean {
    const s = es(event);
    if (s.dispatching || !s.initialized) throw new DOMExc('The event is already being dispatched.', 'InvalidStateError');
    s.isTrusted = s.isTrusted && false;
    return dispatch((this ?? globalThis) as EventTarget, event);
  }
  get [Symbol.toStringTag](): string { return 'EventTarget'; }
}
export interface EventListenerOptions { capture?: boolean }
export interface AddEventListenerOptions extends EventListenerOptions { once?: boolean; passive?: boolean; signal?: AbortSignal }

/** Event handler attributes (`onabort`, `onmessage`, …): the IDL attribute holds one listener. */
const handlerAttrs = new WeakMap<object, Map<string, { fn: unknown; wrapper: (e: Event) => unknown }>>();
export function defineEventHandler(proto: object, name: string): void {
  Object.defineProperty(proto, `on${name}`, {
    configurable: true, enumerable: true,
    get(this: object) { return handlerAttrs.get(this ?? globalThis)?.get(name)?.fn ?? null; },
    set(this: EventTarget, fn: unknown) {
      const self = (this ?? globalThis) as EventTarget;
      let m = handlerAttrs.get(self);
      if (!m) handlerAttrs.set(self, (m = new Map()));
      const old = m.get(name);
      if (typeof fn !== 'function' && (typeof fn !== 'object' || fn === null)) fn = null;
      if (fn === null) {
        if (old) { EventTarget.prototype.removeEventListener.call(self, name, old.wrapper); m.delete(name); }
        return;
      }
      if (old) { old.fn = fn; return; }
      const entry = {
        fn,
        wrapper(this: unknown, e: Event) {
          const f = entry.fn;
          if (typeof f !== 'function') return;
          // HTML "the event handler processing algorithm": error handlers get (message, …) and cancel on true.
          if (name === 'error' && e instanceof ErrorEvent && self === (globalThis as unknown)) {
            const r = f.call(self, e.message, e.filename, e.lineno, e.colno, e.error);
            if (r === true) e.preventDefault();
            return;
          }
          const r = f.call(self, e);
          if (r === false) e.preventDefault();
        },
      };
      m.set(name, entry);
      EventTarget.prototype.addEventListener.call(self, name, entry.wrapper);
    },
  });
}

function dispatch(target: EventTarget, event: Event): boolean {
  const s = es(event);
  s.dispatching = true;
  s.target = target;
  s.currentTarget = target;
  s.phase = 2;
  try {
    const list = listenerMap(target).get(s.type);
    if (list && list.length > 0) {
      // Capture listeners run before bubble listeners at the target (DOM "inner invoke", two passes).
      for (const phaseCapture of [true, false]) {
        for (const l of list.slice()) {
          if (l.removed || l.capture !== phaseCapture) continue;
          if (l.once) EventTarget.prototype.removeEventListener.call(target, s.type, l.callback, { capture: l.capture });
          s.inPassive = l.passive;
          try {
            if (typeof l.callback === 'function') l.callback.call(target, event);
            else {
              const h = (l.callback as { handleEvent?: unknown }).handleEvent;
              if (typeof h !== 'function') throw new TypeError("The listener object has no callable 'handleEvent'");
              h.call(l.callback, event);
            }
          } catch (err) {
            reportException(err);
          }
          s.inPassive = false;
          if (s.stopImmediate) break;
        }
        if (s.stopImmediate) break;
      }
    }
  } finally {
    s.dispatching = false;
    s.phase = 0;
    s.currentTarget = null;
    s.stop = false;
    s.stopImmediate = false;
  }
  return !s.defaultPrevented;
}

export class CustomEvent<T = unknown> extends Event {
  #detail: T | null;
  constructor(type: string, init?: EventInit & { detail?: T }) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'CustomEvent': 1 argument required.");
    super(type, init);
    this.#detail = (toDict(init, 'CustomEvent').detail as T | undefined) ?? null;
  }
  get detail(): T | null { return this.#detail; }
  initCustomEvent(type: string, bubbles = false, cancelable = false, detail: T | null = null): void {
    if (es(this).dispatching) return;
    this.initEvent(type, bubbles, cancelable);
    this.#detail = detail;
  }
  override get [Symbol.toStringTag](): string { return 'CustomEvent'; }
}

export class ErrorEvent extends Event {
  readonly #i: { message: string; filename: string; lineno: number; colno: number; error: unknown };
  constructor(type: string, init?: EventInit & { message?: string; filename?: string; lineno?: number; colno?: number; error?: unknown }) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'ErrorEvent': 1 argument required.");
    super(type, init);
    const d = toDict(init, 'ErrorEvent');
    this.#i = { message: d.message === undefined ? '' : String(d.message), filename: d.filename === undefined ? '' : String(d.filename), lineno: Number(d.lineno ?? 0) >>> 0, colno: Number(d.colno ?? 0) >>> 0, error: d.error };
  }
  get message(): string { return this.#i.message; }
  get filename(): string { return this.#i.filename; }
  get lineno(): number { return this.#i.lineno; }
  get colno(): number { return this.#i.colno; }
  get error(): unknown { return this.#i.error; }
  override get [Symbol.toStringTag](): string { return 'ErrorEvent'; }
}

export class PromiseRejectionEvent extends Event {
  readonly #promise: Promise<unknown>;
  readonly #reason: unknown;
  constructor(type: string, init: EventInit & { promise: Promise<unknown>; reason?: unknown }) {
    if (arguments.length < 2) throw new TypeError("Failed to construct 'PromiseRejectionEvent': 2 arguments required.");
    const d = toDict(init, 'PromiseRejectionEvent');
    if (!('promise' in d) || (typeof d.promise !== 'object' && typeof d.promise !== 'function') || d.promise === null) throw new TypeError("PromiseRejectionEvent: required member 'promise' is missing or not an object");
    super(type, init);
    this.#promise = d.promise as Promise<unknown>;
    this.#reason = d.reason;
  }
  get promise(): Promise<unknown> { return this.#promise; }
  get reason(): unknown { return this.#reason; }
  override get [Symbol.toStringTag](): string { return 'PromiseRejectionEvent'; }
}

export class MessageEvent<T = unknown> extends Event {
  readonly #i: { data: T; origin: string; lastEventId: string; source: unknown; ports: readonly unknown[] };
  constructor(type: string, init?: EventInit & { data?: T; origin?: string; lastEventId?: string; source?: unknown; ports?: unknown[] }) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'MessageEvent': 1 argument required.");
    super(type, init);
    const d = toDict(init, 'MessageEvent');
    const ports = d.ports === undefined ? [] : Array.from(d.ports as Iterable<unknown>);
    this.#i = { data: (d.data ?? null) as T, origin: String(d.origin ?? ''), lastEventId: String(d.lastEventId ?? ''), source: d.source ?? null, ports: Object.freeze(ports) };
  }
  get data(): T { return this.#i.data; }
  get origin(): string { return this.#i.origin; }
  get lastEventId(): string { return this.#i.lastEventId; }
  get source(): unknown { return this.#i.source; }
  get ports(): readonly unknown[] { return this.#i.ports; }
  override get [Symbol.toStringTag](): string { return 'MessageEvent'; }
}

// ---- AbortController / AbortSignal (DOM §3.1, §3.2)
const signalState = new WeakMap<object, { aborted: boolean; reason: unknown; algorithms: Set<() => void>; dependent: boolean; sources: Set<AbortSignal>; dependents: Set<AbortSignal> }>();
let constructingSignal = false;
function ss(s: unknown) {
  const st = signalState.get(s as object);
  if (!st) throw new TypeError('Illegal invocation: not an AbortSignal');
  return st;
}

export class AbortSignal extends EventTarget {
  constructor() {
    if (!constructingSignal) throw new TypeError('Illegal constructor');
    super();
    signalState.set(this, { aborted: false, reason: undefined, algorithms: new Set(), dependent: false, sources: new Set(), dependents: new Set() });
  }
  static abort(reason?: unknown): AbortSignal {
    const s = newSignal();
    const st = ss(s);
    st.aborted = true;
    st.reason = reason === undefined ? new DOMExc('This operation was aborted', 'AbortError') : reason;
    return s;
  }
  static timeout(ms: number): AbortSignal {
    const n = Number(ms);
    if (!Number.isFinite(n) || n < 0 || n > Number.MAX_SAFE_INTEGER) throw new TypeError(`AbortSignal.timeout: ${String(ms)} is not a valid unsigned long long`);
    const s = newSignal();
    weakTimer(() => signalAbort(s, new DOMExc('The operation timed out.', 'TimeoutError')), Math.trunc(n));
    return s;
  }
  static any(signals: Iterable<AbortSignal>): AbortSignal {
    const list = Array.from(signals);
    for (const x of list) if (!(x instanceof AbortSignal)) throw new TypeError('AbortSignal.any: every member must be an AbortSignal');
    const result = newSignal();
    const rs = ss(result);
    for (const x of list) {
      if (ss(x).aborted) { rs.aborted = true; rs.reason = ss(x).reason; return result; }
    }
    rs.dependent = true;
    for (const x of list) {
      const xs = ss(x);
      if (!xs.dependent) { rs.sources.add(x); xs.dependents.add(result); }
      else for (const src of xs.sources) { rs.sources.add(src); ss(src).dependents.add(result); }
    }
    return result;
  }
  get aborted(): boolean { return ss(this).aborted; }
  get reason(): unknown { return ss(this).reason; }
  throwIfAborted(): void { const st = ss(this); if (st.aborted) throw st.reason; }
  override get [Symbol.toStringTag](): string { return 'AbortSignal'; }
}
defineEventHandler(AbortSignal.prototype, 'abort');

/** A timer that does not keep `isotel run` waiting (DOM: the timeout signal's timer is not a pending task). Set by 03_globals. */
let weakTimer: (fn: () => void, ms: number) => void = (fn, ms) => { (globalThis as any).setTimeout(fn, ms); };
export function setWeakTimer(fn: (fn: () => void, ms: number) => void): void { weakTimer = fn; }

function newSignal(): AbortSignal {
  constructingSignal = true;
  try { return new AbortSignal(); } finally { constructingSignal = false; }
}

/** DOM "signal abort". */
export function signalAbort(signal: AbortSignal, reason: unknown): void {
  const st = ss(signal);
  if (st.aborted) return;
  st.aborted = true;
  st.reason = reason === undefined ? new DOMExc('This operation was aborted', 'AbortError') : reason;
  const toAbort: AbortSignal[] = [];
  for (const d of st.dependents) {
    const ds = ss(d);
    if (!ds.aborted) { ds.aborted = true; ds.reason = st.reason; toAbort.push(d); }
  }
  runAbortSteps(signal);
  for (const d of toAbort) runAbortSteps(d);
}
function runAbortSteps(signal: AbortSignal): void {
  const st = ss(signal);
  for (const alg of st.algorithms) alg();
  st.algorithms.clear();
  const e = new Event('abort');
  markTrusted(e);
  signal.dispatchEvent(e);
}
/** Internal "add an abort algorithm" (no event listener visible to user code). */
export function addAbortAlgorithm(signal: AbortSignal, alg: () => void): () => void {
  const st = ss(signal);
  if (st.aborted) return () => {};
  st.algorithms.add(alg);
  return () => st.algorithms.delete(alg);
}
export function newAbortSignal(): AbortSignal { return newSignal(); }

const controllerSignal = new WeakMap<object, AbortSignal>();
export class AbortController {
  constructor() { controllerSignal.set(this, newSignal()); }
  get signal(): AbortSignal {
    const s = controllerSignal.get(this);
    if (!s) throw new TypeError('Illegal invocation');
    return s;
  }
  abort(reason?: unknown): void { signalAbort(this.signal, reason); }
  get [Symbol.toStringTag](): string { return 'AbortController'; }
}

for (const [name, cls] of Object.entries({ Event, EventTarget, CustomEvent, ErrorEvent, PromiseRejectionEvent, MessageEvent, AbortController, AbortSignal })) expose(name, cls);

// The global scope is an EventTarget (ECMA-429 §"The global scope"): put EventTarget.prototype on its chain.
Object.setPrototypeOf(globalThis, EventTarget.prototype);
listenerMap(globalThis);
for (const n of ['error', 'unhandledrejection', 'rejectionhandled']) defineEventHandler(globalThis, n);

/** Whether `target` has listeners for `type` (the dispatcher checks for `fetch` listeners). */
export function hasListeners(target: object, type: string): boolean {
  return (listeners.get(target)?.get(type)?.length ?? 0) > 0;
}
