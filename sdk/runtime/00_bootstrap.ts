/**
 * First file evaluated: captures the host capabilities injected under
 * BOOTSTRAP_GLOBAL into module-scope closures and deletes the global, so user code
 * can never reach the host's functions (CONVENTIONS §2).
 */
import { BOOTSTRAP_GLOBAL, type Bootstrap, type OpName } from '../protocol/entry.js';

const g = globalThis as unknown as Record<string, unknown>;
const boot = g[BOOTSTRAP_GLOBAL] as Bootstrap | undefined;
delete g[BOOTSTRAP_GLOBAL];
if (!boot) throw new Error(`isotel runtime: ${BOOTSTRAP_GLOBAL} missing (the host must inject it before running the runtime)`);

const rawOpAsync = boot.op;
const rawOpSync = boot.opSync;
let rawOp = rawOpAsync;
/**
 * Whether the host is blocked in a synchronous entry call (invokeSync). Isolate code runs only inside entry
 * calls, and microtasks drain before a call returns, so ops sent until the next entry call reach a host that
 * is waiting: they go synchronously (no cross-thread hop). Every other entry resets it.
 */
export function setSyncEntry(sync: boolean): void {
  rawOp = sync ? rawOpSync : rawOpAsync;
}
const rawRandom = boot.randomBytes;
const rawNow = boot.now;
export const timeOrigin: number = boot.timeOrigin;

export function op(name: OpName, ...args: unknown[]): void {
  rawOp(name, ...args);
}
/**
 * Random bytes from the host CSPRNG, served from a 4 KiB pool refilled in one host call: a synchronous call
 * into the host costs ~10-20 µs, so crypto.randomUUID() would otherwise pay it every time. Bytes handed out
 * are zeroed in the pool, and the pool lives only in this isolate.
 */
const POOL_SIZE = 4096;
let pool: Uint8Array = new Uint8Array(0);
let poolOffset = 0;
export function hostRandomBytes(n: number): Uint8Array {
  if (n > POOL_SIZE / 4) return rawRandom(n);
  if (poolOffset + n > pool.length) { pool = rawRandom(POOL_SIZE); poolOffset = 0; }
  const out = pool.slice(poolOffset, poolOffset + n);
  pool.fill(0, poolOffset, poolOffset + n);
  poolOffset += n;
  return out;
}
export function hostNow(): number {
  return rawNow();
}

/** Pending async ops by id; answered through entry.complete. */
const pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
let nextId = 1;

export function allocId(): number {
  return nextId++;
}

/** Sends op `name` with a fresh id and resolves with the host's answer. */
export function asyncOp<T>(name: OpName, ...args: unknown[]): Promise<T> {
  const id = nextId++;
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    rawOp(name, id, ...args);
  });
}

/** Like asyncOp with a caller-chosen id (so it can be cancelled). */
export function asyncOpWithId<T>(id: number, name: OpName, ...args: unknown[]): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
    rawOp(name, id, ...args);
  });
}

export function forgetOp(id: number): void {
  pending.delete(id);
}

/** Host answer: ok → value; failure → value is [errorName, message]. */
export function completeOp(id: number, ok: boolean, value: unknown): void {
  const p = pending.get(id);
  if (!p) return; // cancelled meanwhile
  pending.delete(id);
  if (ok) p.resolve(value);
  else {
    const [name, message] = value as [string, string];
    p.reject(makeError(name, message));
  }
}

/** Rebuilds an error the host reported, as the matching JS/DOM error class. */
export function makeError(name: string, message: string): Error {
  switch (name) {
    case 'TypeError': return new TypeError(message);
    case 'RangeError': return new RangeError(message);
    case 'SyntaxError': return new SyntaxError(message);
    case 'Error': return new Error(message);
    default: {
      const D = (globalThis as any).DOMException;
      return D ? new D(message, name) : Object.assign(new Error(message), { name });
    }
  }
}

/** Defines a global the way WebIDL exposes interfaces: writable, configurable, not enumerable. */
export function expose(name: string, value: unknown): void {
  if (typeof value === 'function' && value.prototype) webidlInterface(value as { prototype: object }, name);
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

/**
 * Gives a class the property shapes WebIDL specifies (which class syntax does not): operations and attributes
 * enumerable on the prototype and the constructor, and @@toStringTag a non-writable data property.
 */
export function webidlInterface(cls: { prototype: object }, name: string): void {
  for (const target of [cls.prototype, cls as object]) {
    for (const key of Reflect.ownKeys(target)) {
      if (key === 'constructor' || key === 'prototype' || key === 'length' || key === 'name' || key === Symbol.toStringTag) continue;
      const d = Reflect.getOwnPropertyDescriptor(target, key)!;
      if (!d.configurable || typeof key === 'symbol' && key !== Symbol.iterator && key !== Symbol.asyncIterator) continue;
      if (typeof key === 'string' && /^[A-Z][A-Z_]+$/.test(key)) continue; // constants keep their own shape
      if (d.enumerable || typeof key === 'symbol') continue;
      Object.defineProperty(target, key, { ...d, enumerable: true });
    }
  }
  if (Reflect.getOwnPropertyDescriptor(cls.prototype, Symbol.toStringTag)?.configurable !== false) {
    Object.defineProperty(cls.prototype, Symbol.toStringTag, { value: name, writable: false, enumerable: false, configurable: true });
  }
}
