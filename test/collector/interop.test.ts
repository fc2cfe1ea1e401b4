/**
 * Interop with exporters no one here wrote: the official OpenTelemetry JS exporters
 * over OTLP/gRPC (traces, logs, metrics) and http/protobuf (logs, metrics); the rows are right.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { AggregationTemporality, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { startTestCollector, type TestCollector } from './helpers.js';

let c: TestCollector;
before(async () => {
  c = await startTestCollector();
});
after(async () => {
  await c.close();
});

test('OTLP/gRPC traces from @opentelemetry/exporter-trace-otlp-grpc', async () => {
  const exporter = new GrpcTraceExporter({ url: `http://127.0.0.1:${c.handle.ports.otlpGrpc}` });
  const p = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'fn-grpc' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const span = p.getTracer('grpc-test').startSpan('fn-grpc', { kind: 1, attributes: { 'faas.coldstart': false } });
  span.end();
  await p.forceFlush();
  await p.shutdown();
  assert.equal(await c.waitFor("SELECT count() FROM otel_traces WHERE ServiceName = 'fn-grpc'", 1), 1);
  const [row] = await c.query<Record<string, any>>("SELECT TraceId, SpanKind, SpanAttributes, ScopeName FROM otel_traces WHERE ServiceName = 'fn-grpc'");
  assert.equal(row!.TraceId, span.spanContext().traceId);
  assert.equal(row!.SpanKind, 'Server');
  assert.equal(row!.SpanAttributes['faas.coldstart'], 'false');
  assert.equal(row!.ScopeName, 'grpc-test');
});

test('logs from @opentelemetry/exporter-logs-otlp-proto land in otel_logs', async () => {
  const p = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'fn-logs' }), processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: c.otlp('/v1/logs') }) })] });
  p.getLogger('console', '2.0').emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'disk almost full', attributes: { 'code.line': 42 }, eventName: 'isotel.console', timestamp: [1_700_000_000, 5] });
  p.getLogger('console').emit({ severityNumber: SeverityNumber.INFO, body: { structured: true, n: [1, 2] } });
  await p.forceFlush();
  await p.shutdown();
  assert.equal(await c.waitFor("SELECT count() FROM otel_logs WHERE ServiceName = 'fn-logs'", 2), 2);
  const rows = await c.query<Record<string, any>>("SELECT *, toUnixTimestamp64Nano(Timestamp) AS ns FROM otel_logs WHERE ServiceName = 'fn-logs' ORDER BY SeverityNumber DESC");
  assert.equal(rows[0]!.Body, 'disk almost full');
  assert.equal(rows[0]!.SeverityText, 'WARN');
  assert.equal(Number(rows[0]!.SeverityNumber), 13);
  assert.equal(rows[0]!.ScopeName, 'console');
  assert.equal(rows[0]!.ScopeVersion, '2.0');
  assert.equal(rows[0]!.EventName, 'isotel.console');
  assert.deepEqual(rows[0]!.LogAttributes, { 'code.line': '42' });
  assert.equal(String(rows[0]!.ns), '1700000000000000005');
  assert.equal(rows[1]!.Body, '{"n":[1,2],"structured":true}', 'map bodies are JSON with sorted keys, as pdata AsString()');
  assert.ok(Number(rows[1]!.ns) > 0, 'no timestamp: the observed timestamp is used');
});

test('metrics from @opentelemetry/exporter-metrics-otlp-proto land in the otel_metrics_* tables', async () => {
  const reader = new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: c.otlp('/v1/metrics'), temporalityPreference: AggregationTemporality.DELTA }), exportIntervalMillis: 60_000 });
  const p = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'fn-metrics', 'host.name': 'h1' }), readers: [reader] });
  const meter = p.getMeter('isotel.host');
  meter.createCounter('faas.invocations').add(5, { 'faas.trigger': 'http' });
  meter.createHistogram('faas.invoke_duration', { unit: 's', advice: { explicitBucketBoundaries: [0.01, 0.1, 1] } }).record(0.05);
  meter.createObservableGauge('isotel.instances.resident').addCallback((r) => r.observe(7, { 'faas.name': 'fn-a' }));
  await reader.forceFlush();
  await p.shutdown();
  // forceFlush and shutdown both export: take the first (delta) point.
  assert.ok((await c.waitFor("SELECT count() FROM otel_metrics_sum WHERE ServiceName = 'fn-metrics'", 1)) >= 1);
  const [sum] = await c.query<Record<string, any>>("SELECT * FROM otel_metrics_sum WHERE ServiceName = 'fn-metrics' ORDER BY TimeUnix LIMIT 1");
  assert.equal(sum!.MetricName, 'faas.invocations');
  assert.equal(Number(sum!.Value), 5);
  assert.equal(sum!.IsMonotonic, true);
  assert.equal(Number(sum!.AggregationTemporality), 1);
  assert.deepEqual(sum!.Attributes, { 'faas.trigger': 'http' });
  assert.ok((await c.waitFor("SELECT count() FROM otel_metrics_histogram WHERE ServiceName = 'fn-metrics'", 1)) >= 1);
  const [h] = await c.query<Record<string, any>>("SELECT * FROM otel_metrics_histogram WHERE ServiceName = 'fn-metrics' ORDER BY TimeUnix LIMIT 1");
  assert.equal(h!.MetricUnit, 's');
  assert.equal(Number(h!.Count), 1);
  assert.equal(Number(h!.Sum), 0.05);
  assert.deepEqual(h!.ExplicitBounds, [0.01, 0.1, 1]);
  assert.deepEqual(h!.BucketCounts.map(Number), [0, 1, 0, 0]);
  assert.equal(Number(h!.Min), 0.05);
  assert.ok((await c.waitFor("SELECT count() FROM otel_metrics_gauge WHERE ServiceName = 'fn-metrics'", 1)) >= 1);
  // The density rollup picks up the resident-instance gauge per host.
  assert.ok((await c.waitFor("SELECT count() FROM isotel_density_minute WHERE HostName = 'h1'", 1)) >= 1);
  const [d] = await c.query<Record<string, any>>("SELECT MetricName, Function, ValueMax, argMaxMerge(ValueLast) AS last FROM isotel_density_minute WHERE HostName = 'h1' GROUP BY ALL");
  assert.equal(d!.MetricName, 'isotel.instances.resident');
  assert.equal(d!.Function, 'fn-a');
  assert.equal(Number(d!.last), 7);
});

test('OTLP/gRPC logs from @opentelemetry/exporter-logs-otlp-grpc land in otel_logs', async () => {
  const p = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': 'fn-grpc-logs' }), processors: [new BatchLogRecordProcessor({ exporter: new GrpcLogExporter({ url: `http://127.0.0.1:${c.handle.ports.otlpGrpc}` }) })] });
  p.getLogger('console').emit({ severityNumber: SeverityNumber.ERROR, severityText: 'ERROR', body: 'over gRPC', attributes: { attempt: 3 } });
  await p.forceFlush();
  await p.shutdown();
  assert.equal(await c.waitFor("SELECT count() FROM otel_logs WHERE ServiceName = 'fn-grpc-logs'", 1), 1);
  const [row] = await c.query<Record<string, any>>("SELECT Body, SeverityText, SeverityNumber, LogAttributes FROM otel_logs WHERE ServiceName = 'fn-grpc-logs'");
  assert.equal(row!.Body, 'over gRPC');
  assert.equal(row!.SeverityText, 'ERROR');
  assert.equal(Number(row!.SeverityNumber), 17);
  assert.deepEqual(row!.LogAttributes, { attempt: '3' });
});

test('OTLP/gRPC metrics from @opentelemetry/exporter-metrics-otlp-grpc land in otel_metrics_*', async () => {
  const reader = new PeriodicExportingMetricReader({ exporter: new GrpcMetricExporter({ url: `http://127.0.0.1:${c.handle.ports.otlpGrpc}`, temporalityPreference: AggregationTemporality.CUMULATIVE }), exportIntervalMillis: 60_000 });
  const p = new MeterProvider({ resource: resourceFromAttributes({ 'service.name': 'fn-grpc-metrics' }), readers: [reader] });
  const meter = p.getMeter('interop');
  meter.createCounter('faas.coldstarts').add(2, { 'faas.name': 'hello' });
  meter.createUpDownCounter('isotel.test.updown').add(-3);
  await reader.forceFlush();
  await p.shutdown();
  assert.ok((await c.waitFor("SELECT count() FROM otel_metrics_sum WHERE ServiceName = 'fn-grpc-metrics'", 2)) >= 2);
  const rows = await c.query<Record<string, any>>("SELECT MetricName, any(Value) AS v, any(IsMonotonic) AS mono, any(AggregationTemporality) AS t FROM otel_metrics_sum WHERE ServiceName = 'fn-grpc-metrics' GROUP BY MetricName ORDER BY MetricName");
  assert.deepEqual(rows.map((r) => [r.MetricName, Number(r.v), r.mono, Number(r.t)]), [
    ['faas.coldstarts', 2, true, 2],
    ['isotel.test.updown', -3, false, 2],
  ]);
});
