/** Counter, up-down counter, histogram, gauge and an observable gauge recorded in the isolate arrive with the function's Resource. */
import assert from 'node:assert/strict';
import test from 'node:test';
import { traced } from './helpers.js';

const SOURCE = `
import { metrics, ValueType } from '@opentelemetry/api';
const meter = metrics.getMeter('shop', '2.0.0');
const orders = meter.createCounter('shop.orders', { unit: '{order}', description: 'orders placed' });
const inflight = meter.createUpDownCounter('shop.inflight');
const latency = meter.createHistogram('shop.latency', { unit: 'ms', advice: { explicitBucketBoundaries: [1, 10, 100] } });
const temp = meter.createGauge('shop.temperature', { valueType: ValueType.INT });
let served = 0;
meter.createObservableGauge('shop.served').addCallback((r) => r.observe(served, { kind: 'total' }));
export default {
  fetch(req) {
    served++;
    inflight.add(1);
    orders.add(2, { 'shop.region': 'eu' });
    orders.add(1, { 'shop.region': 'us' });
    orders.add(-5, { 'shop.region': 'eu' }); // ignored: counters are monotonic
    latency.record(5); latency.record(50); latency.record(500);
    temp.record(21); temp.record(23);
    inflight.add(-1);
    return new Response('ok');
  },
};`;

test('author metrics are aggregated in the isolate and exported per function version', async (t) => {
  const h = await traced(SOURCE, { fn: 'shop' });
  t.after(() => h.close());
  await h.invoke();
  await h.invoke();
  const { metrics } = await h.collect();
  const rm = metrics.at(-1)!;
  assert.equal(rm.resource.attributes['service.name'], 'shop');
  assert.equal(rm.resource.attributes['faas.instance'], undefined, 'metrics carry the version, not the instance (cardinality)');
  const shop = rm.scopeMetrics.find((s) => s.scope.name === 'shop')!;
  assert.equal(shop.scope.version, '2.0.0');
  const byName = new Map(shop.metrics.map((m) => [m.descriptor.name, m]));
  const orders = byName.get('shop.orders')!;
  assert.equal(orders.descriptor.unit, '{order}');
  assert.equal(orders.dataPoints.find((p) => p.attributes['shop.region'] === 'eu')!.value, 4);
  assert.equal(orders.dataPoints.find((p) => p.attributes['shop.region'] === 'us')!.value, 2);
  assert.equal(byName.get('shop.inflight')!.dataPoints[0]!.value, 0);
  const hist = byName.get('shop.latency')!.dataPoints[0]!.value as { count: number; sum: number; buckets: { boundaries: number[]; counts: number[] } };
  assert.equal(hist.count, 6);
  assert.equal(hist.sum, 1110);
  assert.deepEqual(hist.buckets.boundaries, [1, 10, 100]);
  assert.deepEqual(hist.buckets.counts, [0, 2, 2, 2]);
  assert.equal(byName.get('shop.temperature')!.dataPoints[0]!.value, 23);
  assert.equal(byName.get('shop.served')!.dataPoints[0]!.value, 2, 'observable callbacks run when an invocation finishes');
});
