/** Guard rail: events per invocation. Past the limit items are dropped (never an error), counted on the invocation span and as isotel.telemetry.dropped{kind=event}. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { droppedMetric, traced } from './helpers.js';

test('events beyond the per-invocation limit are dropped and counted; the invocation succeeds', async (t) => {
  const h = await traced(`
import { trace, metrics } from '@opentelemetry/api';
const tracer = trace.getTracer('flood');
const meter = metrics.getMeter('flood');

export default { fetch() { const s = tracer.startSpan('noisy'); for (let i = 0; i < 10; i++) s.addEvent('e' + i); s.end(); return new Response('ok'); } };
`, { limits: { eventsPerSpan: 4 } });
  t.after(() => h.close());
  const { response, span } = await h.invoke();
  assert.equal(response.status, 200, 'telemetry limits never fail the invocation');
  const { spans, metrics } = await h.collect();
  const invocation = spans.find((s) => s.spanContext().spanId === span.spanContext().spanId)!;
  const DROPPED = 6;
  const noisy = spans.filter((s) => s.name === 'noisy');
  assert.equal(noisy[0]!.events.length, 4);
  assert.equal(noisy[0]!.droppedEventsCount, 6);
  assert.equal(droppedMetric(metrics, 'event'), DROPPED);
  assert.equal(invocation.attributes['isotel.telemetry.dropped_events'], DROPPED);
  // A second invocation starts with a fresh budget.
  await h.invoke();
  const again = await h.collect();
  assert.equal(droppedMetric(again.metrics, 'event'), DROPPED * 2, 'the metric is cumulative across invocations');
});
