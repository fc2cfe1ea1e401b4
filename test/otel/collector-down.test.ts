/**
 * Hazard: the collector is down. Author telemetry must never block or fail an
 * invocation: buffers are bounded (the shared span processor holds at most its
 * maxQueueSize and drops the rest, counted), and the host keeps serving.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import test from 'node:test';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startTestHost } from '../helpers/host.js';
import { traced } from './helpers.js';

/** A port nothing listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const NOISY = `
import { trace, metrics } from '@opentelemetry/api';
const tracer = trace.getTracer('noisy');
const hits = metrics.getMeter('noisy').createCounter('noisy.hits');
export default {
  fetch() {
    for (let i = 0; i < 100; i++) tracer.startSpan('work-' + i, { attributes: { i } }).end();
    console.log('served');
    hits.add(1);
    return new Response('ok');
  },
};`;

test('collector down: every request of a real host is served while telemetry has nowhere to go', async (t) => {
  const port = await closedPort();
  const host = await startTestHost({ ISOTEL_TELEMETRY: 'true', ISOTEL_OTLP_ENDPOINT: `http://127.0.0.1:${port}`, OTEL_METRIC_EXPORT_INTERVAL: '200' });
  t.after(() => host.close());
  const dep = await host.deploy('noisy', NOISY);
  assert.equal(dep.status < 300, true, JSON.stringify(dep.body));
  // 150 × 100 spans: well past the span processor's bounded queue (8192).
  let ok = 0;
  for (let batch = 0; batch < 15; batch++) {
    const results = await Promise.all(Array.from({ length: 10 }, () => host.get('/noisy/').then(async (r) => ({ status: r.status, text: await r.text() }))));
    for (const r of results) if (r.status === 200 && r.text === 'ok') ok++;
  }
  assert.equal(ok, 150, 'every invocation succeeded');
  const stats = await host.admin('GET', '/stats');
  assert.equal(stats.status, 200, 'the host still answers its admin API');
});

test('collector hung: the shared span processor stays bounded and counts what it drops', async (t) => {
  // A collector that accepts connections and never answers: exports wait for their timeout while spans keep coming.
  const sockets = new Set<import('node:net').Socket>();
  const hung = createServer((s) => { sockets.add(s); s.on('error', () => {}); });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  t.after(() => { for (const s of sockets) s.destroy(); hung.close(); });
  const port = (hung.address() as { port: number }).port;
  const selfObs = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter: selfObs, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const maxQueueSize = 500;
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`, timeoutMillis: 5_000 }), { maxQueueSize, maxExportBatchSize: 100, scheduledDelayMillis: 50, selfObsMeterProvider: meterProvider } as ConstructorParameters<typeof BatchSpanProcessor>[1]);
  const h = await traced(NOISY, { processor });
  t.after(async () => { await h.close(); await meterProvider.shutdown(); });
  for (let i = 0; i < 20; i++) {
    const { response } = await h.invoke();
    assert.equal(response.status, 200);
  }
  const queued = (processor as unknown as { _finishedSpans: unknown[] })._finishedSpans.length;
  assert.ok(queued <= maxQueueSize, `queue holds ${queued} spans, at most ${maxQueueSize}`);
  await reader.forceFlush();
  let dropped = 0;
  for (const rm of selfObs.getMetrics()) for (const sm of rm.scopeMetrics) for (const m of sm.metrics) {
    if (m.descriptor.name !== 'otel.sdk.processor.span.processed') continue;
    for (const p of m.dataPoints) if (p.attributes['error.type'] === 'queue_full') dropped += p.value as number;
  }
  // 20 invocations × (100 author spans + 1 invocation span) went in; at most maxQueueSize + one in-flight batch per export attempt left.
  // 20 invocations × (100 author spans + 1 invocation span) = 2020 in; the queue holds 500, one export batch (100) is in flight.
  assert.equal(dropped, 20 * 101 - queued - 100, `dropped ${dropped}, queued ${queued}`);
});
