/**
 * Type test for the author-facing types: a traced function written against
 * sdk/types and the `isotel:otel` declarations compiles (`npm run typecheck`); at
 * run time the same handler shape works in a real isolate.
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import { trace, type Span } from '@opentelemetry/api';
import type { span as spanHelper } from 'isotel:otel';
import type { Env, ExecutionContext, Handler } from '../../sdk/types/index.js';
import { traced } from './helpers.js';

interface MyEnv extends Env { readonly GREETING: string }

// Compile-time checks: these must type-check, and the @ts-expect-error lines must be errors.
const handler = {
  async fetch(request: Request, env: MyEnv, ctx: ExecutionContext): Promise<Response> {
    ctx.waitUntil(Promise.resolve());
    const s: Span = trace.getTracer('types').startSpan('typed');
    s.end();
    return new Response(`${env.GREETING} ${new URL(request.url).pathname}`);
  },
} satisfies Handler<MyEnv>;
type SpanHelper = typeof spanHelper;
const usesHelper = (span: SpanHelper): number => span(trace.getTracer('t'), 'n', (s) => { s.setAttribute('k', 1); return 1; });
// @ts-expect-error the last argument of span() must be a function
const misuse = (span: SpanHelper): unknown => span(trace.getTracer('t'), 'n', { attributes: {} });
void usesHelper;
void misuse;

test('the typed handler shape runs unchanged in an isolate', async (t) => {
  assert.equal(typeof handler.fetch, 'function');
  const h = await traced(`
import { trace } from '@opentelemetry/api';
export default { async fetch(request, env, ctx) { ctx.waitUntil(Promise.resolve()); trace.getTracer('types').startSpan('typed').end(); return new Response('ok ' + new URL(request.url).pathname); } };`);
  t.after(() => h.close());
  const { body } = await h.invoke({ url: 'http://127.0.0.1:8787/x/p' });
  assert.equal(body, 'ok /x/p');
  const { spans } = await h.collect();
  assert.ok(spans.some((s) => s.name === 'typed'));
});
