/**
 * URLPattern (urlpattern-polyfill, over this runtime's URL) and the WebAssembly
 * JS API's streaming functions (V8 provides the rest of WebAssembly; the streaming
 * forms are embedder-defined and take a Response).
 */
import { URLPattern } from 'urlpattern-polyfill/urlpattern';
import { expose, op } from './00_bootstrap.js';
import { Response } from './22_request_response.js';

expose('URLPattern', URLPattern);

const WA = (globalThis as unknown as { WebAssembly: Record<string, any> }).WebAssembly;

async function responseBytes(source: unknown, what: string): Promise<Uint8Array> {
  const r = await source;
  if (!(r instanceof Response)) throw new TypeError(`WebAssembly.${what}: the argument must be a Response or a promise of one`);
  const mime = (r.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (mime !== 'application/wasm') throw new TypeError(`WebAssembly.${what}: the Response's Content-Type must be application/wasm, got ${JSON.stringify(mime)}`);
  if (!r.ok) throw new TypeError(`WebAssembly.${what}: the Response status is ${r.status}, not ok`);
  return new Uint8Array(await r.arrayBuffer());
}
/** V8 compiles wasm asynchronously on its own task queue, invisible to the host: hold the host open meanwhile. */
const setTimeoutOriginal = (globalThis as unknown as { setTimeout(fn: () => void, ms: number): number }).setTimeout;
function held<T>(p: Promise<T>): Promise<T> {
  op('hold', 1);
  // Released one task later, so the caller's continuations (queued as microtasks) have run before the host may go idle.
  return p.finally(() => { setTimeoutOriginal(() => op('hold', -1), 0); });
}
if (WA) {
  const compile = WA.compile as (b: unknown) => Promise<unknown>;
  const instantiate = WA.instantiate as (b: unknown, i?: object) => Promise<unknown>;
  const define = (name: string, fn: (...a: any[]) => Promise<unknown>) => Object.defineProperty(WA, name, { value: fn, writable: true, configurable: true, enumerable: false });
  define('compile', function compile_(bytes: unknown) { return held(compile.call(WA, bytes)); });
  Object.defineProperty(WA.compile, 'name', { value: 'compile' });
  define('instantiate', function instantiate_(source: unknown, imports?: object) { return held(instantiate.call(WA, source, imports)); });
  Object.defineProperty(WA.instantiate, 'name', { value: 'instantiate' });
  define('compileStreaming', async function compileStreaming(source: unknown) { return held(compile.call(WA, await responseBytes(source, 'compileStreaming'))); });
  define('instantiateStreaming', async function instantiateStreaming(source: unknown, imports?: object) { return held(instantiate.call(WA, await responseBytes(source, 'instantiateStreaming'), imports)); });
}
