/**
 * Context across `await` in bare V8 11.3 (no AsyncContext): what holds and what
 * cannot. Two invocations in flight in ONE isolate must never see each other's
 * context; with one in flight, spans after an await still land under the right
 * parent. See docs/otel.md "Context and await".
 */
import assert from 'node:assert/strict';
import test from 'node:test';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { one, traced } from './helpers.js';

const SOURCE = `
import { trace, context } from '@opentelemetry/api';
const tracer = trace.getTracer('conc');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export default {
  async fetch(req) {
    const n = new URL(req.url).searchParams.get('n');
    const captured = context.active();
    tracer.startSpan('sync-' + n).end();
    await sleep(Number(new URL(req.url).searchParams.get('ms') ?? 20));
    tracer.startSpan('implicit-' + n).end();
    context.with(captured, () => tracer.startSpan('explicit-' + n).end());
    tracer.startSpan('explicit-arg-' + n, {}, captured).end();
    await tracer.startActiveSpan('active-' + n, async (span) => {
      tracer.startSpan('active-sync-child-' + n).end();
      await sleep(5);
      tracer.startSpan('active-async-child-' + n).end();
      span.end();
    });
    return new Response(n);
  },
};`;

test('one invocation in flight: spans after an await are parented to the invocation span or the pending active span', async (t) => {
  const h = await traced(SOURCE);
  t.after(() => h.close());
  const { span: inv } = await h.invoke({ url: 'http://127.0.0.1:8787/x/?n=a&ms=5' });
  const { spans } = await h.collect();
  const id = inv.spanContext().spanId;
  for (const name of ['sync-a', 'implicit-a', 'explicit-a', 'explicit-arg-a', 'active-a']) {
    assert.equal(one(spans, name).parentSpanContext?.spanId, id, `${name} is a child of the invocation span`);
  }
  const active = one(spans, 'active-a').spanContext().spanId;
  assert.equal(one(spans, 'active-sync-child-a').parentSpanContext?.spanId, active);
  assert.equal(one(spans, 'active-async-child-a').parentSpanContext?.spanId, active, 'the async startActiveSpan callback keeps its span active after its await');
  for (const s of spans) assert.equal(s.spanContext().traceId, inv.spanContext().traceId);
});

test('two invocations in flight in one isolate never see each other\'s context', async (t) => {
  const h = await traced(SOURCE);
  t.after(() => h.close());
  const [a, b] = await Promise.all([
    h.invoke({ url: 'http://127.0.0.1:8787/x/?n=a&ms=30' }),
    h.invoke({ url: 'http://127.0.0.1:8787/x/?n=b&ms=10' }),
  ]);
  assert.equal(a.body, 'a');
  assert.equal(b.body, 'b');
  const { spans } = await h.collect();
  const inv = { a: a.span.spanContext(), b: b.span.spanContext() };
  assert.notEqual(inv.a.traceId, inv.b.traceId);
  const mine = (n: 'a' | 'b'): ReadableSpan[] => spans.filter((s) => s.name.endsWith(`-${n}`));
  for (const n of ['a', 'b'] as const) {
    const other = n === 'a' ? inv.b : inv.a;
    const own = inv[n];
    // Exact while the handler runs synchronously, and whenever the context is passed explicitly.
    assert.equal(one(spans, `sync-${n}`).parentSpanContext?.spanId, own.spanId);
    assert.equal(one(spans, `explicit-${n}`).parentSpanContext?.spanId, own.spanId);
    assert.equal(one(spans, `explicit-arg-${n}`).parentSpanContext?.spanId, own.spanId);
    // After an await with another invocation in flight the runtime cannot know which one runs:
    // never the other invocation's trace — its own when it can tell, else a new trace.
    for (const s of mine(n)) {
      assert.notEqual(s.spanContext().traceId, other.traceId, `${s.name} must not join the other invocation's trace`);
    }
  }
  // The limitation is real (not silently "fixed" by luck): b finished its sleep while a was in flight.
  const implicitB = one(spans, 'implicit-b');
  assert.equal(implicitB.parentSpanContext, undefined, 'implicit-b could not be attributed: it starts a new trace');
});
