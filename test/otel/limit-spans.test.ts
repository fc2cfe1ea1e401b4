/** Guard rail: spans per invocation. Past the limit items are dropped (never an error), counted on the invocation span and as isotel.telemetry.dropped{kind=span}. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { droppedMetric, traced } from './helpers.js';

test('spans beyond the per-invocation limit are dropped and counted; the invocation succeeds', async (t) => {
  const h = await traced(`
import { trace, metrics } from '@opentelemetry/api';
const tracer = trace.getTracer('flood');
const meter = metrics.getMeter('flood');

export default { fetch() { for (let i = 0; i < 25; i++) tracer.startSpan('s' + i).end(); return new Response('ok'); } };
`, { limits: { spansPerInvocation: 10 } });
  t.after(() => h.close());
  const { response, span } = await h.invoke();
  assert.equal(response.status, 200, 'telemetry limits never fail the invocation');
  const { spans, metrics } = await h.collect();
  const invocation = spans.find((s) => s.spanContext().spanId === span.spanContext().spanId)!;
  const DROPPED = 15;
  assert.equal(spans.filter((s) => /^s\d+$/.test(s.name)).length, 10, 'only the first 10 spans are recorded');
  assert.equal(droppedMetric(metrics, 'span'), DROPPED);
  assert.equal(invocation.attributes['isotel.telemetry.dropped_spans'], DROPPED);
  // A second invocation starts with a fresh budget.
  await h.invoke();
  const again = await h.collect();
  assert.equal(droppedMetric(again.metrics, 'span'), DROPPED * 2, 'the metric is cumulative across invocations');
});
