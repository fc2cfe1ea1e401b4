/**
 * WebIDL DOMException, HTML's atob/btoa (forgiving-base64) and structuredClone
 * (HTML StructuredSerialize/Deserialize for the types that exist in an isolate).
 * Written here instead of taken from core-js: core-js's shared feature detection
 * cost ~28 ms per isolate at creation (measured), the rest of the runtime ~3 ms.
 */
import { expose } from './00_bootstrap.js';

const LEGACY_CODES: Record<string, number> = {
  IndexSizeError: 1, HierarchyRequestError: 3, WrongDocumentError: 4, InvalidCharacterError: 5, NoModificationAllowedError: 7,
  NotFoundError: 8, NotSupportedError: 9, InUseAttributeError: 10, InvalidStateError: 11, SyntaxError: 12, InvalidModificationError: 13,
  NamespaceError: 14, InvalidAccessError: 15, TypeMismatchError: 17, SecurityError: 18, NetworkError: 19, AbortError: 20,
  URLMismatchError: 21, QuotaExceededError: 22, TimeoutError: 23, InvalidNodeTypeError: 24, DataCloneError: 25,
};
const CONSTANTS: Array<[string, number]> = [
  ['INDEX_SIZE_ERR', 1], ['DOMSTRING_SIZE_ERR', 2], ['HIERARCHY_REQUEST_ERR', 3], ['WRONG_DOCUMENT_ERR', 4], ['INVALID_CHARACTER_ERR', 5],
  ['NO_DATA_ALLOWED_ERR', 6], ['NO_MODIFICATION_ALLOWED_ERR', 7], ['NOT_FOUND_ERR', 8], ['NOT_SUPPORTED_ERR', 9], ['INUSE_ATTRIBUTE_ERR', 10],
  ['INVALID_STATE_ERR', 11], ['SYNTAX_ERR', 12], ['INVALID_MODIFICATION_ERR', 13], ['NAMESPACE_ERR', 14], ['INVALID_ACCESS_ERR', 15],
  ['VALIDATION_ERR', 16], ['TYPE_MISMATCH_ERR', 17], ['SECURITY_ERR', 18], ['NETWORK_ERR', 19], ['ABORT_ERR', 20], ['URL_MISMATCH_ERR', 21],
  ['QUOTA_EXCEEDED_ERR', 22], ['TIMEOUT_ERR', 23], ['INVALID_NODE_TYPE_ERR', 24], ['DATA_CLONE_ERR', 25],
];

const domState = new WeakMap<object, { name: string; message: string }>();
function ds(e: unknown) {
  const s = domState.get(e as object);
  if (!s) throw new TypeError('Illegal invocation: not a DOMException');
  return s;
}

/** WebIDL §3.14.1. A function (not `class extends Error`) so name/message stay prototype accessors. */
export const DOMException = function DOMException(this: object, message?: unknown, name?: unknown) {
  if (!new.target) throw new TypeError("Class constructor DOMException cannot be invoked without 'new'");
  domState.set(this, { message: message === undefined ? '' : String(message), name: name === undefined ? 'Error' : String(name) });
  (Error as unknown as { captureStackTrace?: (o: object, c: unknown) => void }).captureStackTrace?.(this, new.target);
} as unknown as { new (message?: string, name?: string): Error & { code: number }; prototype: Error };
Object.setPrototypeOf(DOMException.prototype, Error.prototype);
Object.defineProperties(DOMException.prototype, {
  name: { get() { return ds(this).name; }, enumerable: true, configurable: true },
  message: { get() { return ds(this).message; }, enumerable: true, configurable: true },
  code: { get() { return LEGACY_CODES[ds(this).name] ?? 0; }, enumerable: true, configurable: true },
  [Symbol.toStringTag]: { value: 'DOMException', configurable: true },
});
for (const [k, v] of CONSTANTS) {
  Object.defineProperty(DOMException, k, { value: v, enumerable: true });
  Object.defineProperty(DOMException.prototype, k, { value: v, enumerable: true });
}
expose('DOMException', DOMException);

// ---- atob / btoa
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export function btoa(data: unknown): string {
  if (arguments.length === 0) throw new TypeError('btoa: 1 argument required');
  const s = String(data);
  let out = '';
  for (let i = 0; i < s.length; i += 3) {
    const a = s.charCodeAt(i), b = s.charCodeAt(i + 1), c = s.charCodeAt(i + 2);
    if (a > 255 || b > 255 || c > 255) throw new DOMException('btoa: the string contains characters outside of the Latin1 range', 'InvalidCharacterError');
    const n = (a << 16) | ((b || 0) << 8) | (c || 0);
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + (i + 1 < s.length ? B64[(n >> 6) & 63]! : '=') + (i + 2 < s.length ? B64[n & 63]! : '=');
  }
  return out;
}

export function atob(data: unknown): string {
  if (arguments.length === 0) throw new TypeError('atob: 1 argument required');
  let s = String(data).replace(/[\t\n\f\r ]/g, '');
  if (s.length % 4 === 0) s = s.replace(/==?$/, '');
  if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) throw new DOMException('atob: the string to be decoded is not correctly encoded', 'InvalidCharacterError');
  let out = '';
  let buf = 0, bits = 0;
  for (let i = 0; i < s.length; i++) {
    buf = (buf << 6) | B64_INDEX[s.charCodeAt(i)]!;
    bits += 6;
    if (bits >= 8) { bits -= 8; out += String.fromCharCode((buf >> bits) & 255); }
  }
  return out;
}
expose('atob', atob);
expose('btoa', btoa);

// ---- structuredClone
/** Serializers for platform objects defined later (Blob, File): registered by their modules. */
const platformCloners: Array<(v: object) => { ok: true; value: unknown } | undefined> = [];
export function registerCloner(fn: (v: object) => { ok: true; value: unknown } | undefined): void { platformCloners.push(fn); }

const ERROR_NAMES = new Set(['Error', 'EvalError', 'RangeError', 'ReferenceError', 'SyntaxError', 'TypeError', 'URIError']);
const TYPED = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];

function dataCloneError(what: string): Error {
  return new DOMException(`${what} could not be cloned.`, 'DataCloneError');
}

function cloneValue(v: unknown, memory: Map<object, unknown>): unknown {
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
    if (typeof v === 'symbol') throw dataCloneError(String(v));
    return v;
  }
  if (typeof v === 'function') throw dataCloneError(`function ${(v as { name?: string }).name || '(anonymous)'}`);
  const o = v as object;
  if (memory.has(o)) return memory.get(o);
  const tag = Object.prototype.toString.call(o);
  const remember = (x: unknown) => { memory.set(o, x); return x; };
  switch (tag) {
    case '[object Boolean]': return remember(Object(Boolean.prototype.valueOf.call(o)));
    case '[object Number]': return remember(Object(Number.prototype.valueOf.call(o)));
    case '[object BigInt]': return remember(Object(BigInt.prototype.valueOf.call(o)));
    case '[object String]': return remember(Object(String.prototype.valueOf.call(o)));
    case '[object Date]': return remember(new Date(Date.prototype.getTime.call(o)));
    case '[object RegExp]': { const r = o as RegExp; return remember(new RegExp(r.source, r.flags)); }
    case '[object ArrayBuffer]': return remember(ArrayBuffer.prototype.slice.call(o, 0));
    case '[object SharedArrayBuffer]': throw dataCloneError('SharedArrayBuffer');
    case '[object DataView]': {
      const d = o as DataView;
      const buf = cloneValue(d.buffer, memory) as ArrayBuffer;
      return remember(new DataView(buf, d.byteOffset, d.byteLength));
    }
    case '[object Map]': {
      const m = remember(new Map()) as Map<unknown, unknown>;
      for (const [k, x] of Map.prototype.entries.call(o) as Iterable<[unknown, unknown]>) m.set(cloneValue(k, memory), cloneValue(x, memory));
      return m;
    }
    case '[object Set]': {
      const s = remember(new Set()) as Set<unknown>;
      for (const x of Set.prototype.values.call(o) as Iterable<unknown>) s.add(cloneValue(x, memory));
      return s;
    }
    case '[object Error]': {
      const e = o as Error;
      const name = String(e.name);
      const C = (ERROR_NAMES.has(name) ? (globalThis as any)[name] : Error) as ErrorConstructor;
      const copy = remember(Object.create(C.prototype)) as Error;
      const desc = Object.getOwnPropertyDescriptor(e, 'message');
      if (desc && 'value' in desc) Object.defineProperty(copy, 'message', { value: String(desc.value), writable: true, configurable: true, enumerable: false });
      if (typeof e.stack === 'string') Object.defineProperty(copy, 'stack', { value: e.stack, writable: true, configurable: true, enumerable: false });
      if ('cause' in e) Object.defineProperty(copy, 'cause', { value: cloneValue(e.cause, memory), writable: true, configurable: true, enumerable: false });
      return copy;
    }
    case '[object Array]': {
      const a = o as unknown[];
      const copy = remember(new Array(a.length)) as unknown[];
      for (const k of Object.keys(a)) (copy as unknown as Record<string, unknown>)[k] = cloneValue((a as unknown as Record<string, unknown>)[k], memory);
      return copy;
    }
    case '[object Object]': break;
    default: {
      if (ArrayBuffer.isView(o)) {
        const t = o as Uint8Array;
        const C = TYPED.find((T) => o instanceof T);
        if (!C) throw dataCloneError(tag);
        const buf = cloneValue(t.buffer, memory) as ArrayBuffer;
        return remember(new (C as Uint8ArrayConstructor)(buf, t.byteOffset, t.length));
      }
      for (const c of platformCloners) {
        const r = c(o);
        if (r) return remember(r.value);
      }
      throw dataCloneError(tag.slice(8, -1) === 'Object' ? 'object' : tag.slice(8, -1));
    }
  }
  // Plain objects, and platform objects that are not serializable
  for (const c of platformCloners) { const r = c(o); if (r) return remember(r.value); }
  if (isPlatformObject(o)) throw dataCloneError(Object.prototype.toString.call(o).slice(8, -1));
  const out = remember({}) as Record<string, unknown>;
  for (const k of Object.keys(o)) out[k] = cloneValue((o as Record<string, unknown>)[k], memory);
  return out;
}

/** Platform classes that are not serializable (streams, events, ...) carry a Symbol.toStringTag getter on their prototype. */
function isPlatformObject(o: object): boolean {
  const proto = Object.getPrototypeOf(o);
  if (proto === null || proto === Object.prototype) return false;
  return Object.prototype.toString.call(o) !== '[object Object]' || unserializable.has(proto);
}
const unserializable = new WeakSet<object>();
export function markUnserializable(proto: object): void { unserializable.add(proto); }

export function structuredClone(value: unknown, options?: { transfer?: Iterable<unknown> }): unknown {
  if (arguments.length === 0) throw new TypeError('structuredClone: 1 argument required');
  if (options !== undefined && options !== null && typeof options !== 'object') throw new TypeError('structuredClone: options must be an object');
  const memory = new Map<object, unknown>();
  const transfer = options?.transfer === undefined ? [] : Array.from(options.transfer);
  const seen = new Set<unknown>();
  for (const t of transfer) {
    if (seen.has(t)) throw new DOMException('structuredClone: a value appears twice in the transfer list', 'DataCloneError');
    seen.add(t);
    if (!(t instanceof ArrayBuffer) && !transferables.has(Object.getPrototypeOf(t ?? {}))) throw new DOMException(`structuredClone: ${Object.prototype.toString.call(t)} is not transferable`, 'DataCloneError');
    if (t instanceof ArrayBuffer) memory.set(t, ArrayBuffer.prototype.slice.call(t, 0));
  }
  return cloneValue(value, memory);
}
const transferables = new WeakSet<object>();
export function markTransferable(proto: object): void { transferables.add(proto); }
expose('structuredClone', structuredClone);
