/**
 * URLPattern (urlpattern-polyfill, over this runtime's URL) and the WebAssembly
 * JS API's streaming functions (V8 provides the rest of WebAssembly; the streaming
 * forms are embedder-defined and take a Response).
 */
import { URLPattern } from 'urlpattern-polyfill/urlpattern';
import { expose } from './00_bootstrap.js';
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
if (WA) {
  Object.defineProperty(WA, 'compileStreaming', {
    value: async function compileStreaming(source: unknown) { return WA.compile(await responseBytes(source, 'compileStreaming')); },
    writable: true, configurable: true, enumerable: false,
  });
  Object.defineProperty(WA, 'instantiateStreaming', {
    value: async function instantiateStreaming(source: unknown, imports?: object) { return WA.instantiate(await responseBytes(source, 'instantiateStreaming'), imports); },
    writable: true, configurable: true, enumerable: false,
  });
}
