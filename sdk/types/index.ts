/**
 * Types for isotel function authors. A function is an ES module whose default export
 * has a `fetch` handler (module style), or a script that registers a `fetch` event
 * listener (service-worker style). Request and Response are the Fetch standard's.
 *
 *   import type { ExportedHandler } from 'isotel/sdk/types';
 *   export default { async fetch(request, env, ctx) { return new Response('hi'); } } satisfies ExportedHandler;
 */

/** The `env` a function was deployed with: string values only. */
export type Env = Readonly<Record<string, string>>;

export interface ExecutionContext {
  /** Keeps the invocation alive until `promise` settles, after the response was sent (within the wall-time limit). */
  waitUntil(promise: Promise<unknown>): void;
  /** Accepted for compatibility with other runtimes; isotel has no origin to pass through to, so it does nothing. */
  passThroughOnException(): void;
}

/** The module-style handler: `export default { fetch }`. */
export type FetchHandler<E extends Env = Env> = (request: Request, env: E, ctx: ExecutionContext) => Response | Promise<Response>;

export interface ExportedHandler<E extends Env = Env> {
  fetch: FetchHandler<E>;
}

/** The same as ExportedHandler: the default export of a module-style function. */
export type Handler<E extends Env = Env> = ExportedHandler<E>;

/** Service-worker style: `addEventListener('fetch', (event: FetchEvent) => event.respondWith(...))`. */
export interface FetchEvent extends Event {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException(): void;
}
