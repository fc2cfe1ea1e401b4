/**
 * Web Crypto: crypto.getRandomValues / randomUUID from the host CSPRNG, and
 * SubtleCrypto backed by the host's WebCrypto (Node) through async ops. Keys live in
 * the host; a CryptoKey here holds a handle, released when it is garbage-collected.
 */
import { asyncOp, expose, hostRandomBytes, op } from './00_bootstrap.js';
import { DOMException } from './01_webidl.js';

interface KeyRecord { __keyRecord: true; handle: number; type: string; extractable: boolean; algorithm: Record<string, unknown>; usages: string[] }
interface KeyState { handle: number; type: string; extractable: boolean; algorithm: Record<string, unknown>; usages: string[] }

const keyState = new WeakMap<object, KeyState>();
const released = new FinalizationRegistry<number>((handle) => op('cryptoRelease', handle));
let constructing = false;

export class CryptoKey {
  constructor() { if (!constructing) throw new TypeError('Illegal constructor'); }
  get type(): string { return ks(this).type; }
  get extractable(): boolean { return ks(this).extractable; }
  get algorithm(): Record<string, unknown> { return ks(this).algorithm; }
  get usages(): string[] { return ks(this).usages; }
  get [Symbol.toStringTag](): string { return 'CryptoKey'; }
}
function ks(k: unknown): KeyState {
  const s = keyState.get(k as object);
  if (!s) throw new TypeError('Illegal invocation: not a CryptoKey');
  return s;
}
function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !ArrayBuffer.isView(o)) { for (const v of Object.values(o)) deepFreeze(v); Object.freeze(o); }
  return o;
}
function toKey(r: KeyRecord): CryptoKey {
  constructing = true;
  let k: CryptoKey;
  try { k = new CryptoKey(); } finally { constructing = false; }
  // Same algorithm/usages objects on every access (WebCrypto caches them).
  keyState.set(k, { handle: r.handle, type: r.type, extractable: r.extractable, algorithm: deepFreeze(r.algorithm), usages: Object.freeze([...r.usages]) as string[] });
  released.register(k, r.handle);
  return k;
}
function fromHost(v: unknown): unknown {
  if (v instanceof Uint8Array) return v.buffer.byteLength === v.byteLength ? v.buffer : v.slice().buffer;
  if (v && typeof v === 'object' && (v as KeyRecord).__keyRecord) return toKey(v as KeyRecord);
  if (v && typeof v === 'object' && 'publicKey' in v && 'privateKey' in v) {
    const p = v as { publicKey: KeyRecord; privateKey: KeyRecord };
    return { publicKey: toKey(p.publicKey), privateKey: toKey(p.privateKey) };
  }
  return v;
}

function bufferSource(v: unknown, what: string): Uint8Array {
  if (v instanceof ArrayBuffer) return new Uint8Array(v.slice(0));
  if (ArrayBuffer.isView(v)) return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
  throw new TypeError(`SubtleCrypto: ${what} is not an ArrayBuffer or ArrayBufferView`);
}
/** Prepares an algorithm identifier for the host: copies BufferSources, replaces CryptoKeys by handles. */
function alg(a: unknown): unknown {
  if (typeof a === 'string') return { name: a };
  if (a === null || typeof a !== 'object') throw new TypeError('SubtleCrypto: the algorithm must be a string or an object with a name');
  const out: Record<string, unknown> = {};
  for (const k in a as Record<string, unknown>) {
    const v = (a as Record<string, unknown>)[k];
    if (v instanceof CryptoKey) out[k] = { __key: ks(v).handle };
    else if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) out[k] = bufferSource(v, k);
    else if (k === 'hash' && v !== null && typeof v === 'object') out[k] = alg(v);
    else out[k] = v;
  }
  return out;
}
function keyArg(k: unknown, what: string): { __key: number } {
  if (!(k instanceof CryptoKey)) throw new TypeError(`SubtleCrypto: ${what} is not a CryptoKey`);
  return { __key: ks(k).handle };
}
function keyData(format: unknown, data: unknown): unknown {
  if (format === 'jwk') {
    if (data === null || typeof data !== 'object' || ArrayBuffer.isView(data) || data instanceof ArrayBuffer) throw new TypeError("SubtleCrypto.importKey: 'jwk' key data must be a JsonWebKey object");
    return JSON.parse(JSON.stringify(data));
  }
  return bufferSource(data, 'keyData');
}
function usages(u: unknown): string[] {
  if (u === null || typeof u !== 'object' || typeof (u as Iterable<unknown>)[Symbol.iterator] !== 'function') throw new TypeError('SubtleCrypto: keyUsages must be a sequence of strings');
  return Array.from(u as Iterable<unknown>, String);
}

function call(method: string, args: unknown[]): Promise<unknown> {
  return asyncOp<unknown>('crypto', method, args).then(fromHost);
}
function guard<T>(fn: () => Promise<T>): Promise<T> {
  try { return fn(); } catch (e) { return Promise.reject(e); }
}
function need(n: number, given: number, what: string): void {
  if (given < n) throw new TypeError(`SubtleCrypto.${what}: ${n} arguments required, but only ${given} present.`);
}

let constructingSubtle = false;
export class SubtleCrypto {
  constructor() { if (!constructingSubtle) throw new TypeError('Illegal constructor'); }
  digest(algorithm: unknown, data: unknown): Promise<ArrayBuffer> { const n = arguments.length; return guard(() => { need(2, n, 'digest'); return call('digest', [alg(algorithm), bufferSource(data, 'data')]) as Promise<ArrayBuffer>; }); }
  generateKey(algorithm: unknown, extractable: boolean, keyUsages: unknown): Promise<unknown> { const n = arguments.length; return guard(() => { need(3, n, 'generateKey'); return call('generateKey', [alg(algorithm), !!extractable, usages(keyUsages)]); }); }
  importKey(format: string, data: unknown, algorithm: unknown, extractable: boolean, keyUsages: unknown): Promise<CryptoKey> { const n = arguments.length; return guard(() => { need(5, n, 'importKey'); return call('importKey', [String(format), keyData(format, data), alg(algorithm), !!extractable, usages(keyUsages)]) as Promise<CryptoKey>; }); }
  exportKey(format: string, key: CryptoKey): Promise<unknown> { const n = arguments.length; return guard(() => { need(2, n, 'exportKey'); return call('exportKey', [String(format), keyArg(key, 'key')]); }); }
  sign(algorithm: unknown, key: CryptoKey, data: unknown): Promise<ArrayBuffer> { const n = arguments.length; return guard(() => { need(3, n, 'sign'); return call('sign', [alg(algorithm), keyArg(key, 'key'), bufferSource(data, 'data')]) as Promise<ArrayBuffer>; }); }
  verify(algorithm: unknown, key: CryptoKey, signature: unknown, data: unknown): Promise<boolean> { const n = arguments.length; return guard(() => { need(4, n, 'verify'); return call('verify', [alg(algorithm), keyArg(key, 'key'), bufferSource(signature, 'signature'), bufferSource(data, 'data')]) as Promise<boolean>; }); }
  encrypt(algorithm: unknown, key: CryptoKey, data: unknown): Promise<ArrayBuffer> { const n = arguments.length; return guard(() => { need(3, n, 'encrypt'); return call('encrypt', [alg(algorithm), keyArg(key, 'key'), bufferSource(data, 'data')]) as Promise<ArrayBuffer>; }); }
  decrypt(algorithm: unknown, key: CryptoKey, data: unknown): Promise<ArrayBuffer> { const n = arguments.length; return guard(() => { need(3, n, 'decrypt'); return call('decrypt', [alg(algorithm), keyArg(key, 'key'), bufferSource(data, 'data')]) as Promise<ArrayBuffer>; }); }
  deriveBits(algorithm: unknown, baseKey: CryptoKey, length: number | null): Promise<ArrayBuffer> { const n = arguments.length; return guard(() => { need(2, n, 'deriveBits'); return call('deriveBits', [alg(algorithm), keyArg(baseKey, 'baseKey'), length ?? null]) as Promise<ArrayBuffer>; }); }
  deriveKey(algorithm: unknown, baseKey: CryptoKey, derivedKeyType: unknown, extractable: boolean, keyUsages: unknown): Promise<CryptoKey> { const n = arguments.length; return guard(() => { need(5, n, 'deriveKey'); return call('deriveKey', [alg(algorithm), keyArg(baseKey, 'baseKey'), alg(derivedKeyType), !!extractable, usages(keyUsages)]) as Promise<CryptoKey>; }); }
  wrapKey(format: string, key: CryptoKey, wrappingKey: CryptoKey, wrapAlgorithm: unknown): Promise<ArrayBuffer> { const n = arguments.length; return guard(() => { need(4, n, 'wrapKey'); return call('wrapKey', [String(format), keyArg(key, 'key'), keyArg(wrappingKey, 'wrappingKey'), alg(wrapAlgorithm)]) as Promise<ArrayBuffer>; }); }
  unwrapKey(format: string, wrappedKey: unknown, unwrappingKey: CryptoKey, unwrapAlgorithm: unknown, unwrappedKeyAlgorithm: unknown, extractable: boolean, keyUsages: unknown): Promise<CryptoKey> { const n = arguments.length; return guard(() => { need(7, n, 'unwrapKey'); return call('unwrapKey', [String(format), bufferSource(wrappedKey, 'wrappedKey'), keyArg(unwrappingKey, 'unwrappingKey'), alg(unwrapAlgorithm), alg(unwrappedKeyAlgorithm), !!extractable, usages(keyUsages)]) as Promise<CryptoKey>; }); }
  get [Symbol.toStringTag](): string { return 'SubtleCrypto'; }
}

const INTEGER_ARRAYS = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];
let constructingCrypto = false;
export class Crypto {
  readonly #subtle: SubtleCrypto;
  constructor() {
    if (!constructingCrypto) throw new TypeError('Illegal constructor');
    constructingSubtle = true;
    try { this.#subtle = new SubtleCrypto(); } finally { constructingSubtle = false; }
  }
  get subtle(): SubtleCrypto { return this.#subtle; }
  getRandomValues<T extends ArrayBufferView>(array: T): T {
    if (arguments.length === 0) throw new TypeError('getRandomValues: 1 argument required');
    if (!INTEGER_ARRAYS.some((C) => array instanceof C)) throw new DOMException("getRandomValues: the argument must be an integer-typed array (not Float32Array, Float64Array or DataView)", 'TypeMismatchError');
    if (array.byteLength > 65536) throw new DOMException(`getRandomValues: ${array.byteLength} bytes requested, the limit is 65536`, 'QuotaExceededError');
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(hostRandomBytes(array.byteLength));
    return array;
  }
  randomUUID(): string {
    const b = hostRandomBytes(16);
    b[6] = (b[6]! & 0x0f) | 0x40;
    b[8] = (b[8]! & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  get [Symbol.toStringTag](): string { return 'Crypto'; }
}
constructingCrypto = true;
const cryptoObject = new Crypto();
constructingCrypto = false;
for (const [n, v] of Object.entries({ Crypto, CryptoKey, SubtleCrypto })) expose(n, v);
expose('crypto', cryptoObject);
