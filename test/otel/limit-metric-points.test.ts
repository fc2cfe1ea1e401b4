/** Guard rail: metric-points per invocation. Past the limit items are dropped (never an error), counted on the invocation span and as isotel.telemetry.dropped{kind=metric_point}. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { droppedMetric, traced } from './helpers.js';

test('metric-points beyond the per-invocation limit are dropped and counted; the invocation succeeds', async (t) => {
  const h = await traced(`
import { trace, metrics } from '@opentelemetry/api';
const tracer = trace.getTracer('flood');
const meter = metrics.getMeter('flood');

const c = meter.createCounter('requests');
export default { fetch() { for (let i = 0; i < 10; i++) c.add(1, { user: 'u' + i }); c.add(5, { user: 'u0' }); return new Response('ok'); } };
`, { limits: { metricPointsPerInvocation: 4 } });
  t.after(() => h.close());
  const { response, span } = await h.invoke();
  assert.equal(response.status, 200, 'telemetry limits never fail the invocation');
  const { spans, metrics } = await h.collect();
  const invocation = spans.find((s) => s.spanContext().spanId === span.spanContext().spanId)!;
  const DROPPED = 6;
  const points = metrics.flatMap((rm) => rm.scopeMetrics).flatMap((sm) => sm.metrics).filter((m) => m.descriptor.name === 'requests').flatMap((m) => m.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>);
  assert.equal(points.length, 4, 'only 4 attribute sets are kept');
  assert.equal(points.find((p) => p.attributes.user === 'u0')!.value, 6, 'adding to a kept attribute set is not a new point');
  assert.equal(droppedMetric(metrics, 'metric_point'), DROPPED);
  assert.equal(invocation.attributes['isotel.telemetry.dropped_metric_points'], DROPPED);
  // A second invocation starts with a fresh budget.
  await h.invoke();
  const again = await h.collect();
  assert.equal(droppedMetric(again.metrics, 'metric_point'), DROPPED * 2, 'the metric is cumulative across invocations');
});
