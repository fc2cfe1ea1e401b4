/** Guard rail: attributes per invocation. Past the limit items are dropped (never an error), counted on the invocation span and as isotel.telemetry.dropped{kind=attribute}. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { droppedMetric, traced } from './helpers.js';

test('attributes beyond the per-invocation limit are dropped and counted; the invocation succeeds', async (t) => {
  const h = await traced(`
import { trace, metrics } from '@opentelemetry/api';
const tracer = trace.getTracer('flood');
const meter = metrics.getMeter('flood');

export default { fetch() { const s = tracer.startSpan('wide'); for (let i = 0; i < 12; i++) s.setAttribute('k' + i, i); s.setAttribute('k0', 'updated'); s.end(); return new Response('ok'); } };
`, { limits: { attributesPerSpan: 5 } });
  t.after(() => h.close());
  const { response, span } = await h.invoke();
  assert.equal(response.status, 200, 'telemetry limits never fail the invocation');
  const { spans, metrics } = await h.collect();
  const invocation = spans.find((s) => s.spanContext().spanId === span.spanContext().spanId)!;
  const DROPPED = 7;
  const wide = spans.filter((s) => s.name === 'wide')[0]!;
  assert.equal(Object.keys(wide.attributes).length, 5);
  assert.equal(wide.attributes.k0, 'updated', 'updating an existing key is not a new attribute');
  assert.equal(wide.droppedAttributesCount, 7);
  assert.equal(droppedMetric(metrics, 'attribute'), DROPPED);
  assert.equal(invocation.attributes['isotel.telemetry.dropped_attributes'], DROPPED);
  // A second invocation starts with a fresh budget.
  await h.invoke();
  const again = await h.collect();
  assert.equal(droppedMetric(again.metrics, 'attribute'), DROPPED * 2, 'the metric is cumulative across invocations');
});
