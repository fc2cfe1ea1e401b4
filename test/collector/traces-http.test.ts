/**
 * OTLP/HTTP traces from the official OpenTelemetry JS exporters (http/protobuf and
 * http/json), mapped to otel_traces rows exactly as the ClickHouse exporter maps them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter as HttpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as HttpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTestCollector, type TestCollector } from './helpers.js';

let c: TestCollector;
before(async () => {
  c = await startTestCollector();
});
after(async () => {
  await c.close();
});

async function send(exporter: SpanExporter, service: string): Promise<{ traceId: string; spanId: string; childId: string }> {
  const p = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': service, 'faas.version': '7', 'faas.max_memory': 134217728 }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = p.getTracer('isotel.test', '1.2.3');
  const root = tracer.startSpan(service, { kind: SpanKind.SERVER, startTime: [1_700_000_000, 123_456_789], attributes: { 'faas.coldstart': true, 'http.response.status_code': 503, ratio: 0.25, tags: ['a', 'b'] } });
  root.addEvent('exception', { 'exception.message': 'boom' }, [1_700_000_000, 200_000_000]);
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  const ctx = root.spanContext();
  const child = tracer.startSpan('isotel.coldstart.compile', { startTime: [1_700_000_000, 130_000_000], links: [{ context: ctx, attributes: { why: 'test' } }] }, undefined);
  child.end([1_700_000_000, 140_000_000]);
  root.end([1_700_000_001, 123_456_789]);
  await p.forceFlush();
  await p.shutdown();
  return { traceId: ctx.traceId, spanId: ctx.spanId, childId: child.spanContext().spanId };
}

for (const [name, make] of [
  ['http/protobuf', (url: string) => new HttpProtoExporter({ url })],
  ['http/json', (url: string) => new HttpJsonExporter({ url })],
] as const) {
  test(`${name}: spans land in otel_traces with the exporter's value mapping`, async () => {
    const service = `fn-${name.replace('/', '-')}`;
    const ids = await send(make(c.otlp('/v1/traces')), service);
    assert.equal(await c.waitFor(`SELECT count() FROM otel_traces WHERE ServiceName = '${service}'`, 2), 2);
    const [row] = await c.query<Record<string, any>>(`SELECT *, toUnixTimestamp64Nano(Timestamp) AS ns, toString(Events.Timestamp) AS ev FROM otel_traces WHERE ServiceName = '${service}' AND SpanKind = 'Server'`);
    assert.ok(row);
    assert.equal(row.TraceId, ids.traceId);
    assert.match(row.TraceId, /^[0-9a-f]{32}$/);
    assert.equal(row.SpanId, ids.spanId);
    assert.equal(row.ParentSpanId, '');
    assert.equal(row.SpanName, service);
    assert.equal(row.StatusCode, 'Error');
    assert.equal(row.StatusMessage, 'failed');
    assert.equal(String(row.ns), '1700000000123456789');
    assert.equal(Number(row.Duration), 1_000_000_000);
    assert.equal(row.ScopeName, 'isotel.test');
    assert.equal(row.ScopeVersion, '1.2.3');
    assert.deepEqual(row.SpanAttributes, { 'faas.coldstart': 'true', 'http.response.status_code': '503', ratio: '0.25', tags: '["a","b"]' });
    assert.equal(row.ResourceAttributes['faas.version'], '7');
    assert.equal(row.ResourceAttributes['faas.max_memory'], '134217728');
    assert.deepEqual(row['Events.Name'], ['exception']);
    assert.deepEqual(row['Events.Attributes'], [{ 'exception.message': 'boom' }]);
    const [child] = await c.query<Record<string, any>>(`SELECT * FROM otel_traces WHERE ServiceName = '${service}' AND SpanName = 'isotel.coldstart.compile'`);
    assert.ok(child);
    assert.equal(child.SpanKind, 'Internal');
    assert.equal(child.StatusCode, 'Unset');
    assert.equal(child.SpanId, ids.childId);
    assert.deepEqual(child['Links.TraceId'], [ids.traceId]);
    assert.deepEqual(child['Links.SpanId'], [ids.spanId]);
    assert.deepEqual(child['Links.Attributes'], [{ why: 'test' }]);
    // The trace-id lookup table (and its MV) is filled too.
    const lookup = await c.query<{ n: number }>(`SELECT count() AS n FROM otel_traces_trace_id_ts WHERE TraceId = '${ids.traceId}'`);
    assert.ok(Number(lookup[0]!.n) >= 1);
  });
}

test('gzip-compressed OTLP/JSON is accepted', async () => {
  const body = {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn-gzip' } }] },
        scopeSpans: [{ scope: { name: 's' }, spans: [{ traceId: '5B8EFFF798038103D269B633813FC60C', spanId: 'EEE19B7EC3C1B174', name: 'fn-gzip', kind: 2, startTimeUnixNano: '1700000000000000000', endTimeUnixNano: '1700000000000001000', attributes: [{ key: 'n', value: { intValue: '9007199254740993' } }] }] }],
      },
    ],
  };
  const res = await fetch(c.otlp('/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(body)) });
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), {});
  assert.equal(await c.waitFor(`SELECT count() FROM otel_traces WHERE ServiceName = 'fn-gzip'`, 1), 1);
  const [row] = await c.query<Record<string, any>>(`SELECT TraceId, SpanId, Duration, SpanAttributes FROM otel_traces WHERE ServiceName = 'fn-gzip'`);
  // ids are stored lowercase; int64 attributes keep every digit.
  assert.equal(row!.TraceId, '5b8efff798038103d269b633813fc60c');
  assert.equal(row!.SpanId, 'eee19b7ec3c1b174');
  assert.equal(Number(row!.Duration), 1000);
  assert.equal(row!.SpanAttributes.n, '9007199254740993');
});

test('a span ending before it starts is refused as partial_success, the rest are stored', async () => {
  const span = (id: string, end: string) => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: id, name: 'fn-partial', kind: 2, startTimeUnixNano: '1700000000000000500', endTimeUnixNano: end });
  const body = { resourceSpans: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'fn-partial' } }] }, scopeSpans: [{ spans: [span('b7ad6b7169203331', '1700000000000000900'), span('b7ad6b7169203332', '1700000000000000100')] }] }] };
  const res = await fetch(c.otlp('/v1/traces'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200);
  const out = (await res.json()) as { partialSuccess: { rejectedSpans: number; errorMessage: string } };
  assert.equal(Number(out.partialSuccess.rejectedSpans), 1);
  assert.match(out.partialSuccess.errorMessage, /ending before they start/);
  assert.equal(await c.waitFor(`SELECT count() FROM otel_traces WHERE ServiceName = 'fn-partial'`, 1), 1);
});
