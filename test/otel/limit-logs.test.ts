/** Guard rail: logs per invocation. Past the limit items are dropped (never an error), counted on the invocation span and as isotel.telemetry.dropped{kind=log}. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { droppedMetric, traced } from './helpers.js';

test('logs beyond the per-invocation limit are dropped and counted; the invocation succeeds', async (t) => {
  const h = await traced(`
import { trace, metrics } from '@opentelemetry/api';
const tracer = trace.getTracer('flood');
const meter = metrics.getMeter('flood');

export default { fetch() { for (let i = 0; i < 8; i++) console.log('line', i); return new Response('ok'); } };
`, { limits: { logsPerInvocation: 3 } });
  t.after(() => h.close());
  const { response, span } = await h.invoke();
  assert.equal(response.status, 200, 'telemetry limits never fail the invocation');
  const { spans, logs, metrics } = await h.collect();
  const invocation = spans.find((s) => s.spanContext().spanId === span.spanContext().spanId)!;
  const DROPPED = 5;
  assert.deepEqual(logs.map((l) => l.body), ['line 0', 'line 1', 'line 2']);
  assert.equal(h.console.length, 3, 'dropped lines are not sent to the host at all');
  assert.equal(droppedMetric(metrics, 'log'), DROPPED);
  assert.equal(invocation.attributes['isotel.telemetry.dropped_logs'], DROPPED);
  // A second invocation starts with a fresh budget.
  await h.invoke();
  const again = await h.collect();
  assert.equal(droppedMetric(again.metrics, 'log'), DROPPED * 2, 'the metric is cumulative across invocations');
});
