// Type tests for the author-facing types (sdk/types): checked by `tsc -p tsconfig.json`, never run.
import type { Env, ExecutionContext, ExportedHandler, FetchEvent, FetchHandler } from '../../sdk/types/index.js';

export const moduleStyle = {
  async fetch(request, env, ctx) {
    ctx.waitUntil(Promise.resolve());
    const s: string | undefined = env.NAME;
    return new Response(`${request.method} ${s}`);
  },
} satisfies ExportedHandler;

export const typedEnv: FetchHandler<{ readonly TOKEN: string }> = (_r, env) => new Response(env.TOKEN);

export function swStyle(event: FetchEvent): void {
  event.respondWith(fetch(event.request.url));
  event.waitUntil(Promise.resolve(1));
}

// @ts-expect-error a handler must return a Response
export const bad: ExportedHandler = { fetch: () => 'text' };
// @ts-expect-error env values are strings
export const badEnv: Env = { N: 1 };
// @ts-expect-error waitUntil takes a promise
export const badCtx = (ctx: ExecutionContext) => ctx.waitUntil(5);
