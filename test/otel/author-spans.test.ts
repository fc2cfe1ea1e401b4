import assert from 'node:assert/strict';
import test from 'node:test';
import { one, traced } from './helpers.js';

const SOURCE = `
import { trace, context, SpanStatusCode, SpanKind } from '@opentelemetry/api';
const tracer = trace.getTracer('checkout', '1.2.3');
export default {
  async fetch(request) {
    return tracer.startActiveSpan('load-cart', { attributes: { 'cart.items': 3 } }, async (span) => {
      const inner = tracer.startSpan('price');
      inner.setAttribute('price.currency', 'EUR');
      inner.addEvent('computed', { 'price.total': 42.5 });
      inner.end();
      console.log('cart loaded', 3);
      span.setStatus({ code: SpanStatusCode.OK });
      span.end();
      return new Response(JSON.stringify({ ok: true }));
    });
  },
};`;

test('author spans are children of the invocation span, under the author scope, with attributes and events', async (t) => {
  const h = await traced(SOURCE);
  t.after(() => h.close());
  const { span: inv, body } = await h.invoke();
  assert.equal(body, '{"ok":true}');
  const { spans, logs } = await h.collect();
  const invocation = spans.find((s) => s.spanContext().spanId === inv.spanContext().spanId)!;
  assert.ok(invocation, 'the invocation span was exported');
  const load = one(spans, 'load-cart');
  const price = one(spans, 'price');
  assert.equal(load.spanContext().traceId, inv.spanContext().traceId);
  assert.equal(load.parentSpanContext?.spanId, inv.spanContext().spanId);
  assert.equal(price.parentSpanContext?.spanId, load.spanContext().spanId);
  assert.deepEqual(load.instrumentationScope, { name: 'checkout', version: '1.2.3' });
  assert.equal(load.attributes['cart.items'], 3);
  assert.equal(load.status.code, 1);
  assert.equal(price.attributes['price.currency'], 'EUR');
  assert.equal(price.events[0]?.name, 'computed');
  assert.equal(price.events[0]?.attributes?.['price.total'], 42.5);
  assert.equal(load.resource.attributes['service.name'], 'otel-test');
  // Timing is real: the author span lies within the invocation span.
  const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
  assert.ok(ns(load.startTime) >= ns(invocation.startTime) - 1_000_000n, 'author span starts after the invocation (1 ms clock slack)');
  assert.ok(ns(load.endTime) >= ns(load.startTime));
  // The console line is a log record carrying the active span's ids.
  assert.equal(logs.length, 1);
  assert.equal(logs[0]!.body, 'cart loaded 3');
  assert.equal(logs[0]!.spanContext?.traceId, inv.spanContext().traceId);
  assert.equal(logs[0]!.spanContext?.spanId, load.spanContext().spanId);
  assert.equal(logs[0]!.severityText, 'INFO');
  assert.equal(logs[0]!.resource.attributes['service.name'], 'otel-test');
});

test('without a trace option the API is a no-op: nothing recorded, nothing drained', async (t) => {
  const h = await traced(SOURCE);
  t.after(() => h.close());
  const { body } = await h.invoke({}, { traced: false });
  assert.equal(body, '{"ok":true}');
  const { spans, logs } = await h.collect();
  assert.deepEqual(spans.map((s) => s.name), ['otel-test'], 'only the host span');
  assert.equal(logs.length, 0);
  assert.equal(h.console.length, 1, 'the console line is still printed');
});
